"""Civil-defence facts as the log holds them: one row per event the alert book folds.

What counts (certificates in force, the two-person rule, updates and cancels, acks within the
rate) is decided when the book is read, by folding these rows in (lamport, id) order
(`hearthnet.domain.alerts.AlertBook`): the same answer on every node, whatever order the
events arrived in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hearthnet.domain.alerts import FOLDED_TYPES, Fact
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

FACTS = Table(
    "civdef_facts",
    ("lamport", "event_id", "author", "seq", "ts", "type", "body", "sig"),
    key=2,
    indexes=(("type",),),
    restore=False,
)


class AlertsProjection:
    """Keeps the events that the alert book folds."""

    name = "alerts"
    tables = (FACTS,)

    def __init__(self) -> None:
        self._rows: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Nothing to keep in memory: rows are written as they come."""

    def apply(self, recorded: Recorded) -> None:
        """Keep a civil-defence event (and the membership events that name who is targeted)."""
        e = recorded.event
        if e.type in FOLDED_TYPES:
            self._rows.append(
                (
                    e.lamport,
                    recorded.id.hex(),
                    e.author.hex(),
                    e.seq,
                    e.ts,
                    e.type,
                    e.body,
                    e.sig.hex(),
                )
            )

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the new rows."""
        writes = Writes({FACTS.name: self._rows})
        self._rows = []
        return writes


def facts(rows: Iterable[Mapping[str, Any]]) -> list[Fact]:
    """The rows of `civdef_facts` as facts for the alert book."""
    return [
        Fact(
            r["event_id"],
            r["author"],
            r["seq"],
            r["lamport"],
            r["ts"],
            r["type"],
            bytes(r["body"]),
            r["sig"],
        )
        for r in rows
    ]
