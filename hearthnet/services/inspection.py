"""The log inspector's capabilities.

`log.page` pages the timeline view newest first with a keyset cursor, so a log of any size
costs one indexed query per page; `log.event` shows one event with its verification;
`log.verify` streams its progress.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import msgspec

from hearthnet.domain.capability import BusError
from hearthnet.domain.types import InvalidIdentifier, parse_event_id_prefix
from hearthnet.services.bus import Capability

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from hearthnet.services.bus import Call

Millis = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Cursor = Annotated[str, msgspec.Meta(pattern=r"^$|^[0-9]{1,19}:[0-9a-f]{64}$")]


class InspectionContext(Protocol):
    """What the inspector needs from the running node."""

    def query(self, sql: str, params: dict[str, Any]) -> Awaitable[list[dict[str, Any]]]:
        """Read from the views."""
        ...

    def find_events(self, prefix: bytes) -> Awaitable[list[dict[str, Any]]]:
        """Stored events whose id starts with prefix, with their verification."""
        ...

    def verify_log(self, progress: Callable[[int, int], None]) -> Awaitable[dict[str, Any]]:
        """Audit the whole log, reporting (done, total) as it goes."""
        ...


class PageInput(msgspec.Struct, kw_only=True):
    """Which page of the log: filters, and the cursor where the previous page ended."""

    type: Annotated[str, msgspec.Meta(max_length=96)] = ""
    author: Annotated[str, msgspec.Meta(max_length=80)] = ""
    since_ts: Millis = 0
    until_ts: Millis = 0
    before: Cursor = ""
    limit: Annotated[int, msgspec.Meta(ge=1, le=200)] = 50


class EventInput(msgspec.Struct, kw_only=True):
    """One event, by its id or an unambiguous hex prefix of it."""

    event_id: Annotated[str, msgspec.Meta(min_length=8, max_length=64)]


class Nothing(msgspec.Struct, kw_only=True):
    """No input."""


def page_query(q: PageInput) -> tuple[str, dict[str, Any]]:
    """Build the keyset query of one timeline page: only the filters asked for."""
    where: list[str] = []
    params: dict[str, Any] = {"limit": q.limit + 1}
    if q.type:
        where.append("t.type = :type")
        params["type"] = q.type
    if q.author:
        where.append("t.author = :author")
        params["author"] = q.author
    if q.since_ts:
        where.append("t.ts >= :since")
        params["since"] = q.since_ts
    if q.until_ts:
        where.append("t.ts < :until")
        params["until"] = q.until_ts
    if q.before:
        lamport, event_id = q.before.split(":")
        where.append("(t.lamport < :bl OR (t.lamport = :bl AND t.event_id < :bid))")
        params.update(bl=int(lamport), bid=event_id)
    sql = (
        "SELECT t.*, f.frozen_at FROM timeline t LEFT JOIN forks f ON f.author = t.author"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY t.lamport DESC, t.event_id DESC LIMIT :limit"
    )
    return sql, params


async def page(call: Call, node: InspectionContext) -> dict[str, Any]:
    q: PageInput = call.input
    sql, params = page_query(q)
    rows = await node.query(sql, params)
    more = len(rows) > q.limit
    rows = rows[: q.limit]
    for row in rows:
        row["forked"] = row.pop("frozen_at") is not None
    last = rows[-1] if more else None
    return {"events": rows, "next": f"{last['lamport']}:{last['event_id']}" if last else ""}


async def event(call: Call, node: InspectionContext) -> dict[str, Any]:
    q: EventInput = call.input
    try:
        prefix = parse_event_id_prefix(q.event_id)
    except InvalidIdentifier as exc:
        raise BusError("bad_request", f"event_id: {exc}") from None
    found = await node.find_events(prefix)
    if not found:
        raise BusError("not_found", f"no event with id {q.event_id}")
    if len(found) > 1:
        raise BusError("bad_request", f"{q.event_id} is ambiguous: {len(found)} events")
    event = found[0]
    forks = await node.query(
        "SELECT frozen_at FROM forks WHERE author = :a", {"a": event["author"]}
    )
    return {**event, "frozen_at": forks[0]["frozen_at"] if forks else None}


async def feeds(call: Call, node: InspectionContext) -> dict[str, Any]:
    rows = await node.query(
        "SELECT d.*, f.frozen_at, m.display_name FROM feeds d "
        "LEFT JOIN forks f ON f.author = d.author "
        "LEFT JOIN members m ON m.node_id = d.author ORDER BY d.events DESC",
        {},
    )
    types = await node.query("SELECT DISTINCT type FROM timeline ORDER BY type", {})
    return {"feeds": rows, "types": [t["type"] for t in types]}


async def verify(call: Call, node: InspectionContext) -> AsyncIterator[tuple[str, Any]]:
    loop = asyncio.get_running_loop()
    frames: asyncio.Queue[tuple[int, int]] = asyncio.Queue()

    def progress(done: int, total: int) -> None:
        loop.call_soon_threadsafe(frames.put_nowait, (done, total))

    audit = asyncio.ensure_future(node.verify_log(progress))
    while not audit.done():
        waiting = asyncio.ensure_future(frames.get())
        await asyncio.wait({audit, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if waiting.done():
            done, total = waiting.result()
            yield "progress", {"done": done, "total": total}
        else:
            waiting.cancel()
    yield "result", audit.result()


CAPABILITIES = (
    Capability("log.page", "member", PageInput, page),
    Capability("log.event", "member", EventInput, event),
    Capability("log.feeds", "member", Nothing, feeds),
    Capability("log.verify", "self", Nothing, verify, streaming=True),
)
