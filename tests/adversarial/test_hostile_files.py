"""What a hostile member tries with files: make the node store or fetch for them, read its
disk, ask for chunks it does not have, flood the chunk route, lie in a manifest or an
advertisement, and hide a key in a public post."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import blake3
import httpx
import msgspec

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.domain import files as f
from hearthnet.domain.bodies import encode_body
from tests.e2e.cluster import cli

if TYPE_CHECKING:
    from pathlib import Path

    from tests.adversarial.conftest import Village


def _put(village: Village, path: Path) -> str:
    out = json.loads(cli(village.anchor.home, "file", "put", str(path), "--json").stdout)
    return str(out["id"])


def test_a_member_cannot_make_the_node_store_fetch_pin_or_remove(
    village: Village, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the anchor's private notes")
    fid = _put(village, secret)
    for capability, data in (
        ("file.put", {"path": "/etc/passwd"}),
        ("file.get", {"id": fid, "to": str(tmp_path / "stolen")}),
        ("file.pin", {"id": fid}),
        ("file.unpin", {"id": fid}),
        ("file.remove", {"id": fid}),
        ("file.advertise", {"cids": [fid]}),
    ):
        answer = village.bus(capability, data)
        assert answer.status_code == 401 and answer.json()["error"] == "unauthorized", capability
    assert not (tmp_path / "stolen").exists()
    listed = village.anchor.call("file.list", {})["files"]
    assert [x["here"] for x in listed if x["id"] == fid] == ["whole"]


def test_the_chunk_routes_answer_members_only_and_refuse_nonsense(
    village: Village, tmp_path: Path
) -> None:
    source = tmp_path / "plan.bin"
    source.write_bytes(os.urandom(3 * f.CHUNK_SIZE))
    fid = _put(village, source)
    ask = msgspec.json.encode({"id": fid, "chunks": [0, 1, 2]})

    stranger = NaclSigner(os.urandom(32))
    refused = village.signed("/files/v1/chunks", ask, stranger)
    assert refused.status_code == 401, refused.text
    unsigned = village.anchor.url + "/files/v1/chunks"
    assert httpx.post(unsigned, content=ask, timeout=10).status_code == 401

    served = village.signed("/files/v1/chunks", ask)
    assert served.status_code == 200 and served.content == source.read_bytes()
    manifest = village.signed("/files/v1/manifest", msgspec.json.encode({"id": fid, "chunks": []}))
    assert f.file_id(blake3.blake3(manifest.content).digest()) == fid

    for body, status in (
        (msgspec.json.encode({"id": fid, "chunks": [3]}), 400),
        (msgspec.json.encode({"id": fid, "chunks": [-1]}), 400),
        (msgspec.json.encode({"id": "blake3:" + "0" * 64, "chunks": [0]}), 404),
        (b"{not json", 400),
        (msgspec.json.encode({"id": fid, "chunks": [0], "extra": 1}), 400),
        (b"[" * 60_000, 400),
    ):
        answer = village.signed("/files/v1/chunks", body)
        assert answer.status_code == status, (body[:60], answer.text)
    too_big = msgspec.json.encode({"id": fid, "chunks": [0] * 2_000_000})
    assert village.signed("/files/v1/chunks", too_big).status_code == 413
    assert village.anchor.call("node.status", {})["node_id"] == village.anchor_id


def test_a_lying_advertisement_or_a_sealed_key_in_a_post_changes_nothing(
    village: Village, tmp_path: Path
) -> None:
    source = tmp_path / "echt.bin"
    source.write_bytes(os.urandom(2 * f.CHUNK_SIZE))
    fid = _put(village, source)
    feed = village.member_feed()
    lie = f.Advertised(id=fid, size_bytes=2**35, name="<script>alert(1)</script>")
    reply = village.push([feed.event(f.FILE_ADVERTISED, encode_body(lie))])
    assert reply.stored == 1  # anyone may say they hold a file ...
    files = village.anchor.call("file.list", {"prefix": fid})["files"]
    assert files[0]["size_bytes"] == 2 * f.CHUNK_SIZE  # ... what is here is what counts
    out = tmp_path / "copy.bin"
    cli(village.anchor.home, "file", "get", fid, "-o", str(out))
    assert out.read_bytes() == source.read_bytes()

    keyed = {"cid": fid, "name": "x", "key": "A" * 43 + "="}
    post = {"client_id": "k1", "title": "Schlüssel", "attachments": [keyed]}
    refused = cli(village.anchor.home, "call", "market.post", json.dumps({"input": post}), check=2)
    assert "sealed file's key belongs in a message" in refused.stderr


def test_paths_that_are_no_paths_are_bad_requests(village: Village, tmp_path: Path) -> None:
    home = village.anchor.home
    for path in ("0" * 5000, "a\0b", str(tmp_path)):
        body = json.dumps({"input": {"path": path}})
        assert "bad_request" in cli(home, "call", "file.put", body, check=2).stderr
    fid = _put(village, _sample(tmp_path))
    for to in ("0" * 5000, "x\0y", str(tmp_path)):
        body = json.dumps({"input": {"id": fid, "to": to}})
        shown = cli(home, "call", "file.get", body, "--stream", check=2).stdout
        assert '"bad_request"' in shown
    assert village.anchor.call("node.status", {})["node_id"] == village.anchor_id


def _sample(tmp_path: Path) -> Path:
    path = tmp_path / "probe.txt"
    path.write_text("probe")
    return path


def test_an_attachment_of_absurd_size_is_refused_not_a_node_error(village: Village) -> None:
    huge = {"cid": "blake3:" + "ab" * 32, "name": "x.jpg", "size_bytes": 2**70}
    for capability, data in (
        ("market.post", {"client_id": "huge", "title": "Huge", "attachments": [huge]}),
        (
            "chat.send",
            {
                "to": village.anchor.call("node.status", {})["node_id"],
                "text": "x",
                "attachments": [huge],
            },
        ),
    ):
        out = cli(village.anchor.home, "call", capability, json.dumps(data), check=None)
        assert out.returncode != 0 and "bad_request" in out.stdout + out.stderr, out
