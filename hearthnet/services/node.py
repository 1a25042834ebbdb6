"""The node's own capabilities: what it is, what it speaks, and its stored events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from hearthnet import __version__
from hearthnet.services.bus import Capability
from hearthnet.services.context import Lamport, Nothing

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


class EventsInput(msgspec.Struct, kw_only=True):
    """Which stored events to stream."""

    since_position: Lamport = 0
    limit: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1000


async def log_events(call: Call, node: NodeContext) -> AsyncIterator[tuple[str, Any]]:
    q: EventsInput = call.input
    since, left = q.since_position, q.limit
    while left > 0:
        rows = await node.events(since, min(left, 500))
        if not rows:
            return
        for row in rows:
            yield "event", row
        since, left = rows[-1]["position"], left - len(rows)


async def versions(call: Call, node: NodeContext) -> dict[str, Any]:
    return {
        "protocol": 1,
        "envelope": 1,
        "hearthnet": __version__,
        "capabilities": [d.ref for d in node.capabilities()],
    }


async def status(call: Call, node: NodeContext) -> dict[str, Any]:
    return node.status()


async def key_backup(call: Call, node: NodeContext) -> dict[str, Any]:
    return {"backup": node.key_backup(), "node_id": node.me}


CAPABILITIES = (
    Capability("node.key.backup", "self", Nothing, key_backup),
    Capability("log.events", "member", EventsInput, log_events, streaming=True),
    Capability("protocol.version.list", "member", Nothing, versions),
    Capability("node.status", "member", Nothing, status),
)
