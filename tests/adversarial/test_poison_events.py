"""Finding 1: a well-signed event with an out-of-range time or body bricked every node.
Finding 2 of the deliverables: a view that cannot fold an event records it and goes on."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import httpx
import msgspec

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.verification import Checked
from hearthnet.bootstrap import open_node
from hearthnet.domain import envelope
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from hearthnet.sync.protocol import Bundle
from tests.e2e.cluster import NodeProcess, cli, free_port

if TYPE_CHECKING:
    from tests.adversarial.conftest import Village

POST = encode_body(m.PostCreated(client_id="poison", title="Free firewood"))


def test_a_time_past_the_calendar_is_refused_on_receipt_and_the_node_serves_on(
    village: Village,
) -> None:
    feed = village.member_feed()
    for ts in (2**63 - 1, 2**63 - 2_000_000_000, 253_402_300_800_000):
        raw = feed.event(m.POST_CREATED, POST, ts=ts)
        reply = village.push([raw])
        assert (reply.stored, reply.rejected) == (0, 1)
        feed.seq, feed.prev = feed.seq - 1, envelope.decode(raw).prev  # the slot stays free
    unknown = feed.event("x.anything", msgspec.msgpack.encode({"n": 1}), ts=2**63 - 1)
    assert village.push([unknown]).rejected == 1
    feed.seq, feed.prev = feed.seq - 1, envelope.decode(unknown).prev
    assert village.push([feed.event(m.POST_CREATED, POST, ts=int(time.time() * 1000))]).stored
    deadline = time.monotonic() + 60
    while not village.anchor.call("market.list", {})["posts"]:
        assert time.monotonic() < deadline, "the honest post never reached the board"
        time.sleep(0.1)
    home = village.anchor.home
    for command in (["stats"], ["tail", "-n", "5"], ["replay"], ["verify"]):
        cli(home, "log", *command)


def test_bodies_out_of_bounds_are_refused_and_their_sender_cut_off(village: Village) -> None:
    feed = village.member_feed()
    assert village.push([feed.event("x.unknown", msgspec.msgpack.encode({"ok": [1, 2]}))]).stored
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    bad_bodies = [
        (
            m.POST_CREATED,
            msgspec.msgpack.encode({"client_id": "x", "title": "t", "ttl_seconds": 2**64 - 1}),
        ),
        ("x.unknown", msgspec.msgpack.encode({"big": 2**64 - 1})),
        ("x.unknown", msgspec.msgpack.encode(deep)),
        ("chat.message.read", msgspec.msgpack.encode({"target_event_id": "0" * 64, "at": 2**62})),
        (m.POST_CREATED, b"\xc1"),
    ]
    for type_, body in bad_bodies:
        raw = feed.event(type_, body)
        assert village.push([raw]).rejected == 1, type_
        feed.seq, feed.prev = feed.seq - 1, envelope.decode(raw).prev
    cut_off = village.signed("/sync/v1/push", msgspec.msgpack.encode(Bundle(events=[])))
    assert (cut_off.status_code, cut_off.json()["error"]) == (429, "rate_limited")
    assert village.anchor.call("node.status", {})["log_damaged"] is False


def test_a_stored_poison_event_is_not_folded_and_the_node_starts_and_says_so(
    village: Village, tmp_path
) -> None:
    village.anchor.stop()
    feed = village.member_feed()
    raw = feed.event(m.POST_CREATED, POST, ts=2**63 - 1_000)
    node = open_node(village.anchor.home)
    try:  # stored as a node before the admission rule would have: around every check
        node.log.write([Checked(raw, envelope.decode(raw), blake3_256(raw))])
    finally:
        node.close()
    anchor = NodeProcess(village.anchor.home, free_port(), "--no-discovery").start()
    try:
        assert anchor.call("market.list", {})["posts"] == []
        stats = json.loads(cli(anchor.home, "log", "stats", "--json").stdout)
        assert {u["event_id"] for u in stats["unfolded"]} == {blake3_256(raw).hex()}
        assert "OverflowError" in stats["unfolded"][0]["reason"]
        assert cli(anchor.home, "log", "verify", check=4).returncode == 4
        doctor = json.loads(cli(anchor.home, "doctor", "--json", check=None).stdout)
        assert doctor["event_log_writable"]["status"] == "warn"
        status = json.loads(cli(anchor.home, "status", "--json").stdout)
        assert status["log_damaged"] is True
        deadline = time.monotonic() + 60
        while (
            "log damaged: `log verify` finds 1 problems"
            not in (anchor.home / "run.log").read_text()
        ):
            assert time.monotonic() < deadline, "`run` never warned of the damage"
            time.sleep(0.1)
        tail = cli(anchor.home, "log", "tail", "-n", "3").stdout
        assert str(2**63 - 1_000) in tail
        assert httpx.get(anchor.url + "/health").json()["ok"] is True
    finally:
        anchor.stop()
