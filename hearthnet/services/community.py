"""Membership's capabilities: invite, revoke, promote, demote, list, co-sign.

A membership change is judged by the community's rules (`domain/community.py`) before it is
appended: one the policy would not accept is refused and appends nothing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from hearthnet.domain import community as cm
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.invite import Invite, rfc3339, sign_invite
from hearthnet.domain.types import InvalidIdentifier, b64url, parse_node_id, parse_peer_url
from hearthnet.services.bus import Capability
from hearthnet.services.context import Nothing, own_level, valid_node

if TYPE_CHECKING:
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


async def invite(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.InviteMember = call.input
    valid_node(q.invitee_node_id, "invitee_node_id")
    try:
        endpoints = [parse_peer_url(u) for u in q.bootstrap_endpoints] or node.endpoints()
    except InvalidIdentifier as exc:
        raise BusError("bad_request", f"bootstrap_endpoints: {exc}") from None
    known = await node.query(
        "SELECT status FROM members WHERE node_id = :who", {"who": q.invitee_node_id}
    )
    if known:
        raise BusError("bad_request", f"{q.invitee_node_id} is already {known[0]['status']}")
    entries = await _membership_events(node)
    refusal = cm.invite_refusal(
        cm.fold(entries, node.verify), node.me, q.invitee_node_id, q.initial_level
    )
    if refusal:
        raise BusError("unauthorized", refusal)
    body = cm.MemberInvited(
        invitee_node_id=q.invitee_node_id,
        initial_level=q.initial_level,
        display_name=q.display_name,
        expires_at=int((time.time() + q.ttl_hours * 3600) * 1000),
    )
    recorded = await node.append(cm.MEMBER_INVITED, encode_body(body))
    community = await node.query("SELECT community_id, name FROM community", {})
    terms = Invite(
        community_id=community[0]["community_id"],
        community_name=community[0]["name"],
        inviter_node_id=node.me,
        invitee_node_id=q.invitee_node_id,
        initial_level=q.initial_level,
        invite_event_id=recorded.id.hex(),
        bootstrap_endpoints=endpoints,
        expires_at=rfc3339(body.expires_at),
    )
    return {
        "event_id": recorded.id.hex(),
        "lamport": recorded.event.lamport,
        "expires_at": body.expires_at,
        "link": sign_invite(terms, node.signer),
    }


async def _membership_events(node: NodeContext) -> list[cm.Entry]:
    """The community's membership events as the view keeps them, for the domain's rules."""
    rows = await node.query(
        "SELECT id, lamport, author, community, type, ts, body FROM membership_log", {}
    )
    return [
        cm.Entry(
            r["lamport"],
            bytes.fromhex(r["id"]),
            r["author"],
            r["community"],
            r["type"],
            r["ts"],
            r["body"],
        )
        for r in rows
    ]


async def _refuse_unless_accepted(
    node: NodeContext, type_: str, body: cm.MemberRevoked | cm.MemberLevelChanged, target: str
) -> None:
    """Judge a membership change by the community's rules, as if this node appended it now;
    refuse it (appending nothing) unless it would change the target's standing."""
    entries = await _membership_events(node)
    community = entries[0].community if entries else b""
    candidate = cm.Entry(
        max((e.lamport for e in entries), default=0) + 1,
        b"\xff" * 32,
        parse_node_id(node.me),
        community,
        type_,
        int(time.time() * 1000),
        encode_body(body),
    )
    before = cm.fold(entries, node.verify)
    after = cm.fold([*entries, candidate], node.verify)
    was, now = before.members.get(target), after.members.get(target)
    if now is not None and was is not None and (now.level, now.revoked_at) != (was.level, None):
        return
    if before.active(node.me, "trusted") is None:
        raise BusError("unauthorized", "membership changes need this node to be trusted")
    approvals = cm.approvals(before, candidate, body, node.verify)
    raise BusError(
        "unauthorized",
        f"the community's policy does not accept it: {approvals} of "
        f"{cm.needed(before, type_)} trusted co-signatures (nothing was recorded)",
    )


async def _apply_change(node: NodeContext, type_: str, body: Any, target: str) -> dict[str, Any]:
    standing = await node.query(
        "SELECT level, status FROM members WHERE node_id = :who", {"who": target}
    )
    if not standing or standing[0]["status"] != "active":
        raise BusError("not_found", f"{target} is not an active member")
    await _refuse_unless_accepted(node, type_, body, target)
    recorded = await node.append(type_, encode_body(body))
    after = await node.query(
        "SELECT level, status FROM members WHERE node_id = :who", {"who": target}
    )
    return {"event_id": recorded.id.hex(), "lamport": recorded.event.lamport, **after[0]}


async def revoke(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.Revoke = call.input
    body = cm.MemberRevoked(
        target_node_id=valid_node(q.target_node_id, "target_node_id"),
        reason=q.reason,
        co_signers=q.co_signers,
    )
    return await _apply_change(node, cm.MEMBER_REVOKED, body, q.target_node_id)


async def _change_level(call: Call, node: NodeContext, type_: str) -> dict[str, Any]:
    q: cm.ChangeLevel = call.input
    body = cm.MemberLevelChanged(
        target_node_id=valid_node(q.target_node_id, "target_node_id"),
        new_level=q.new_level,
        co_signers=q.co_signers,
    )
    return await _apply_change(node, type_, body, q.target_node_id)


async def promote(call: Call, node: NodeContext) -> dict[str, Any]:
    return await _change_level(call, node, cm.MEMBER_PROMOTED)


async def demote(call: Call, node: NodeContext) -> dict[str, Any]:
    return await _change_level(call, node, cm.MEMBER_DEMOTED)


async def members(call: Call, node: NodeContext) -> dict[str, Any]:
    rows = await node.query(
        "SELECT node_id, level, status, display_name, added_by FROM members ORDER BY node_id",
        {},
    )
    community = await node.query("SELECT community_id, name FROM community", {})
    found = community[0] if community else {"community_id": "", "name": ""}
    return {
        "members": rows,
        "community_id": found["community_id"],
        "community_name": found["name"],
        "me": node.me,
    }


async def cosign(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.Cosign = call.input
    target = valid_node(q.target_node_id, "target_node_id")
    type_, body = cm.membership_change(q.change, target, reason=q.reason, new_level=q.new_level)
    community = await node.query("SELECT community_id FROM community", {})
    payload = cm.cosign_payload(parse_node_id(community[0]["community_id"]), type_, body)
    signature = b64url(node.signer.sign(payload))
    return {"node_id": node.me, "signature": signature, "cosig": f"{node.me}={signature}"}


async def rename(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.ProfileUpdated = call.input
    name = q.display_name.strip()
    if not name:
        raise BusError("bad_request", "a name needs at least one letter")
    if not await own_level(node):
        raise BusError("unauthorized", "only an active member has a name in the community")
    recorded = await node.append(
        cm.PROFILE_UPDATED, encode_body(cm.ProfileUpdated(display_name=name))
    )
    return {"event_id": recorded.id.hex(), "display_name": name}


CAPABILITIES = (
    Capability("community.profile.update", "self", cm.ProfileUpdated, rename),
    Capability("community.invite", "self", cm.InviteMember, invite),
    Capability("community.revoke", "self", cm.Revoke, revoke),
    Capability("community.promote", "self", cm.ChangeLevel, promote),
    Capability("community.demote", "self", cm.ChangeLevel, demote),
    Capability("community.members", "member", Nothing, members),
    Capability("community.cosign", "self", cm.Cosign, cosign),
)
