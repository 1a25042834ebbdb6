"""Membership's capabilities: invite, revoke, promote, demote, list, co-sign.

A membership change is judged by the community's rules (`domain/community.py`) before it is
appended: one the policy would not accept is refused and appends nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import msgspec

from hearthnet.domain import community as cm
from hearthnet.domain.bodies import decode_body, encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.invite import Invite, rfc3339, sign_invite
from hearthnet.domain.types import (
    InvalidIdentifier,
    b64url,
    node_id,
    parse_node_id,
    parse_peer_url,
    unb64url,
)
from hearthnet.services.bus import Capability
from hearthnet.services.context import Nothing, own_level, valid_node

if TYPE_CHECKING:
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


async def _link(
    node: NodeContext, invited: cm.MemberInvited, event_id: str, endpoints: list[str], token: str
) -> str:
    community = await node.query("SELECT community_id, name FROM community", {})
    terms = Invite(
        community_id=community[0]["community_id"],
        community_name=community[0]["name"],
        inviter_node_id=node.me,
        invitee_node_id=invited.invitee_node_id,
        initial_level=invited.initial_level,
        invite_event_id=event_id,
        bootstrap_endpoints=endpoints,
        expires_at=rfc3339(invited.expires_at),
        claim_token=token,
    )
    return sign_invite(terms, node.signer)


async def invite(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.InviteMember = call.input
    if q.invitee_node_id:
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
    expires_at = int((time.time() + q.ttl_hours * 3600) * 1000)
    if not q.invitee_node_id:
        if not endpoints:
            raise BusError(
                "bad_request",
                "no address where the link's holder can reach this node: run the node, or give"
                " bootstrap_endpoints (--endpoint URL)",
            )
        return await _offer(node, q, expires_at, endpoints)
    body = cm.MemberInvited(
        invitee_node_id=q.invitee_node_id,
        initial_level=q.initial_level,
        display_name=q.display_name,
        expires_at=expires_at,
    )
    recorded = await node.append(cm.MEMBER_INVITED, encode_body(body))
    return {
        "event_id": recorded.id.hex(),
        "lamport": recorded.event.lamport,
        "expires_at": body.expires_at,
        "link": await _link(node, body, recorded.id.hex(), endpoints, ""),
    }


async def _offer(
    node: NodeContext, q: cm.InviteMember, expires_at: int, endpoints: list[str]
) -> dict[str, Any]:
    """A one-time link: its secret's hash on the log, the secret in the link only."""
    secret = os.urandom(32)
    offer = cm.InviteOffered(
        token_hash=hashlib.sha256(secret).digest(),
        initial_level=q.initial_level,
        expires_at=expires_at,
        display_name=q.display_name,
    )
    recorded = await node.append(cm.INVITE_OFFERED, encode_body(offer))
    terms = cm.MemberInvited(
        invitee_node_id="", initial_level=q.initial_level, expires_at=expires_at
    )
    link = await _link(node, terms, recorded.id.hex(), endpoints, b64url(secret))
    return {
        "event_id": recorded.id.hex(),
        "lamport": recorded.event.lamport,
        "expires_at": expires_at,
        "link": link,
        "one_time": True,
    }


async def pending_invites(call: Call, node: NodeContext) -> dict[str, Any]:
    state = cm.fold(await _membership_events(node), node.verify)
    now = int(time.time() * 1000)

    def name(who: str) -> str:
        m = state.members.get(who)
        return (m.display_name if m else "") or who[8:20]

    named = [
        {
            "invite_event_id": iid,
            "inviter": name(p.inviter),
            "invitee": name(p.invitee),
            "level": p.level,
            "expires_at": p.expires_at,
            "one_time": False,
        }
        for iid, p in state.invites.items()
        if p.status == "pending" and p.expires_at > now
    ]
    links = [
        {
            "invite_event_id": oid,
            "inviter": name(o.inviter),
            "invitee": o.display_name,
            "level": o.level,
            "expires_at": o.expires_at,
            "one_time": True,
        }
        for oid, o in state.offers.items()
        if not o.claimed_by and not o.revoked and o.expires_at > now
    ]
    return {"invites": sorted(named + links, key=lambda i: i["expires_at"])}


