"""Direct messages' capabilities: send, read the history, mark read."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from hearthnet.domain import chat as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.projections.chat import HISTORY_SQL, UNDELIVERED_SQL
from hearthnet.services.bus import Capability
from hearthnet.services.context import Lamport, Limit, valid_node

if TYPE_CHECKING:
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


class HistoryInput(msgspec.Struct, kw_only=True):
    """Read this node's conversations."""

    peer: str = ""
    since_lamport: Lamport = 0
    limit: Limit = 200


class ReadInput(msgspec.Struct, kw_only=True):
    """Mark a received message as read."""

    event_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


async def send(call: Call, node: NodeContext) -> dict[str, Any]:
    msg: c.Send = call.input
    valid_node(msg.recipient, "recipient")
    if msg.recipient == node.me:
        raise BusError("bad_request", "a message to yourself is not a message")
    member = await node.query(
        "SELECT status FROM members WHERE node_id = :who", {"who": msg.recipient}
    )
    if not member:
        raise BusError("not_found", f"{msg.recipient} is not a member")
    same = await node.query(
        "SELECT event_id, lamport FROM messages WHERE sender = :me AND client_id = :cid LIMIT 1",
        {"me": node.me, "cid": msg.client_id},
    )
    if same:
        return {**same[0], "delivered": "queued", "duplicate": True}
    recorded = await node.append(c.MESSAGE_SENT, encode_body(msg.sent()))
    return {
        "event_id": recorded.id.hex(),
        "lamport": recorded.event.lamport,
        "delivered": "queued",
    }


async def history(call: Call, node: NodeContext) -> dict[str, Any]:
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


async def read(call: Call, node: NodeContext) -> dict[str, Any]:
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


async def acknowledge_delivery(node: NodeContext) -> None:
    """Reaction: a delivered receipt for every message to this node not yet acknowledged."""
    for row in await node.query(UNDELIVERED_SQL, {"me": node.me}):
        receipt = c.Receipt(target_event_id=row["event_id"], at=int(time.time() * 1000))
        await node.record(c.MESSAGE_DELIVERED, encode_body(receipt))


CAPABILITIES = (
    Capability("chat.send", "self", c.Send, send, idempotent=True),
    Capability("chat.history", "self", HistoryInput, history),
    Capability("chat.read", "self", ReadInput, read),
)
