"""Command handlers on the log: marketplace, direct messages, membership, node information.

Each handler checks a command against the read models, appends signed events, and answers
from the read models after they have taken in what it appended (read-your-writes).
A node signs only what its own operator asked for: every handler that appends is trust
`self` (this node's own CLI and dashboard); peers call the read capabilities only.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

import msgspec

from hearthnet import __version__
from hearthnet.domain import chat as c
from hearthnet.domain import community as cm
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError, Descriptor
from hearthnet.domain.invite import Invite, rfc3339, sign_invite
from hearthnet.domain.types import InvalidIdentifier, b64url, parse_node_id
from hearthnet.projections.chat import HISTORY_SQL
from hearthnet.projections.market import BOARD_SQL

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from hearthnet.domain.ports import Signer, Verify
    from hearthnet.domain.records import Recorded
    from hearthnet.services.bus import Bus, Call, H

Limit = Annotated[int, msgspec.Meta(ge=1, le=500)]
Lamport = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class NodeContext(Protocol):
    """What handlers need from the running node."""

    me: str

    @property
    def verify(self) -> Verify:
        """The one Ed25519 verification policy (co-signatures)."""
        ...

    @property
    def signer(self) -> Signer:
        """This node's key, for invite links and co-signatures."""
        ...

    def endpoints(self) -> list[str]:
        """Where invitees can reach this node to sync."""
        ...

    async def append(self, type_: str, body: bytes) -> Recorded:
        """Append one of this node's events; return once the read models hold it."""
        ...

    def query(self, sql: str, params: dict[str, Any]) -> Awaitable[list[dict[str, Any]]]:
        """Read from the views."""
        ...

    def capabilities(self) -> list[Descriptor]:
        """What this node serves."""
        ...

    def events(self, since: int, limit: int) -> Awaitable[list[dict[str, Any]]]:
        """Stored events after a local position, as rows."""
        ...

    def status(self) -> dict[str, Any]:
        """Node, community, peers and log head."""
        ...


class ListInput(msgspec.Struct, kw_only=True):
    """Filter the board."""

    category: m.Category | None = None
    tags: Annotated[list[m.Tag], msgspec.Meta(max_length=10)] = []
    since_lamport: Lamport = 0
    limit: Limit = 50


class ExpireInput(msgspec.Struct, kw_only=True):
    """Take a post off the board."""

    event_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    client_id: str = ""
    reason: m.Reason = "user_request"


class SearchInput(msgspec.Struct, kw_only=True):
    """Find posts by words."""

    query: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    k: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10


class HistoryInput(msgspec.Struct, kw_only=True):
    """Read this node's conversations."""

    peer: str = ""
    since_lamport: Lamport = 0
    limit: Limit = 200


class ReadInput(msgspec.Struct, kw_only=True):
    """Mark a received message as read."""

    event_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class InviteInput(msgspec.Struct, kw_only=True):
    """Invite a node."""

    invitee_node_id: str
    display_name: Annotated[str, msgspec.Meta(max_length=500)] = ""
    initial_level: Literal["member", "trusted"] = "member"
    ttl_hours: Annotated[float, msgspec.Meta(ge=0.01, le=720)] = 24.0


class RevokeInput(msgspec.Struct, kw_only=True):
    """Remove a member, with the co-signatures the policy asks for."""

    target_node_id: str
    reason: Literal["compromised", "inactive", "policy_violation", "other"] = "other"
    co_signers: list[cm.CoSignature] = []


class LevelInput(msgspec.Struct, kw_only=True):
    """Promote or demote a member, with co-signatures."""

    target_node_id: str
    new_level: cm.Level
    co_signers: list[cm.CoSignature] = []


class CosignInput(msgspec.Struct, kw_only=True):
    """A membership change for this node to co-sign."""

    change: Literal["revoke", "promote", "demote"]
    target_node_id: str
    reason: Literal["compromised", "inactive", "policy_violation", "other"] = "other"
    new_level: cm.Level = "trusted"


class EventsInput(msgspec.Struct, kw_only=True):
    """Which stored events to stream."""

    since_position: Lamport = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000


class Nothing(msgspec.Struct, kw_only=True):
    """No input."""


def _node(text: str, field: str) -> str:
    try:
        parse_node_id(text)
    except InvalidIdentifier as exc:
        raise BusError("bad_request", f"{field}: {exc}") from None
    return text


def _post_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "tags": msgspec.json.decode(row["tags"]),
        "location": msgspec.json.decode(row["location"]) if row["location"] else None,
    }