async def revoke_invite(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.InviteRevoked = call.input
    state = cm.fold(await _membership_events(node), node.verify)
    invite, offer = state.invites.get(q.invite_event_id), state.offers.get(q.invite_event_id)
    open_invite = invite is not None and invite.status == "pending"
    open_offer = offer is not None and not offer.claimed_by and not offer.revoked
    if not open_invite and not open_offer:
        raise BusError("not_found", "no pending invitation or link with that id")
    inviter = invite.inviter if invite else offer.inviter  # type: ignore[union-attr]
    if node.me != inviter and state.active(node.me, "trusted") is None:
        raise BusError("unauthorized", "only its inviter or a trusted member takes it back")
    recorded = await node.append(cm.INVITE_REVOKED, encode_body(q))
    return {"event_id": recorded.id.hex()}


async def claim(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.Claim = call.input
    who = valid_node(q.node_id, "node_id")
    try:
        token_hash = hashlib.sha256(unb64url(q.token)).digest()
    except InvalidIdentifier:
        raise BusError("bad_request", "the link's secret is malformed") from None
    async with node.serial("claims"):  # one at a time, so a link is claimed once
        state = cm.fold(await _membership_events(node), node.verify)
        found = [
            (oid, o)
            for oid, o in state.offers.items()
            if hmac.compare_digest(o.token_hash, token_hash) and o.inviter == node.me
        ]
        if not found:
            raise BusError("not_found", "no such invite link on this node")
        offer_id, offer = found[0]
        if offer.claimed_by or offer.revoked:
            used = "taken back" if offer.revoked else "used already"
            raise BusError("expired", f"this invite link was {used}: ask for a new one")
        if offer.expires_at <= int(time.time() * 1000):
            raise BusError("expired", "this invite link has expired: ask for a new one")
        if state.active(who) is not None:
            raise BusError("bad_request", f"{who} is already a member")
        body = cm.MemberInvited(
            invitee_node_id=who,
            initial_level=offer.level,  # type: ignore[arg-type]
            display_name=q.display_name or offer.display_name,
            expires_at=offer.expires_at,
            offer_id=offer_id,
        )
        recorded = await node.append(cm.MEMBER_INVITED, encode_body(body))
    return {
        "event_id": recorded.id.hex(),
        "link": await _link(node, body, recorded.id.hex(), node.endpoints(), ""),
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


class Judged(NamedTuple):
    """A membership change judged as if this node appended it now."""

    accepted: bool
    before: cm.Fold
    candidate: cm.Entry


async def _judge(
    node: NodeContext, type_: str, body: cm.MemberRevoked | cm.MemberLevelChanged
) -> Judged:
    """Judge a membership change by the community's rules, as if this node appended it now:
    whether it would change the target's standing."""
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
    was, now = before.members.get(body.target_node_id), after.members.get(body.target_node_id)
    changed = now is not None and was is not None
    accepted = changed and (now.level, now.revoked_at) != (was.level, None)  # type: ignore[union-attr]
    return Judged(accepted, before, candidate)


async def _refuse_unless_accepted(
    node: NodeContext, type_: str, body: cm.MemberRevoked | cm.MemberLevelChanged, target: str
) -> None:
    """Refuse a membership change (appending nothing) unless it would take effect now."""
    judged = await _judge(node, type_, body)
    if judged.accepted:
        return
    if judged.before.active(node.me, "trusted") is None:
        raise BusError("unauthorized", "membership changes need this node to be trusted")
    missing = missing_signatures(judged.before, judged.candidate, body, node.verify)
    raise BusError("unauthorized", f"{missing}. Nothing was recorded: request the change instead")


def still_needed(
    state: cm.Fold, entry: cm.Entry, body: cm.MemberRevoked | cm.MemberLevelChanged, verify: Any
) -> tuple[int, int, list[str]]:
    """How many signatures a change has and needs, and the names of who can still give one."""
    have = cm.approvers(state, entry, body, verify)
    need = cm.needed(state, entry.type, body.target_node_id)
    who = [
        state.members[w].display_name or w[8:20]
        for w in cm.signers(state, body.target_node_id)
        if w not in have
    ]
    return len(have), need, sorted(who)


def missing_signatures(
    state: cm.Fold, entry: cm.Entry, body: cm.MemberRevoked | cm.MemberLevelChanged, verify: Any
) -> str:
    """How many signatures a change still needs, and who can give them, in plain words."""
    have, need, who = still_needed(state, entry, body, verify)
    return (
        f"{need - have} more trusted signature(s) needed ({have} of {need}); "
        f"who can co-sign: {', '.join(who) or 'nobody yet'}"
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


class RequestInput(msgspec.Struct, kw_only=True):
    """One change request."""

    request_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class Request(NamedTuple):
    """An open change request: its event, what it asks, and who approved it validly."""

    entry: cm.Entry
    asked: cm.ChangeRequested
    type_: str
    change: cm.MemberRevoked | cm.MemberLevelChanged
    cosigners: list[cm.CoSignature]


def _still_open(state: cm.Fold, asked: cm.ChangeRequested) -> bool:
    """Whether a requested change has not happened yet (its target still stands as it was)."""
    target = state.active(asked.target_node_id)
    if target is None:
        return False
    if asked.change == "revoke":
        return True
    return target.level != asked.new_level


def _open_requests(entries: list[cm.Entry], state: cm.Fold, verify: Any) -> list[Request]:
    """The requests not yet carried out, each with the valid approvals of trusted members."""
    asked = {
        e.id.hex(): (e, body)
        for e in entries
        if e.type == cm.CHANGE_REQUESTED
        and (body := decode_body(e.body, cm.ChangeRequested)) is not None
        and state.active(node_id(e.author), "trusted") is not None
        and _still_open(state, body)
    }
    found: dict[str, Request] = {}
    for rid, (entry, body) in asked.items():
        type_, change = cm.membership_change(
            body.change, body.target_node_id, reason=body.reason, new_level=body.new_level
        )
        found[rid] = Request(entry, body, type_, change, [])
    for e in entries:
        approved = decode_body(e.body, cm.ChangeApproved) if e.type == cm.CHANGE_APPROVED else None
        if approved is None or approved.request_id not in found:
            continue
        request, who = found[approved.request_id], node_id(e.author)
        if who in (request.asked.target_node_id, node_id(request.entry.author)):
            continue
        if state.active(who, "trusted") is None:
            continue
        payload = cm.cosign_payload(e.community, request.type_, request.change)
        try:
            valid = verify(e.author, payload, unb64url(approved.signature))
        except InvalidIdentifier:
            valid = False
        if valid and all(c.node_id != who for c in request.cosigners):
            request.cosigners.append(cm.CoSignature(node_id=who, signature=approved.signature))
    return list(found.values())


async def request_change(call: Call, node: NodeContext) -> dict[str, Any]:
    q: cm.ChangeRequested = call.input
    target = valid_node(q.target_node_id, "target_node_id")
    type_, body = cm.membership_change(q.change, target, reason=q.reason, new_level=q.new_level)
    standing = await node.query("SELECT status FROM members WHERE node_id = :who", {"who": target})
    if not standing or standing[0]["status"] != "active":
        raise BusError("not_found", f"{target} is not an active member")
    judged = await _judge(node, type_, body)
    if judged.accepted:
        recorded = await node.append(type_, encode_body(body))
        return {"done": True, "event_id": recorded.id.hex()}
    refusal = cm.change_refusal(judged.before, node.me, type_, body)
    if refusal:
        raise BusError("unauthorized", f"{refusal}: nothing was recorded")
    recorded = await node.append(cm.CHANGE_REQUESTED, encode_body(q))
    have, need, who = still_needed(judged.before, judged.candidate, body, node.verify)
    return {
        "done": False,
        "request_id": recorded.id.hex(),
        "missing": missing_signatures(judged.before, judged.candidate, body, node.verify),
        "approvals_missing": need - have,
        "can_approve": who,
    }


async def requests(call: Call, node: NodeContext) -> dict[str, Any]:
    entries = await _membership_events(node)
    state = cm.fold(entries, node.verify)

    def name(who: str) -> str:
        m = state.members.get(who)
        return (m.display_name if m else "") or who[8:20]

    listed = []
    for r in _open_requests(entries, state, node.verify):
        requester = node_id(r.entry.author)
        approvers = [requester, *(c.node_id for c in r.cosigners)]
        trusted = state.active(node.me, "trusted") is not None
        listed.append(
            {
                "request_id": r.entry.id.hex(),
                "change": r.asked.change,
                "target": r.asked.target_node_id,
                "target_name": name(r.asked.target_node_id),
                "reason": r.asked.reason,
                "new_level": r.asked.new_level,
                "requester": requester,
                "approved_by": [name(w) for w in approvers],
                "needed": cm.needed(state, r.type_, r.asked.target_node_id),
                "can_approve": trusted
                and node.me not in approvers
                and node.me != r.asked.target_node_id,
            }
        )
    return {"requests": listed}


async def approve(call: Call, node: NodeContext) -> dict[str, Any]:
    q: RequestInput = call.input
    entries = await _membership_events(node)
    state = cm.fold(entries, node.verify)
    found = [
        r for r in _open_requests(entries, state, node.verify) if r.entry.id.hex() == q.request_id
    ]
    if not found:
        raise BusError("not_found", "no open request with that id")
    request = found[0]
    if state.active(node.me, "trusted") is None or node.me == request.asked.target_node_id:
        raise BusError("unauthorized", "only a trusted member other than the target approves")
    payload = cm.cosign_payload(request.entry.community, request.type_, request.change)
    body = cm.ChangeApproved(request_id=q.request_id, signature=b64url(node.signer.sign(payload)))
    recorded = await node.append(cm.CHANGE_APPROVED, encode_body(body))
    return {"event_id": recorded.id.hex()}


_carried_out: set[tuple[str, str]] = set()
"""Requests this process has recorded the change of (the views may not show it yet)."""


async def carry_out_requests(node: NodeContext) -> None:
    """Reaction: record the change this node requested once enough members approved it."""
    entries = await _membership_events(node)
    state = cm.fold(entries, node.verify)
    for r in _open_requests(entries, state, node.verify):
        key = (node.me, r.entry.id.hex())
        if node_id(r.entry.author) != node.me or key in _carried_out or not r.cosigners:
            continue
        body = msgspec.structs.replace(r.change, co_signers=r.cosigners)
        if (await _judge(node, r.type_, body)).accepted:
            _carried_out.add(key)
            await node.record(r.type_, encode_body(body))


CAPABILITIES = (
    Capability("community.profile.update", "self", cm.ProfileUpdated, rename),
    Capability("community.invite", "self", cm.InviteMember, invite),
    Capability("community.claim", "self", cm.Claim, claim),
    Capability("community.invites", "self", Nothing, pending_invites),
    Capability("community.invite.revoke", "self", cm.InviteRevoked, revoke_invite),
    Capability("community.revoke", "self", cm.Revoke, revoke),
    Capability("community.promote", "self", cm.ChangeLevel, promote),
    Capability("community.demote", "self", cm.ChangeLevel, demote),
    Capability("community.members", "member", Nothing, members),
    Capability("community.cosign", "self", cm.Cosign, cosign),
    Capability("community.request", "self", cm.ChangeRequested, request_change),
    Capability("community.requests", "self", Nothing, requests),
    Capability("community.approve", "self", RequestInput, approve),
)
