"""Two real nodes on one machine: discovery, live push, joins refused, hostile callers."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import httpx
import msgspec
import pytest

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.request_auth import sign_request
from hearthnet.domain.invite import parse_invite, sign_invite
from hearthnet.sync.protocol import FRAME_LIMIT, Fetch
from tests.e2e.cluster import NodeProcess, cli, following, free_port, new_key, target_of

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess, str]]:
    a_home, b_home = tmp_path / "a", tmp_path / "b"
    community = json.loads(cli(a_home, "init", "--name", "Zwei", "--json").stdout)["community_id"]
    a = NodeProcess(a_home, free_port()).start()
    link = cli(
        a_home, "invite", "create", "--node-id", new_key(b_home), "--endpoint", a.url
    ).stdout.strip()
    cli(b_home, "join", link)
    (b_home / "config.toml").write_text(
        (b_home / "config.toml").read_text().replace(f'peers = ["{a.url}"]', "peers = []")
    )
    b = NodeProcess(b_home, free_port())
    try:
        yield a, b, community
    finally:
        b.stop()
        a.stop()


def test_zeroconf_discovery_and_live_push(pair: tuple[NodeProcess, NodeProcess, str]) -> None:
    a, b, _ = pair
    b.start()
    deadline = time.monotonic() + 60
    while not [
        p
        for p in b.peers()
        if (p["state"], p["source"], p["url"]) == ("connected", "discovered", a.url)
    ]:
        assert time.monotonic() < deadline, f"b never discovered a: {b.peers()}"
        time.sleep(0.2)

    def pushed() -> int:
        token = (a.home / "admin.token").read_text()
        stats = httpx.get(a.url + "/admin/v1/stats", headers={"authorization": f"Bearer {token}"})
        return int(stats.json()["pushed_events"])

    while not [p for p in a.peers() if p["state"] == "connected"]:
        assert time.monotonic() < deadline, f"a never reached b: {a.peers()}"
        time.sleep(0.2)
    before = pushed()
    with following(b.home) as next_row:
        made = json.loads(
            cli(a.home, "invite", "create", "--node-id", new_key(a.home / "x"), "--json").stdout
        )
        while next_row()["id"] != made["event_id"]:
            pass
    assert pushed() > before, "the event reached the other node by live push"


def _call(url: str, signer: NaclSigner, community: str, path: str, body: bytes) -> httpx.Response:
    headers = sign_request(signer, community, target_of(url), "POST", path, body)
    return httpx.post(url + path, content=body, headers=headers, timeout=10)


def test_strangers_forgers_and_garbage(pair: tuple[NodeProcess, NodeProcess, str]) -> None:
    a, _, community = pair
    stranger = NaclSigner.generate()
    assert _call(a.url, stranger, community, "/sync/v1/reconcile", b"\x61").status_code == 401
    assert _call(a.url, stranger, community, "/sync/v1/reconcile", b"\x61").json()["error"] == (
        "unauthorized"
    )
    member = NaclSigner((a.home.parent / "b" / "keys" / "device.ed25519").read_bytes())
    forged = sign_request(
        member, community, target_of(a.url), "POST", "/sync/v1/fetch", b"other body"
    )
    response = httpx.post(a.url + "/sync/v1/fetch", content=b"\x91\x90", headers=forged)
    assert response.status_code == 401 and response.json()["error"] == "invalid_signature"
    huge = b"\x00" * (FRAME_LIMIT + 1)
    assert _call(a.url, member, community, "/sync/v1/push", huge).status_code == 413
    for _ in range(5):
        assert _call(a.url, member, community, "/sync/v1/fetch", b"garbage").status_code == 400
    cut_off = _call(
        a.url, member, community, "/sync/v1/fetch", msgspec.msgpack.encode(Fetch(keys=b""))
    )
    assert cut_off.status_code == 429
    assert httpx.get(a.url + "/manifest").json()["community"] == community, "still serving"
    assert json.loads(cli(a.home, "log", "verify", "--json").stdout)["ok"] is True


def test_join_refusals(pair: tuple[NodeProcess, NodeProcess, str], tmp_path: Path) -> None:
    a, _, _ = pair
    carol_home = tmp_path / "carol"
    carol = new_key(carol_home)
    link = cli(
        a.home, "invite", "create", "--node-id", carol, "--endpoint", a.url, "--ttl", "1"
    ).stdout.strip()
    wrong = cli(tmp_path / "dave", "join", link, check=None)
    assert wrong.returncode == 1 and "invitee_mismatch" in wrong.stderr
    invite = parse_invite(link)
    terms = msgspec.structs.replace(invite, signature="")
    forged = sign_invite(terms, NaclSigner.generate())  # signed by someone else
    refused = cli(carol_home, "join", forged, check=None)
    assert refused.returncode == 1 and "invite_invalid" in refused.stderr
    founder = NaclSigner((a.home / "keys" / "device.ed25519").read_bytes())
    expired = sign_invite(
        msgspec.structs.replace(terms, expires_at="2020-01-01T00:00:00Z"), founder
    )
    late = cli(carol_home, "join", expired, check=None)
    assert late.returncode == 1 and "invite_expired" in late.stderr
    garbage = cli(carol_home, "join", "hearthnet://v1/garbage", check=None)
    assert garbage.returncode == 1 and "invite_invalid" in garbage.stderr
    joined = json.loads(cli(carol_home, "join", link, "--json").stdout)
    assert joined["events_synced"] >= 3
    again = cli(carol_home, "join", link, check=None)
    assert again.returncode == 1 and "already_member" in again.stderr
