"""The storage port of the log, and what its two recorders (SQLite, PostgreSQL) share.

Each author's feed is one originator (a UUID derived from the key), its seq the originator
version, the event type the topic and the signed bytes the state, untouched. The recorder's
primary key rejects a second event at one (author, seq); its notification id is this node's
local order. Beside the events table sits `event_index` (id, lamport), written in the same
transaction: lookups by id, the Lamport high-water mark, and the set that sync reconciles.
"""

from __future__ import annotations

import functools
import uuid
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.persistence import Notification, StoredEvent

FEED_NAMESPACE = uuid.UUID("5b0e6c0e-7f1a-4d55-9a57-6a1e3c0de001")
FORK_NAMESPACE = uuid.UUID("5b0e6c0e-7f1a-4d55-9a57-6a1e3c0de002")
FORK_TOPIC = "hearthnet.fork.proof"
TABLE = "hearthnet_events"

IndexRow = tuple[bytes, int, uuid.UUID, int]
RawRow = tuple[int, str, int, str, bytes]
"""(position, originator id as 32 hex digits, version, topic, state): a stored row, unwrapped."""


@functools.lru_cache(maxsize=65536)
def feed_uuid(author: bytes) -> uuid.UUID:
    """Return the originator id of an author's feed."""
    return uuid.uuid5(FEED_NAMESPACE, author.hex())


@functools.lru_cache(maxsize=4096)
def fork_uuid(author: bytes) -> uuid.UUID:
    """Return the originator id under which an author's fork proofs are kept (version = seq)."""
    return uuid.uuid5(FORK_NAMESPACE, author.hex())


class LogRecorder(Protocol):
    """What the log needs from a recorder: eventsourcing's application recorder (events by
    originator and version, notifications in local order) plus the id and fork indexes,
    written in the same transaction as the events."""

    def create_table(self) -> None:
        """Create the tables and indexes if they do not exist."""
        ...

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        """Store events and fork proofs in one transaction, with `index` rows (id, lamport,
        originator, version) and `forks` (author, seq); raise IntegrityError, storing
        nothing, if any (originator, version) is taken."""
        ...

    def select_events(
        self,
        originator_id: uuid.UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """One originator's stored events by version: a feed, or an author's fork proofs."""
        ...

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """Stored rows in local order from start, optionally of some topics only."""
        ...

    def max_notification_id(self) -> int | None:
        """The last local position (None when empty)."""
        ...

    def max_lamport(self) -> int:
        """The highest Lamport value stored (0 when empty)."""
        ...

    def count_events(self) -> int:
        """How many events are stored (fork proofs excluded)."""
        ...

    def locate(self, id_prefix: bytes) -> list[tuple[bytes, uuid.UUID, int]]:
        """(id, originator, version) of up to 10 events whose id starts with id_prefix."""
        ...

    def known(self, ids: Sequence[bytes]) -> set[bytes]:
        """Which of these event ids are stored."""
        ...

    def scan(self, start: int, limit: int) -> list[RawRow]:
        """Up to limit stored rows from position start, in local order."""
        ...

    def topic_rows(self, topics: Sequence[str], after: int = 0) -> list[RawRow]:
        """Return the stored rows of every event of these types after a position, in order."""
        ...

    def recorded_ids(self, positions: Sequence[int]) -> dict[int, bytes]:
        """The id the index recorded for the events at these positions."""
        ...

    def sync_items(self) -> list[tuple[int, bytes]]:
        """(lamport, id) of every event outside a frozen part of its feed: the set that
        sync reconciles."""
        ...

    def forks(self) -> list[tuple[bytes, int]]:
        """(author, seq) of every stored fork proof."""
        ...

    def states_of(self, ids: Sequence[bytes]) -> list[bytes]:
        """The stored bytes of the events with these ids (unknown ids are skipped)."""
        ...

    def states_by_prefix(self, prefixes: Sequence[bytes]) -> list[bytes]:
        """The stored bytes of every event whose id starts with one of the prefixes."""
        ...

    def close(self) -> None:
        """Release the connection or pool."""
        ...


INDEX_DDL = (
    "CREATE TABLE IF NOT EXISTS event_index ("
    "id {blob} PRIMARY KEY, lamport BIGINT NOT NULL, "
    "originator_id {oid} NOT NULL, originator_version BIGINT NOT NULL){suffix}",
    "CREATE INDEX IF NOT EXISTS event_index_lamport ON event_index (lamport, id)",
    "CREATE TABLE IF NOT EXISTS fork_index ("
    "author {blob} NOT NULL, seq BIGINT NOT NULL, originator_id {oid} NOT NULL, "
    "PRIMARY KEY (author, seq)){suffix}",
    "CREATE INDEX IF NOT EXISTS fork_index_feed ON fork_index (originator_id, seq)",
)
SYNC_ITEMS_SQL = (
    "SELECT lamport, id FROM event_index e WHERE NOT EXISTS (SELECT 1 FROM fork_index f "
    "WHERE f.originator_id = e.originator_id AND e.originator_version >= f.seq)"
)
"""The reconciled set: every stored event but those at or past a proven fork of their feed."""


def prefix_bounds(prefix: bytes) -> tuple[bytes, bytes]:
    """The first and last 32-byte ids that start with prefix."""
    return prefix, prefix + b"\xff" * (32 - len(prefix))
