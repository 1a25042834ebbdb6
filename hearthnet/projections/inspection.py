"""The log inspector's read models: every author's feed (length, head, Lamport high-water
mark, bytes, forks), and the timeline, one row per event indexed for paging the log by type,
author and time.

Timeline rows are keyed by (lamport, id), the order every node agrees on, so the inspector
pages through any size of log with keyset queries and never loads it whole, and a replay
appends to the key's B-tree instead of scattering into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hearthnet.domain.types import node_id, parse_node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

FEEDS = Table(
    "feeds",
    ("author", "events", "head_seq", "head_id", "max_lamport", "bytes", "first_ts", "last_ts"),
)
FORKS = Table("forks", ("author", "frozen_at"))
"""One row per equivocating author: the lowest proven fork seq, where its feed is frozen.
Which two events prove it depends on arrival order; that seq does not (the proofs are kept
in the log)."""


@dataclass(slots=True)
class Feed:
    """One author's feed as far as it is stored."""

    events: int
    head_seq: int
    head_id: bytes
    max_lamport: int
    bytes: int
    first_ts: int
    last_ts: int


class FeedsProjection:
    """Per-author feed summary; the log's chain order makes the head the last event applied."""

    name = "feeds"
    tables = (FEEDS, FORKS)

    def __init__(self) -> None:
        self._feeds: dict[bytes, Feed] = {}
        self._forks: dict[bytes, int] = {}
        self._dirty: set[bytes] = set()
        self._dirty_forks: set[bytes] = set()

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Take up the kept feeds and forks."""
        for author, events, seq, head, lamport, size, first_ts, last_ts in rows.get("feeds", ()):
            self._feeds[parse_node_id(str(author))] = Feed(
                int(str(events)),
                int(str(seq)),
                bytes.fromhex(str(head)),
                int(str(lamport)),
                int(str(size)),
                int(str(first_ts)),
                int(str(last_ts)),
            )
        for author, frozen_at in rows.get("forks", ()):
            self._forks[parse_node_id(str(author))] = int(str(frozen_at))

    def apply(self, recorded: Recorded) -> None:
        """Count the event and move its author's head forward."""
        event = recorded.event
        feed = self._feeds.get(event.author)
        if feed is None:
            self._feeds[event.author] = Feed(
                1, event.seq, recorded.id, event.lamport, recorded.size, event.ts, event.ts
            )
        else:
            feed.events += 1
            feed.head_seq = event.seq
            feed.head_id = recorded.id
            feed.max_lamport = max(feed.max_lamport, event.lamport)
            feed.bytes += recorded.size
            feed.last_ts = event.ts
        self._dirty.add(event.author)

    def fork(self, proof: ForkRecord) -> None:
        """Record a fork proof: the author's feed is frozen at the lowest proven seq."""
        if proof.seq < self._forks.get(proof.author, proof.seq + 1):
            self._forks[proof.author] = proof.seq
            self._dirty_forks.add(proof.author)

    def flush(self) -> Writes:
        """Return the feeds touched and the forks found since the last flush."""
        feeds: list[Row] = []
        for author in self._dirty:
            f = self._feeds[author]
            feeds.append(
                (
                    node_id(author),
                    f.events,
                    f.head_seq,
                    f.head_id.hex(),
                    f.max_lamport,
                    f.bytes,
                    f.first_ts,
                    f.last_ts,
                )
            )
        forks = [(node_id(a), self._forks[a]) for a in self._dirty_forks]
        self._dirty, self._dirty_forks = set(), set()
        return Writes({"feeds": feeds, "forks": forks})


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
