"""Membership changes in a small community: a founder alone acts; with more trusted members a
change is a request the others approve with one action, and the requester's node records it
once enough have. Forged, repeated and unqualified approvals do not count."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from hearthnet.domain import community as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import b64url, parse_node_id
from tests.factories import Author, signer
from tests.integration.test_e2e_keys import eventually, running

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime


async def write(runtime: NodeRuntime, who: Author, type_: str, body: bytes) -> str:
    who.clock[0] = max(who.clock[0], runtime.node.log.max_lamport)
    raw = who.event(type_, body, ts=int(time.time() * 1000))
    report = await runtime.writer.ingest([raw])
    assert report.stored, report
    await runtime.refresh_views()
    return runtime.node.log.hash(raw).hex()


async def join(runtime: NodeRuntime, n: int, name: str, level: str = "member") -> Author:
    who = Author(signer(n), parse_node_id(runtime.community))
    invite = await runtime.local_bus().call(
        "community.invite",
        {"invitee_node_id": who.id, "initial_level": level, "display_name": name},
    )
    joined = c.MemberJoined(invite_event_id=invite["event_id"])
    await write(runtime, who, c.MEMBER_JOINED, encode_body(joined))
    return who


def approval(request_id: str, by: Author, signer_key: Any, change: c.MemberRevoked) -> bytes:
    payload = c.cosign_payload(by.community, c.MEMBER_REVOKED, change)
    body = c.ChangeApproved(request_id=request_id, signature=b64url(signer_key.sign(payload)))
    return encode_body(body)


async def membership_events(runtime: NodeRuntime) -> int:
    await runtime.refresh_views()
    rows = await runtime.reader.query("SELECT count(*) AS n FROM membership_log", {})
    return int(rows[0]["n"])


async def standing(runtime: NodeRuntime, who: str) -> str:
    rows = await runtime.reader.query(
        "SELECT status FROM members WHERE node_id = :who", {"who": who}
    )
    return str(rows[0]["status"])


async def test_a_founder_alone_removes_a_member_at_once(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        mallory = await join(runtime, 20, "Mallory")
        out = await runtime.local_bus().call(
            "community.request", {"change": "revoke", "target_node_id": mallory.id}
        )
        assert out["done"]
        assert await standing(runtime, mallory.id) == "revoked"


async def test_a_request_is_carried_out_once_enough_trusted_members_approve(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        anna, bert, carl = [await join(runtime, 21 + i, n, "trusted") for i, n in enumerate("ABC")]
        mallory = await join(runtime, 29, "Mallory")
        plain = await join(runtime, 30, "Paul")
        asked = await runtime.local_bus().call(
            "community.request",
            {"change": "revoke", "target_node_id": mallory.id, "reason": "compromised"},
        )
        assert not asked["done"]
        assert asked["missing"].startswith("2 more trusted signature(s) needed (1 of 3)")
        assert "A, B, C" in asked["missing"]
        rid = asked["request_id"]
        change = c.MemberRevoked(target_node_id=mallory.id, reason="compromised")
        for who, key in ((anna, carl.key), (mallory, mallory.key), (plain, plain.key)):
            await write(runtime, who, c.CHANGE_APPROVED, approval(rid, who, key, change))
        await write(runtime, anna, c.CHANGE_APPROVED, approval(rid, anna, anna.key, change))
        await write(runtime, anna, c.CHANGE_APPROVED, approval(rid, anna, anna.key, change))
        [listed] = (await runtime.local_bus().call("community.requests", {}))["requests"]
        assert listed["approved_by"] == [runtime_name(listed), "A"], "forged, target, member: no"
        assert listed["needed"] == 3 and not listed["can_approve"]
        assert await standing(runtime, mallory.id) == "active"
        await write(runtime, bert, c.CHANGE_APPROVED, approval(rid, bert, bert.key, change))

        async def revoked() -> bool:
            return await standing(runtime, mallory.id) == "revoked"

        assert await eventually(revoked, "the requester's node records the revocation")
        assert (await runtime.local_bus().call("community.requests", {}))["requests"] == []


def runtime_name(listed: dict[str, Any]) -> str:
    return str(listed["approved_by"][0])


async def test_this_node_approves_another_member_s_request_in_one_call(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        anna = await join(runtime, 21, "Anna", "trusted")
        await join(runtime, 22, "Bert", "trusted")
        mallory = await join(runtime, 29, "Mallory")
        asked = c.ChangeRequested(change="revoke", target_node_id=mallory.id)
        rid = await write(runtime, anna, c.CHANGE_REQUESTED, encode_body(asked))
        [listed] = (await runtime.local_bus().call("community.requests", {}))["requests"]
        assert listed["can_approve"] and listed["approved_by"] == ["Anna"]
        await runtime.local_bus().call("community.approve", {"request_id": rid})
        [listed] = (await runtime.local_bus().call("community.requests", {}))["requests"]
        assert len(listed["approved_by"]) == 2 and not listed["can_approve"]
        assert await standing(runtime, mallory.id) == "active", (
            "Anna's node records it, not this one"
        )


async def test_a_change_that_could_never_count_is_refused_before_anything_is_asked(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        anna = await join(runtime, 21, "Anna", "trusted")
        asked = c.ChangeRequested(change="revoke", target_node_id=runtime.me)
        await write(runtime, anna, c.CHANGE_REQUESTED, encode_body(asked))
        stored = await membership_events(runtime)
        for change, target, why in (
            ("promote", anna.id, "already trusted"),
            ("revoke", "ed25519:" + "A" * 43, "not an active member"),
        ):
            try:
                await runtime.local_bus().call(
                    "community.request", {"change": change, "target_node_id": target}
                )
            except BusError as exc:
                assert why in exc.message
            else:
                raise AssertionError(f"{change} {target} was asked")
        assert await membership_events(runtime) == stored, "nothing was asked or recorded"
        listed = (await runtime.local_bus().call("community.requests", {}))["requests"]
        assert [r["target"] for r in listed] == [runtime.me]
        try:
            await runtime.local_bus().call(
                "community.approve", {"request_id": listed[0]["request_id"]}
            )
        except BusError as exc:
            assert "other than the target" in exc.message
        else:
            raise AssertionError("the founder approved its own removal")
