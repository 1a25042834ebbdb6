"""The log's recorder on SQLite: the embedded default."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder, SQLiteDatastore

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
    from collections.abc import Sequence

    from eventsourcing.persistence import StoredEvent


class SqliteLogRecorder(SQLiteApplicationRecorder):
    """SQLite recorder of the log (the embedded default)."""

    def __init__(self, path: str) -> None:
        super().__init__(SQLiteDatastore(path, lock_timeout=30), events_table_name=TABLE)

    def construct_create_table_statements(self) -> list[str]:
        """Add the id index to the recorder's own table."""
        ddl = [s.format(blob="BLOB", oid="TEXT", suffix=" WITHOUT ROWID") for s in INDEX_DDL]
        return [*super().construct_create_table_statements(), *ddl]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        # one executemany for the whole group: nothing reads the notification ids back
        SQLiteAggregateRecorder._insert_events(self, c, stored_events)
        rows: list[IndexRow] = kwargs.get("index", [])
        c.executemany(
            "INSERT INTO event_index VALUES (?,?,?,?)",
            [(i, lamport, oid.hex, version) for i, lamport, oid, version in rows],
        )
        forks: list[tuple[bytes, int]] = kwargs.get("forks", [])
        c.executemany(
            "INSERT INTO fork_index VALUES (?,?,?)",
            [(author, seq, feed_uuid(author).hex) for author, seq in forks],
        )
        return None

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return list(c.fetchall())

    def max_lamport(self) -> int:
        """Return the highest Lamport value stored (0 for an empty log)."""
        return int(self._query("SELECT MAX(lamport) FROM event_index")[0][0] or 0)

    def count_events(self) -> int:
        """Return the number of events stored (fork proofs excluded)."""
        return int(self._query("SELECT COUNT(*) FROM event_index")[0][0])

    def locate(self, id_prefix: bytes) -> list[tuple[bytes, uuid.UUID, int]]:
        """Return (id, originator, version) of up to 10 events whose id starts with id_prefix."""
        rows = self._query(
            "SELECT id, originator_id, originator_version FROM event_index "
            "WHERE id BETWEEN ? AND ? LIMIT 10",
            prefix_bounds(id_prefix),
        )
        return [(bytes(r[0]), uuid.UUID(r[1]), int(r[2])) for r in rows]

    def known(self, ids: Sequence[bytes]) -> set[bytes]:
        """Return which of the given event ids are stored."""
        found: set[bytes] = set()
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            rows = self._query(f"SELECT id FROM event_index WHERE id IN ({marks})", part)
            found.update(bytes(r[0]) for r in rows)
        return found

    def scan(self, start: int, limit: int) -> list[RawRow]:
        """Return up to limit stored rows from position start, in local order."""
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None  # plain tuples: this is the hot path of replay and audit
            cursor.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {TABLE} "
                "WHERE rowid >= ? ORDER BY rowid LIMIT ?",
                (start, limit),
            )
            return cursor.fetchall()

    def topic_rows(self, topics: Sequence[str], after: int = 0) -> list[RawRow]:
        """Return the stored rows of every event of these types after a position, in order."""
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None
            cursor.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state FROM {TABLE} "
                f"WHERE rowid > ? AND topic IN ({','.join('?' * len(topics))}) ORDER BY rowid",
                [after, *topics],
            )
            return cursor.fetchall()

    def recorded_ids(self, positions: Sequence[int]) -> dict[int, bytes]:
        """Return the id the index recorded for the events at these positions."""
        found: dict[int, bytes] = {}
        for i in range(0, len(positions), 500):
            part = positions[i : i + 500]
            rows = self._query(
                f"SELECT e.rowid, i.id FROM {TABLE} e JOIN event_index i ON "
                "i.originator_id = e.originator_id AND i.originator_version = e.originator_version "
                f"WHERE e.rowid IN ({','.join('?' * len(part))})",
                part,
            )
            found.update((int(r[0]), bytes(r[1])) for r in rows)
        return found

    def sync_items(self) -> list[tuple[int, bytes]]:
        """Return the (lamport, id) items this node reconciles with its peers."""
        with self.datastore.transaction(commit=False) as c:
            cursor = c.sqlite_cursor
            cursor.row_factory = None
            cursor.execute(SYNC_ITEMS_SQL)
            return cursor.fetchall()

    def forks(self) -> list[tuple[bytes, int]]:
        """Return (author, seq) of every stored fork proof."""
        return [(bytes(r[0]), int(r[1])) for r in self._query("SELECT author, seq FROM fork_index")]

    def states_of(self, ids: Sequence[bytes]) -> list[bytes]:
        """Return the stored bytes of the events with these ids (unknown ids are skipped)."""
        out: list[bytes] = []
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            out += [
                bytes(r[0])
                for r in self._query(
                    f"SELECT e.state FROM event_index i JOIN {TABLE} e ON e.originator_id = "
                    "i.originator_id AND e.originator_version = i.originator_version "
                    f"WHERE i.id IN ({','.join('?' * len(part))})",
                    part,
                )
            ]
        return out

    def states_by_prefix(self, prefixes: Sequence[bytes]) -> list[bytes]:
        """Return the stored bytes of every event whose id starts with one of the prefixes."""
        sql = (
            f"SELECT e.state FROM event_index i JOIN {TABLE} e ON e.originator_id = "
            "i.originator_id AND e.originator_version = i.originator_version "
            "WHERE i.id BETWEEN ? AND ?"
        )
        out: list[bytes] = []
        with self.datastore.transaction(commit=False) as c:
            for prefix in prefixes:
                c.execute(sql, prefix_bounds(prefix))
                out += [bytes(r[0]) for r in c.fetchall()]
        return out

    def close(self) -> None:
        """Close the connection pool."""
        self.datastore.close()
