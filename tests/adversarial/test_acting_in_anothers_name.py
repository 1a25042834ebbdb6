"""Findings 2, 4 and 6: a member made another node sign for it, or replayed signed requests;
a node signed an event type it cannot read."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import httpx
import msgspec

from hearthnet.adapters.request_auth import sign_request
from tests.e2e.cluster import cli, new_key

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from tests.adversarial.conftest import Village

POST = {"client_id": "deputy", "title": "Signed by the anchor?"}


def test_no_capability_that_signs_answers_a_member(village: Village, tmp_path: Path) -> None:
    anchor_posts = village.anchor.call("market.post", {"client_id": "own", "title": "Anchor's"})
    stranger = new_key(tmp_path / "stranger")
    attempts = {
        "market.post": POST,
        "chat.send": {"client_id": "m1", "recipient": village.anchor_id, "body": "hi"},
        "community.invite": {"invitee_node_id": stranger, "initial_level": "trusted"},
        "market.expire": {"event_id": anchor_posts["event_id"], "reason": "withdrawn"},
        "community.revoke": {"target_node_id": village.anchor_id},
        "community.promote": {"target_node_id": village.anchor_id, "new_level": "trusted"},
        "community.cosign": {"change": "revoke", "target_node_id": village.anchor_id},
        "chat.read": {"event_id": "0" * 64},
    }
    before = json.loads(cli(village.anchor.home, "log", "stats", "--json").stdout)["events"]
    for capability, data in attempts.items():
        response = village.bus(capability, data)
        assert (response.status_code, response.json()["error"]) == (401, "unauthorized"), capability
    listing = village.bus("market.list", {})
    assert listing.status_code == 200, "reading is still open to members"
    assert [p["title"] for p in listing.json()["output"]["posts"]] == ["Anchor's"]
    after = json.loads(cli(village.anchor.home, "log", "stats", "--json").stdout)["events"]
    assert after == before, "a refused command appends nothing"


def test_an_invite_never_grants_more_than_the_inviter_has(village: Village, tmp_path: Path) -> None:
    invitee = new_key(tmp_path / "friend")
    refused = cli(
        village.member_home,
        "invite",
        "create",
        "--node-id",
        invitee,
        "--level",
        "trusted",
        "--endpoint",
        village.anchor.url,
        check=None,
    )
    assert refused.returncode != 0 and "cannot invite at level trusted" in refused.stderr


def test_a_signed_request_cannot_be_replayed_or_sent_elsewhere(village: Village) -> None:
    body = msgspec.json.encode({"input": {}})
    headers = sign_request(
        village.member, village.community, village.anchor_id, "POST", "/bus/v1/call", body
    )
    headers["x-hearthnet-capability"] = "market.list"
    first = httpx.post(village.anchor.url + "/bus/v1/call", content=body, headers=headers)
    assert first.status_code == 200
    again = httpx.post(village.anchor.url + "/bus/v1/call", content=body, headers=headers)
    assert (again.status_code, again.json()["error"]) == (401, "invalid_signature")
    assert "replayed" in again.json()["message"]

    elsewhere = sign_request(
        village.member, village.community, "ed25519:" + "A" * 43, "POST", "/bus/v1/call", body
    )
    elsewhere["x-hearthnet-capability"] = "market.list"
    other = httpx.post(village.anchor.url + "/bus/v1/call", content=body, headers=elsewhere)
    assert (other.status_code, other.json()["error"]) == (401, "invalid_signature")

    query = sign_request(
        village.member, village.community, village.anchor_id, "POST", "/bus/v1/call?a=1", body
    )
    query["x-hearthnet-capability"] = "market.list"
    swapped = httpx.post(village.anchor.url + "/bus/v1/call?a=2", content=body, headers=query)
    assert (swapped.status_code, swapped.json()["error"]) == (401, "invalid_signature")


def test_a_request_from_a_wrong_clock_gets_clock_skew(
    village: Village, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = msgspec.json.encode({"input": {}})
    now = time.time
    with monkeypatch.context() as clock:
        clock.setattr(time, "time", lambda: now() + 4 * 60)
        headers = sign_request(
            village.member, village.community, village.anchor_id, "POST", "/bus/v1/call", body
        )
    headers["x-hearthnet-capability"] = "market.list"
    late = httpx.post(village.anchor.url + "/bus/v1/call", content=body, headers=headers)
    assert (late.status_code, late.json()["error"]) == (401, "clock_skew")
    assert "ms since the epoch" in late.json()["message"]


def test_the_node_refuses_to_sign_what_it_cannot_read(village: Village) -> None:
    token = (village.anchor.home / "admin.token").read_text()
    auth = {"authorization": f"Bearer {token}"}
    url = village.anchor.url + "/admin/v1/append"
    bad_type = httpx.post(url, json={"type": "BAD TYPE", "body_hex": "80"}, headers=auth)
    assert (bad_type.status_code, bad_type.json()["error"]) == (400, "bad_request")
    too_big = httpx.post(url, json={"type": "x.note", "body_hex": "c5" + "00" * 4500}, headers=auth)
    assert too_big.status_code == 400
    bad_body = httpx.post(url, json={"type": "market.post.created", "body_hex": "80"}, headers=auth)
    assert bad_body.status_code == 400
    good = httpx.post(url, json={"type": "x.note", "body_hex": "80"}, headers=auth)
    assert good.status_code == 200
    assert json.loads(cli(village.anchor.home, "log", "verify", "--json").stdout)["ok"] is True
    deadline = time.monotonic() + 30
    while not village.anchor.call("log.page", {"type": "x.note"})["events"]:
        assert time.monotonic() < deadline, "the views stopped after a refused append"
        time.sleep(0.1)
