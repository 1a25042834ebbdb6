"""Three real nodes using the services: board, messages to an absent member, remote calls
with failover, and every refusal with its wire error."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.request_auth import sign_request
from tests.e2e.cluster import NodeProcess, cli, free_port, keys_everywhere, new_key, target_of

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


def out(node: NodeProcess, *args: str) -> Any:
    return json.loads(cli(node.home, *args, "--json").stdout)


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess, NodeProcess, str]]:
    homes = [tmp_path / n for n in "abc"]
    community = json.loads(
        cli(homes[0], "init", "--name", "Drei", "--revoke-threshold", "1", "--json").stdout
    )["community_id"]
    ports = [free_port() for _ in homes]
    nodes = [NodeProcess(homes[0], ports[0], "--no-discovery", "--sync-interval", "1").start()]
    try:
        for i, home in enumerate(homes[1:], 1):
            link = cli(
                homes[0],
                "invite",
                "create",
                "--node-id",
                new_key(home),
                "--endpoint",
                nodes[0].url,
                "--display-name",
                f"Nachbar {i}",
            ).stdout.strip()
            cli(home, "join", link)  # no --name: the invitation's name is taken
            extra = ("--without", "market.search", "--without", "log.events") if i == 2 else ()
            nodes.append(
                NodeProcess(
                    home, ports[i], "--no-discovery", "--sync-interval", "1", *extra
                ).start()
            )
        wait_for(
            lambda: all(
                len([p for p in n.peers() if p["state"] == "connected"]) == 2 for n in nodes
            )
        )
        keys_everywhere(nodes)
        yield nodes[0], nodes[1], nodes[2], community
    finally:
        for n in nodes:
            n.stop()


def test_board_messages_and_failover(
    trio: tuple[NodeProcess, NodeProcess, NodeProcess, str],
) -> None:
    a, b, c, _ = trio
    named = {m["display_name"] for m in out(a, "member", "list")}
    assert {"Nachbar 1", "Nachbar 2"} <= named, named
    a_id, b_id = (json.loads(cli(n.home, "id", "--json").stdout)["node_id"] for n in (a, b))
    on_a = cli(a.home, "chat", "verify", b_id).stdout.strip()
    assert on_a == cli(b.home, "chat", "verify", a_id).stdout.strip(), "both see one number"
    assert [len(group) for group in on_a.split()] == [5] * 12
    posted = out(a, "market", "post", "--title", "Leiter zu verleihen", "--tag", "werkzeug")
    mine = out(a, "market", "list")
    assert [p["event_id"] for p in mine] == [posted["event_id"]], "read-your-writes"
    for node in (b, c):
        assert wait_for(lambda node=node: out(node, "market", "list"))[0]["title"] == (
            "Leiter zu verleihen"
        )
    first_post = json.loads(
        cli(a.home, "call", "market.post", '{"client_id": "once", "title": "Suppe"}').stdout
    )
    second_post = json.loads(
        cli(a.home, "call", "market.post", '{"client_id": "once", "title": "Suppe"}').stdout
    )
    assert second_post["output"]["event_id"] == first_post["output"]["event_id"]
    assert second_post["output"]["duplicate"] is True

    def b_feed() -> int:
        return next(h["seq"] for h in out(b, "log", "stats")["heads"] if h["author"] == b_id)

    before = b_feed()
    stale = cli(b.home, "market", "expire", posted["event_id"], "--reason", "stale", check=None)
    assert stale.returncode != 0 and "needs a trusted member" in stale.stderr + stale.stdout
    assert b_feed() == before, "a refused command appends nothing"

    c_id = json.loads(cli(c.home, "id", "--json").stdout)["node_id"]
    c.stop()
    sent = out(a, "chat", "send", c_id, "Bist du morgen da?")
    assert sent["delivered"] == "queued"
    c.start()
    arrived = wait_for(lambda: [m for m in out(c, "chat", "history") if m["body"]])
    assert arrived[0]["body"] == "Bist du morgen da?"
    delivered = wait_for(lambda: out(a, "chat", "history")[0]["delivered_at"])
    assert delivered, "the recipient's node acknowledged the message"

    first = json.loads(cli(c.home, "call", "market.search", '{"query": "leiter"}').stdout)
    assert first["output"]["posts"][0]["title"] == "Leiter zu verleihen"
    served = first["meta"]["served_by"]
    assert served in (a.url, b.url)
    (a if served == a.url else b).stop()
    second = json.loads(cli(c.home, "call", "market.search", '{"query": "leiter"}').stdout)
    assert second["meta"]["served_by"] != served
    relayed = [
        json.loads(line)
        for line in cli(
            c.home, "call", "log.events", '{"limit": 2}', "--stream"
        ).stdout.splitlines()
    ]
    assert [f["event"] for f in relayed] == ["event", "event", "done"], "streamed by a peer"


def _signed_call(
    url: str, signer: NaclSigner, community: str, ref: str, body: bytes
) -> httpx.Response:
    headers = sign_request(signer, community, target_of(url), "POST", "/bus/v1/call", body)
    headers["x-hearthnet-capability"] = ref
    return httpx.post(url + "/bus/v1/call", content=body, headers=headers, timeout=10)


def test_refusals_carry_the_wire_error(
    trio: tuple[NodeProcess, NodeProcess, NodeProcess, str],
) -> None:
    a, b, c, community = trio
    health = out(a, "doctor")
    assert {v["status"] for v in health.values()} == {"ok"}, health
    streamed = [
        json.loads(line)
        for line in cli(
            a.home, "call", "log.events", '{"limit": 3}', "--stream"
        ).stdout.splitlines()
    ]
    assert [f["event"] for f in streamed] == ["event", "event", "event", "done"]
    listing = b'{"input": {}}'
    stranger = NaclSigner.generate()
    r = _signed_call(a.url, stranger, community, "market.list", listing)
    assert (r.status_code, r.json()["error"]) == (401, "unauthorized")
    member = NaclSigner((b.home / "keys" / "device.ed25519").read_bytes())
    headers = sign_request(member, community, target_of(a.url), "POST", "/bus/v1/call", b"{}")
    headers["x-hearthnet-capability"] = "market.list"
    r = httpx.post(a.url + "/bus/v1/call", content=listing, headers=headers)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_signature")
    assert _signed_call(a.url, member, community, "market.list", listing).status_code == 200

    before = out(a, "log", "stats")["events"]
    for body in (
        b'{"input": {"limit": 0}}',
        b"[1, 2]",
        b"not json",
        b'{"input": {"category": 7}}',
    ):
        r = _signed_call(a.url, member, community, "market.list", body)
        assert (r.status_code, r.json()["error"]) == (400, "bad_request"), body
    r = _signed_call(a.url, member, community, "market.post", b'{"input": {"title": "x"}}')
    assert (r.status_code, r.json()["error"]) == (401, "unauthorized"), "only a node's own"
    r = _signed_call(a.url, member, community, "no.such@1.0", listing)
    assert (r.status_code, r.json()["error"]) == (404, "not_found")
    assert out(a, "log", "stats")["events"] == before, "nothing appended by refused calls"

    b_id = json.loads(cli(b.home, "id", "--json").stdout)["node_id"]
    vouch = cli(a.home, "member", "cosign", "promote", b_id, "--level", "trusted").stdout.strip()
    promoted = json.loads(cli(a.home, "member", "promote", b_id, "--cosig", vouch).stdout)
    assert promoted["level"] == "trusted"
    c_id = json.loads(cli(c.home, "id", "--json").stdout)["node_id"]
    cosig = cli(
        a.home, "member", "cosign", "revoke", c_id, "--reason", "compromised"
    ).stdout.strip()
    revoked = json.loads(
        cli(a.home, "member", "revoke", c_id, "--reason", "compromised", "--cosig", cosig).stdout
    )
    assert revoked["status"] == "revoked"
    refused = cli(
        b.home,
        "member",
        "revoke",
        json.loads(cli(a.home, "id", "--json").stdout)["node_id"],
        check=None,
    )
    assert refused.returncode == 4 and "unauthorized" in refused.stderr
    c_key = NaclSigner((c.home / "keys" / "device.ed25519").read_bytes())
    r = _signed_call(a.url, c_key, community, "market.list", listing)
    assert (r.status_code, r.json()["error"]) == (403, "revoked")

    def status_on_b() -> str | None:
        return {m["node_id"]: m["status"] for m in out(b, "member", "list")}.get(c_id)

    assert wait_for(lambda: status_on_b() == "revoked"), "every node applies the revocation"
