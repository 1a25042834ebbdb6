"""The one admission rule: what any node stores, whoever wrote it and however it arrived.

An event is admitted when its envelope is within bounds and its body is well formed: inside a
calendar range and a JSON-safe Lamport range, a body of bounded nesting whose integers fit in
64 bits, decoded by its type's schema when the type is known. Unknown types are carried
forward under the same bounds. The verdict depends on the event alone (never on a clock), so
every node decides alike, whether it appends, receives or imports the event.

Who may write is decided from the log itself and only ever grows, so that two nodes holding
the same events agree: the founder (whose key is the community id) and every node named by a
stored invitation. A stranger's event is not stored; flooding with throwaway keys costs one
signed, stored, attributable invitation per key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import alerts, chat, community, e2e, files, market, mesh, ocr, rag
from hearthnet.domain.types import MAX_TS_MS, InvalidIdentifier, parse_node_id

if TYPE_CHECKING:
    from hearthnet.domain.envelope import Event

MAX_LAMPORT = 2**53 - 1
"""Lamport values stay exact in JSON (SPEC 3.1: integers within 53 bits)."""
MAX_DEPTH = 16
"""Nesting of arrays and maps inside a body."""
INT64 = (-(2**63), 2**63 - 1)

SCHEMAS: dict[str, type[msgspec.Struct]] = {
    **community.EVENTS,
    **market.EVENTS,
    **chat.EVENTS,
    **mesh.EVENTS,
    **e2e.EVENTS,
    **alerts.EVENTS,
    **files.EVENTS,
    **rag.EVENTS,
    **ocr.EVENTS,
}
"""The body schema of every event type of the protocol: the same on every node, so that every
node admits alike (the composition root's features declare exactly these; a test checks)."""
_DECODERS = {name: msgspec.msgpack.Decoder(schema) for name, schema in SCHEMAS.items()}


class Refused(ValueError):
    """An event that no node stores; the message says why."""


def check(event: Event) -> None:
    """Raise Refused unless the event passes the admission rule (signature and chain aside)."""
    if event.ts > MAX_TS_MS:
        raise Refused(f"ts {event.ts} is past year 9999")
    if event.lamport > MAX_LAMPORT:
        raise Refused(f"lamport {event.lamport} is beyond 2**53 - 1")
    check_body(event.type, event.body)


def check_body(event_type: str, raw: bytes) -> None:
    """Raise Refused unless a body fits its type's schema (whose numbers and lengths are
    bounded), or, for a type this node does not know, is msgpack of bounded nesting whose
    integers fit in 64 bits."""
    schema = _DECODERS.get(event_type)
    try:
        if schema is not None:
            schema.decode(raw)
            return
        data = msgspec.msgpack.decode(raw)
    except msgspec.ValidationError as exc:
        raise Refused(f"{event_type} body does not fit its schema: {exc}") from None
    except (msgspec.DecodeError, RecursionError) as exc:
        raise Refused(f"body is not msgpack: {exc}") from None
    _check_bounded(data)


def _check_bounded(data: Any) -> None:
    """Nesting at most MAX_DEPTH; every integer within 64 bits (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not INT64[0] <= item <= INT64[1]:
                raise Refused(f"integer {item} does not fit in 64 bits")
        elif isinstance(item, list | tuple | dict):
            if depth >= MAX_DEPTH:
                raise Refused(f"body nested deeper than {MAX_DEPTH}")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def named_writer(event: Event) -> bytes | None:
    """Return the key an admitted event lets write from now on: an invitation's invitee."""
    if event.type != community.MEMBER_INVITED:
        return None
    body = msgspec.msgpack.decode(event.body, type=community.MemberInvited)
    try:
        return parse_node_id(body.invitee_node_id)
    except InvalidIdentifier:
        return None


def may_write(event: Event, writers: set[bytes] | frozenset[bytes]) -> bool:
    """Whether the event's author may write: the founder, or a node a stored invite names."""
    return event.author == event.community or event.author in writers