async def _refuse_unless_accepted(
    node: NodeContext, type_: str, body: cm.MemberRevoked | cm.MemberLevelChanged, target: str
) -> None:
    """Judge a membership change by the community's rules, as if this node appended it now;
    refuse it (appending nothing) unless it would change the target's standing."""
    rows = await node.query(
        "SELECT id, lamport, author, community, type, ts, body FROM membership_log", {}
    )
    entries = [
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


def register(bus: Bus, node: NodeContext, skip: frozenset[str] = frozenset()) -> None:
    """Register the handlers of this module on the bus, but those named in skip."""

    def offer(name: str, trust: str, input_type: type[Any], **extra: Any) -> Callable[[H], H]:
        if name in skip:
            return lambda handler: handler
        return bus.offer(name, trust, input_type, **extra)

    async def own_level() -> str:
        rows = await node.query(
            "SELECT level FROM members WHERE node_id = :me AND status = 'active'", {"me": node.me}
        )
        return str(rows[0]["level"]) if rows else ""

    async def board(where: str = "", **params: Any) -> list[dict[str, Any]]:
        rows = await node.query(
            f"SELECT * FROM ({BOARD_SQL}) {where}", {"now": int(time.time() * 1000), **params}
        )
        return [_post_row(r) for r in rows]

    @offer("market.post", "self", m.PostCreated, idempotent=True)
    async def market_post(call: Call) -> dict[str, Any]:
        post: m.PostCreated = call.input
        same = await node.query(
            "SELECT event_id, lamport FROM posts WHERE author = :me AND "
            "client_id = :cid ORDER BY lamport, event_id LIMIT 1",
            {"me": node.me, "cid": post.client_id},
        )
        if same:
            return {**same[0], "duplicate": True}
        recorded = await node.append(m.POST_CREATED, encode_body(post))
        return {"event_id": recorded.id.hex(), "lamport": recorded.event.lamport}

    @offer("market.list", "member", ListInput)
    async def market_list(call: Call) -> dict[str, Any]:
        q: ListInput = call.input
        tags = " ".join(
            f"AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = :tag{i})"
            for i in range(len(q.tags))
        )
        posts = await board(
            "WHERE lamport > :since AND (:cat IS NULL OR category = :cat) "
            f"{tags} ORDER BY lamport DESC LIMIT :limit",
            since=q.since_lamport,
            cat=q.category,
            limit=q.limit,
            **{f"tag{i}": tag for i, tag in enumerate(q.tags)},
        )
        return {"posts": posts, "max_lamport": max((p["lamport"] for p in posts), default=0)}

    @offer("market.search", "member", SearchInput)
    async def market_search(call: Call) -> dict[str, Any]:
        q: SearchInput = call.input
        words = [w for w in q.query.lower().split() if w][:10]
        matches = " OR ".join(
            f"instr(lower(title || ' ' || body || ' ' || tags), :w{i}) > 0"
            for i in range(len(words))
        )
        found = await board(
            f"WHERE {matches or '0'} ORDER BY lamport DESC LIMIT 2000",
            **{f"w{i}": w for i, w in enumerate(words)},
        )
        scored = []
        for p in found:
            text = " ".join([p["title"], p["title"], p["body"], *p["tags"]]).lower()
            score = sum(text.count(w) for w in words) / (1 + len(text.split()) ** 0.5)
            if score > 0:
                scored.append({**p, "score": round(score, 4)})
        scored.sort(key=lambda p: (-p["score"], -p["lamport"]))
        return {"posts": scored[: q.k], "ranking": "keyword"}

    @offer("market.expire", "self", ExpireInput)
    async def market_expire(call: Call) -> dict[str, Any]:
        q: ExpireInput = call.input
        found = await node.query(
            "SELECT author, client_id FROM posts WHERE event_id = :id", {"id": q.event_id}
        )
        if not found:
            raise BusError("not_found", f"no post {q.event_id}")
        if found[0]["author"] != node.me and q.reason != "stale":
            raise BusError("unauthorized", "only the author expires a post (others: stale)")
        if found[0]["author"] != node.me and await own_level() not in ("trusted", "anchor"):
            raise BusError("unauthorized", "marking another's post stale needs a trusted member")
        body = m.PostExpired(
            client_id=q.client_id or found[0]["client_id"],
            target_event_id=q.event_id,
            reason=q.reason,
        )
        recorded = await node.append(m.POST_EXPIRED, encode_body(body))
        return {"event_id": recorded.id.hex(), "lamport": recorded.event.lamport}

    @offer("chat.send", "self", c.MessageSent, idempotent=True)
    async def chat_send(call: Call) -> dict[str, Any]:
        msg: c.MessageSent = call.input
        _node(msg.recipient, "recipient")
        if msg.recipient == node.me:
            raise BusError("bad_request", "a message to yourself is not a message")
        member = await node.query(
            "SELECT status FROM members WHERE node_id = :who", {"who": msg.recipient}
        )
        if not member:
            raise BusError("not_found", f"{msg.recipient} is not a member")
        same = await node.query(
            "SELECT event_id, lamport FROM messages WHERE sender = :me AND "
            "client_id = :cid LIMIT 1",
            {"me": node.me, "cid": msg.client_id},
        )
        if same:
            return {**same[0], "delivered": "queued", "duplicate": True}
        recorded = await node.append(c.MESSAGE_SENT, encode_body(msg))
        return {
            "event_id": recorded.id.hex(),
            "lamport": recorded.event.lamport,
            "delivered": "queued",
        }

    @offer("chat.history", "self", HistoryInput)
    async def chat_history(call: Call) -> dict[str, Any]:
        q: HistoryInput = call.input
        rows = await node.query(
            HISTORY_SQL, {"me": node.me, "peer": q.peer, "since": q.since_lamport, "limit": q.limit}
        )
        return {
            "messages": [
                {
                    **r,
                    "body": msgspec.json.decode(r["body"]),
                    "attachments": msgspec.json.decode(r["attachments"]),
                }
                for r in rows
            ]
        }

    @offer("chat.read", "self", ReadInput)
    async def chat_read(call: Call) -> dict[str, Any]:
        q: ReadInput = call.input
        mine = await node.query(
            "SELECT 1 FROM messages WHERE event_id = :id AND recipient = :me",
            {"id": q.event_id, "me": node.me},
        )
        if not mine:
            raise BusError("not_found", "no message to this node with that id")
        receipt = c.Receipt(target_event_id=q.event_id, at=int(time.time() * 1000))
        recorded = await node.append(c.MESSAGE_READ, encode_body(receipt))
        return {"event_id": recorded.id.hex()}

    @offer("community.invite", "self", InviteInput)
    async def community_invite(call: Call) -> dict[str, Any]:
        q: InviteInput = call.input
        _node(q.invitee_node_id, "invitee_node_id")
        known = await node.query(
            "SELECT status FROM members WHERE node_id = :who", {"who": q.invitee_node_id}
        )
        if known:
            raise BusError("bad_request", f"{q.invitee_node_id} is already {known[0]['status']}")
        level = await own_level()
        if not level:
            raise BusError("unauthorized", "this node is not an active member")
        if cm.LEVEL_RANK[q.initial_level] > cm.LEVEL_RANK[level]:
            raise BusError("unauthorized", f"a {level} cannot invite at level {q.initial_level}")
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
            bootstrap_endpoints=node.endpoints(),
            expires_at=rfc3339(body.expires_at),
        )
        return {
            "event_id": recorded.id.hex(),
            "lamport": recorded.event.lamport,
            "expires_at": body.expires_at,
            "link": sign_invite(terms, node.signer),
        }

    async def apply_change(type_: str, body: Any, target: str) -> dict[str, Any]:
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

    @offer("community.revoke", "self", RevokeInput)
    async def community_revoke(call: Call) -> dict[str, Any]:
        q: RevokeInput = call.input
        body = cm.MemberRevoked(
            target_node_id=_node(q.target_node_id, "target_node_id"),
            reason=q.reason,
            co_signers=q.co_signers,
        )
        return await apply_change(cm.MEMBER_REVOKED, body, q.target_node_id)

    def level_change(type_: str) -> Callable[[Call], Awaitable[dict[str, Any]]]:
        async def handle(call: Call) -> dict[str, Any]:
            q: LevelInput = call.input
            body = cm.MemberLevelChanged(
                target_node_id=_node(q.target_node_id, "target_node_id"),
                new_level=q.new_level,
                co_signers=q.co_signers,
            )
            return await apply_change(type_, body, q.target_node_id)

        return handle

    offer("community.promote", "self", LevelInput)(level_change(cm.MEMBER_PROMOTED))
    offer("community.demote", "self", LevelInput)(level_change(cm.MEMBER_DEMOTED))

    @offer("community.members", "member", Nothing)
    async def community_members(call: Call) -> dict[str, Any]:
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
        }

    @offer("community.cosign", "self", CosignInput)
    async def community_cosign(call: Call) -> dict[str, Any]:
        q: CosignInput = call.input
        target = _node(q.target_node_id, "target_node_id")
        type_, body = cm.membership_change(q.change, target, reason=q.reason, new_level=q.new_level)
        community = await node.query("SELECT community_id FROM community", {})
        payload = cm.cosign_payload(parse_node_id(community[0]["community_id"]), type_, body)
        signature = b64url(node.signer.sign(payload))
        return {"node_id": node.me, "signature": signature, "cosig": f"{node.me}={signature}"}

    @offer("log.events", "member", EventsInput, streaming=True)
    async def log_events(call: Call) -> AsyncIterator[tuple[str, Any]]:
        q: EventsInput = call.input
        since, left = q.since_position, q.limit
        while left > 0:
            rows = await node.events(since, min(left, 500))
            if not rows:
                return
            for row in rows:
                yield "event", row
            since, left = rows[-1]["position"], left - len(rows)

    @offer("protocol.version.list", "member", Nothing)
    async def protocol_versions(call: Call) -> dict[str, Any]:
        return {
            "protocol": 1,
            "envelope": 1,
            "hearthnet": __version__,
            "capabilities": [d.ref for d in node.capabilities()],
        }

    @offer("node.status", "member", Nothing)
    async def node_status(call: Call) -> dict[str, Any]:
        return node.status()
