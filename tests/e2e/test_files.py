"""Files between real nodes: put on one, read byte-identical on another; several holders at
once, one of them dying or serving garbage; a fetch killed with -9 taken up again; the quota;
a private attachment that a third member cannot read."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.cluster import NodeProcess, cli, community, fetch_file, has_keys, until

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

MIB = 2**20


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    nodes = community(tmp_path, 3)
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def node_id(node: NodeProcess) -> str:
    return str(node.call("node.status", {})["node_id"])


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def put(node: NodeProcess, path: Path, *args: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(
        cli(node.home, "file", "put", str(path), *args, "--json").stdout
    )
    return out


def holders(node: NodeProcess, fid: str) -> set[str]:
    files = node.call("file.list", {"prefix": fid})["files"]
    return {h for f in files if f["id"] == fid for h in f["holders"]}


def test_a_file_put_on_one_node_is_read_byte_identical_on_another(
    trio: list[NodeProcess], tmp_path: Path
) -> None:
    a, b, _ = trio
    source = random_file(tmp_path / "handbuch.pdf", 3 * MIB + 12345)
    made = put(a, source)
    assert made["id"].startswith("blake3:") and made["size_bytes"] == source.stat().st_size
    assert made["media_type"] == "application/pdf" and made["new_chunks"] == 4
    assert put(a, source)["new_chunks"] == 0, "the same chunks are stored once"
    printed = cli(a.home, "file", "put", str(source)).stdout.strip()
    assert printed == made["id"]
    until(lambda: node_id(a) in holders(b, made["id"]), "b knows that a holds the file")

    out = tmp_path / "copy.pdf"
    shown = cli(b.home, "file", "get", made["id"], "-o", str(out)).stdout
    assert "fetched_bytes" in shown
    assert out.read_bytes() == source.read_bytes()
    listed = json.loads(cli(b.home, "file", "ls", "--json").stdout)
    assert [(f["id"], f["here"], f["name"]) for f in listed] == [
        (made["id"], "whole", "handbuch.pdf")
    ]
    until(lambda: node_id(b) in holders(a, made["id"]), "a learns that b holds it too")

    cli(b.home, "file", "pin", made["id"])
    assert json.loads(cli(b.home, "file", "ls", "--json").stdout)[0]["pinned"] is True
    cli(b.home, "file", "unpin", made["id"])
    cli(b.home, "file", "rm", made["id"])
    assert json.loads(cli(b.home, "file", "ls", "--json").stdout) == []
    until(lambda: node_id(b) not in holders(a, made["id"]), "b's withdrawal reaches a")
    chunks = (b.home / "files" / "chunks").rglob("*")
    assert [p for p in chunks if p.is_file()] == [], "no chunk of a removed file stays"
    assert cli(b.home, "file", "rm", made["id"], check=1).stderr
    assert "blake3:[0-9a-f]{64}" in cli(b.home, "file", "get", "blake3:xyz", check=2).stderr


def test_fetches_go_on_after_the_holder_restarted_under_kept_connections(
    trio: list[NodeProcess], tmp_path: Path
) -> None:
    """A restarted holder has closed the connections the fetcher keeps to it: each is opened
    again, not taken for a holder that lacks the file."""
    a, b, _ = trio
    first = put(a, random_file(tmp_path / "first.bin", MIB))
    cli(b.home, "file", "get", first["id"])
    a.stop()
    a.start()
    until(
        lambda: any(p["url"] == a.url and p["state"] == "connected" for p in b.peers()),
        "b reaches a again",
    )
    for i in range(4):
        fid = put(a, random_file(tmp_path / f"after{i}.bin", 64 * 1024))["id"]
        until(lambda fid=fid: node_id(a) in holders(b, fid), "b knows that a holds it")
        cli(b.home, "file", "get", fid)


def test_a_holder_serving_corrupt_chunks_is_caught_and_penalised(
    trio: list[NodeProcess], tmp_path: Path
) -> None:
    a, b, c = trio
    source = random_file(tmp_path / "foto.bin", 8 * MIB)
    fid = put(a, source)["id"]
    until(lambda: holders(b, fid), "b knows the file")
    fetch_file(b, {"id": fid})
    for chunk in (b.home / "files" / "chunks").rglob("*"):
        if chunk.is_file():  # b's disk rots: every chunk it serves is garbage now
            chunk.write_bytes(os.urandom(chunk.stat().st_size))
    until(lambda: len(holders(c, fid)) == 2, "c knows both holders")

    out = tmp_path / "copy.bin"
    done = fetch_file(c, {"id": fid, "to": str(out)})
    assert out.read_bytes() == source.read_bytes()
    assert done["penalised"] == [node_id(b)]
    assert done["by_holder"].get(node_id(a), 0) >= 8 * MIB
    peers = {p["node_id"]: p for p in c.peers()}
    assert peers[node_id(b)]["state"] == "quarantined"
    assert "does not match its hash" in peers[node_id(b)]["last_error"]


def test_three_holders_serve_one_file_while_one_of_them_dies(tmp_path: Path) -> None:
    nodes = community(tmp_path, 4)
    a, b, c, d = nodes
    try:
        source = random_file(tmp_path / "karte.bin", 48 * MIB)
        fid = put(a, source)["id"]
        for holder in (b, c):
            until(lambda n=holder: holders(n, fid), "the file is known")
            fetch_file(holder, {"id": fid})
        until(lambda: len(holders(d, fid)) == 3, "d knows the three holders")
        a_id, b_id, c_id = (node_id(n) for n in (a, b, c))
        assert a.process is not None
        a.process.send_signal(signal.SIGSTOP)  # a hangs with d's requests in flight ...
        started = threading.Event()

        def kill_a_once_it_runs(frame: dict[str, Any]) -> None:
            if not started.is_set():
                started.set()
                assert a.process is not None
                a.process.kill()  # ... and dies

        out = tmp_path / "copy.bin"
        done = fetch_file(d, {"id": fid, "to": str(out)}, kill_a_once_it_runs)
        assert out.read_bytes() == source.read_bytes()
        assert set(done["holders"]) == {a_id, b_id, c_id}, "all three were asked"
        assert done["by_holder"].get(a_id, 0) == 0, "a sent nothing before it died"
        assert done["by_holder"][b_id] + done["by_holder"][c_id] >= 48 * MIB
    finally:
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                node.stop()
            elif node.process is not None:
                node.process = None
                node.log.close()


def test_a_fetch_killed_with_minus_9_is_taken_up_where_it_stopped(
    trio: list[NodeProcess], tmp_path: Path
) -> None:
    a, b, c = trio
    size = 64 * MIB
    source = random_file(tmp_path / "video.bin", size)
    fid = put(a, source)["id"]
    until(lambda: holders(c, fid), "c knows the file")
    fetch_file(c, {"id": fid})
    until(lambda: len(holders(b, fid)) == 2, "b knows both holders")
    assert a.process is not None and b.process is not None and c.process is not None
    c.process.send_signal(signal.SIGSTOP)  # what b asks of c never comes ...
    fetching = threading.Thread(target=_fetch_until_killed, args=(b, fid), daemon=True)
    fetching.start()
    chunks = b.home / "files" / "chunks"
    until(lambda: any(p.is_file() for p in chunks.rglob("*")), "b has a first chunk", 60)
    a.process.send_signal(signal.SIGSTOP)  # ... and now nothing more from a either
    kept = sum(p.is_file() for p in chunks.rglob("*"))
    assert 0 < kept < size // MIB, "b is part way through"
    b.process.kill()  # the fetching node dies mid-way
    fetching.join(60)
    b.process.wait()
    b.process = None
    b.log.close()
    a.process.send_signal(signal.SIGCONT)
    c.process.send_signal(signal.SIGCONT)
    b.start()
    until(lambda: sum(p["state"] == "connected" for p in b.peers()) == 2, "b is back")

    out = tmp_path / "copy.bin"
    done = fetch_file(b, {"id": fid, "to": str(out)})
    assert out.read_bytes() == source.read_bytes()
    assert done["resumed_from_bytes"] >= (kept - 2) * MIB, "what was kept is not fetched again"
    rest = size - done["resumed_from_bytes"]
    assert done["fetched_bytes"] <= rest * 1.05, done


def _fetch_until_killed(node: NodeProcess, fid: str) -> None:
    with contextlib.suppress(httpx.HTTPError, AssertionError):
        fetch_file(node, {"id": fid})


def test_the_quota_refuses_what_does_not_fit_and_collects_unpinned_files(
    tmp_path: Path,
) -> None:
    (node,) = community(tmp_path, 1, files_quota_bytes=MIB, files_min_free_bytes=0)
    try:
        big = random_file(tmp_path / "big.bin", 2 * MIB)
        refused = cli(node.home, "file", "put", str(big), check=5)
        assert "capacity_exceeded" in refused.stderr
        assert json.loads(cli(node.home, "file", "ls", "--json").stdout) == []
        chunks = node.home / "files" / "chunks"
        assert [p for p in chunks.rglob("*") if p.is_file()] == [], "nothing half-stored"

        first = put(node, random_file(tmp_path / "eins.bin", 600 * 1024), "--no-pin")
        second = put(node, random_file(tmp_path / "zwei.bin", 600 * 1024))
        listed = json.loads(cli(node.home, "file", "ls", "--json").stdout)
        assert [f["id"] for f in listed] == [second["id"]], "the unpinned file was collected"
        withdrawn = cli(node.home, "log", "tail", "--type", "file.cid.withdrawn", "--json")
        assert len(withdrawn.stdout.splitlines()) == 1
        third = cli(node.home, "file", "put", str(tmp_path / "eins.bin"), check=5)
        assert "pinned" in third.stderr, "pinned files are not collected"
        assert first["id"] != second["id"]
    finally:
        node.stop()


def test_a_private_attachment_is_sealed_from_a_third_member(
    trio: list[NodeProcess], tmp_path: Path
) -> None:
    a, b, c = trio
    photo = random_file(tmp_path / "ausweis.jpg", 700 * 1024)
    b_id = node_id(b)
    until(lambda: has_keys(a, b_id), "a has b's keys")
    cli(a.home, "chat", "send", b_id, "Hier das Foto", "--attach", str(photo))

    def attachment() -> dict[str, Any] | None:
        messages = json.loads(cli(b.home, "chat", "history", "--json").stdout)
        found = [m for m in messages if m["body"] == "Hier das Foto"]
        return found[0]["attachments"][0] if found else None

    sent = until(attachment, "b reads the message")
    assert sent["name"] == "ausweis.jpg" and sent["key"]
    out = tmp_path / "at-b.jpg"
    cli(b.home, "file", "get", sent["cid"], "-o", str(out), "--key", sent["key"])
    assert out.read_bytes() == photo.read_bytes()

    until(lambda: holders(c, sent["cid"]), "c knows who holds the sealed file")
    files = c.call("file.list", {})["files"]
    advertised = [f for f in files if f["id"] == sent["cid"]]
    assert advertised and advertised[0]["name"] == "", "no name on the log"
    stolen = tmp_path / "at-c.bin"
    cli(c.home, "file", "get", sent["cid"], "-o", str(stolen))  # c may fetch the ciphertext ...
    assert photo.read_bytes()[:4096] not in stolen.read_bytes()
    assert photo.read_bytes() != stolen.read_bytes()
    wrong = cli(
        c.home, "file", "get", sent["cid"], "-o", str(stolen), "--key", "A" * 43 + "=", check=2
    )
    assert "key does not open" in wrong.stderr  # ... but cannot open it
    history = json.loads(cli(c.home, "chat", "history", "--json").stdout)
    assert all("Hier das Foto" not in m["body"] for m in history)
