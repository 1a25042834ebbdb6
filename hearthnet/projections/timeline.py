"""The timeline: one row per event, indexed for paging the log by type, author and time.

Rows are keyed by (lamport, id), the order every node agrees on, so the log inspector pages
through any size of log with keyset queries and never loads it whole, and a replay appends
to the key's B-tree instead of scattering into it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

TIMELINE = Table(
    "timeline",
    ("lamport", "event_id", "author", "seq", "type", "ts", "size"),
    key=2,
    indexes=(
        ("author", "lamport", "event_id"),
        ("type", "lamport", "event_id"),
        ("ts",),
    ),
    restore=False,
)


class TimelineProjection:
    """Appends a row per event; it keeps nothing in memory between flushes."""

    name = "timeline"
    tables = (TIMELINE,)

    def __init__(self) -> None:
        self._rows: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Nothing to take up: every row is final once written."""

    def apply(self, recorded: Recorded) -> None:
        """Add the event's row."""
        e = recorded.event
        self._rows.append(
            (e.lamport, recorded.id.hex(), node_id(e.author), e.seq, e.type, e.ts, recorded.size)
        )

    def fork(self, proof: ForkRecord) -> None:
        """Nothing: a frozen feed's events are withheld and the views rebuilt by the runner."""

    def flush(self) -> Writes:
        """Return the rows added since the last flush."""
        rows, self._rows = self._rows, []
        return Writes({"timeline": rows})
