"""The log's recorder on PostgreSQL, for anchor nodes serving a large community."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg.sql import SQL

from hearthnet.adapters.recorders import (
    INDEX_DDL,
    SYNC_ITEMS_SQL,
    TABLE,
    IndexRow,
    RawRow,
    feed_uuid,
    prefix_bounds,
)

if TYPE_CHECKING:
    import uuid
    from collections.abc import Sequence

    from eventsourcing.persistence import StoredEvent


class PostgresLogRecorder(PostgresApplicationRecorder):
    """PostgreSQL recorder of the log, for anchor nodes serving a large community."""

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore, events_table_name=TABLE)
        self.sql_create_statements.extend(
            SQL(s.format(blob="BYTEA", oid="UUID", suffix=""))  # type: ignore[misc]
            for s in INDEX_DDL
        )

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        rows: list[IndexRow] = kwargs.get("index", [])
        if rows:
            curs.executemany("INSERT INTO event_index VALUES (%s,%s,%s,%s)", rows)
        forks: list[tuple[bytes, int]] = kwargs.get("forks", [])
        if forks:
            curs.executemany(
                "INSERT INTO fork_index VALUES (%s,%s,%s)",
                [(author, seq, feed_uuid(author)) for author, seq in forks],
            )

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return list(c.fetchall())

    def max_lamport(self) -> int:
        """Return the highest Lamport value stored (0 for an empty log)."""
        return int(self._query("SELECT MAX(lamport) AS m FROM event_index")[0]["m"] or 0)

    def count_events(self) -> int:
        """Return the number of events stored (fork proofs excluded)."""
        return int(self._query("SELECT COUNT(*) AS n FROM event_index")[0]["n"])

    def locate(self, id_prefix: bytes) -> list[tuple[bytes, uuid.UUID, int]]:
        """Return (id, originator, version) of up to 10 events whose id starts with id_prefix."""
        rows = self._query(
            "SELECT id, originator_id, originator_version FROM event_index "
            "WHERE id BETWEEN %s AND %s LIMIT 10",
            prefix_bounds(id_prefix),
        )
        return [(bytes(r["id"]), r["originator_id"], int(r["originator_version"])) for r in rows]

    def known(self, ids: Sequence[bytes]) -> set[bytes]:
        """Return which of the given event ids are stored."""
        if not ids:
            return set()
        rows = self._query("SELECT id FROM event_index WHERE id = ANY(%s)", [list(ids)])
        return {bytes(r["id"]) for r in rows}

    def scan(self, start: int, limit: int) -> list[RawRow]:
        """Return up to limit stored rows from position start, in local order."""
        rows = self._query(
            f"SELECT notification_id, originator_id, originator_version, topic, state FROM {TABLE} "
            "WHERE notification_id >= %s ORDER BY notification_id LIMIT %s",
            (start, limit),
        )
        return [_raw(r) for r in rows]

    def topic_rows(self, topics: Sequence[str], after: int = 0) -> list[RawRow]:
        """Return the stored rows of every event of these types after a position, in order."""
        rows = self._query(
            f"SELECT notification_id, originator_id, originator_version, topic, state FROM {TABLE} "
            "WHERE notification_id > %s AND topic = ANY(%s) ORDER BY notification_id",
            [after, list(topics)],
        )
        return [_raw(r) for r in rows]

    def recorded_ids(self, positions: Sequence[int]) -> dict[int, bytes]:
        """Return the id the index recorded for the events at these positions."""
        if not positions:
            return {}
        rows = self._query(
            f"SELECT e.notification_id AS n, i.id FROM {TABLE} e JOIN event_index i ON "
            "i.originator_id = e.originator_id AND i.originator_version = e.originator_version "
            "WHERE e.notification_id = ANY(%s)",
            [list(positions)],
        )
        return {int(r["n"]): bytes(r["id"]) for r in rows}

    def sync_items(self) -> list[tuple[int, bytes]]:
        """Return the (lamport, id) items this node reconciles with its peers."""
        return [(int(r["lamport"]), bytes(r["id"])) for r in self._query(SYNC_ITEMS_SQL)]

    def forks(self) -> list[tuple[bytes, int]]:
        """Return (author, seq) of every stored fork proof."""
        rows = self._query("SELECT author, seq FROM fork_index")
        return [(bytes(r["author"]), int(r["seq"])) for r in rows]

    def states_of(self, ids: Sequence[bytes]) -> list[bytes]:
        """Return the stored bytes of the events with these ids (unknown ids are skipped)."""
        if not ids:
            return []
        rows = self._query(
            f"SELECT e.state FROM event_index i JOIN {TABLE} e ON e.originator_id = "
            "i.originator_id AND e.originator_version = i.originator_version "
            "WHERE i.id = ANY(%s)",
            [list(ids)],
        )
        return [bytes(r["state"]) for r in rows]

    def states_by_prefix(self, prefixes: Sequence[bytes]) -> list[bytes]:
        """Return the stored bytes of every event whose id starts with one of the prefixes."""
        if not prefixes:
            return []
        rows = self._query(
            f"SELECT e.state FROM unnest(%s::bytea[], %s::bytea[]) AS b(lo, hi) "
            f"JOIN event_index i ON i.id BETWEEN b.lo AND b.hi JOIN {TABLE} e ON "
            "e.originator_id = i.originator_id AND e.originator_version = i.originator_version",
            [[prefix_bounds(p)[0] for p in prefixes], [prefix_bounds(p)[1] for p in prefixes]],
        )
        return [bytes(r["state"]) for r in rows]

    def close(self) -> None:
        """Close the connection pool."""
        self.datastore.close()


def _raw(row: Any) -> RawRow:
    """A stored row as the log's scans hand it on."""
    return (
        row["notification_id"],
        row["originator_id"].hex,
        row["originator_version"],
        row["topic"],
        bytes(row["state"]),
    )
