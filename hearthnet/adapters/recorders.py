"""The eventsourcing recorders as the log's storage engine, on SQLite or PostgreSQL.

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
from urllib.parse import unquote, urlparse

from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from psycopg.sql import SQL

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
    """What the log needs from a recorder: the eventsourcing API plus the id index."""

    def create_table(self) -> None: ...
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any: ...
    def select_events(
        self,
        originator_id: uuid.UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]: ...
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...
    def max_notification_id(self) -> int | None: ...
    def max_lamport(self) -> int: ...
    def count_events(self) -> int: ...
    def locate(self, id_prefix: bytes) -> list[tuple[bytes, uuid.UUID, int]]: ...
    def known(self, ids: Sequence[bytes]) -> set[bytes]: ...
    def scan(self, start: int, limit: int) -> list[RawRow]: ...
    def recorded_ids(self, positions: Sequence[int]) -> dict[int, bytes]: ...
    def sync_items(self) -> list[tuple[int, bytes]]: ...
    def forks(self) -> list[tuple[bytes, int]]: ...
    def states_of(self, ids: Sequence[bytes]) -> list[bytes]: ...
    def states_by_prefix(self, prefixes: Sequence[bytes]) -> list[bytes]: ...
    def close(self) -> None: ...


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


def _prefix_bounds(prefix: bytes) -> tuple[bytes, bytes]:
    return prefix, prefix + b"\xff" * (32 - len(prefix))


class SqliteLogRecorder(SQLiteApplicationRecorder):
    """SQLite recorder of the log (the embedded default)."""

    def __init__(self, path: str) -> None:
        super().__init__(SQLiteDatastore(path, lock_timeout=30), events_table_name=TABLE)

    def construct_create_table_statements(self) -> list[str]:
        """Add the id index to the recorder's own table."""
        ddl = [s.format(blob="BLOB", oid="TEXT", suffix=" WITHOUT ROWID") for s in INDEX_DDL]
        return [*super().construct_create_table_statements(), *ddl]

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        ids = super()._insert_events(c, stored_events, **kwargs)
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
        return ids

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
            _prefix_bounds(id_prefix),
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
                c.execute(sql, _prefix_bounds(prefix))
                out += [bytes(r[0]) for r in c.fetchall()]
        return out

    def close(self) -> None:
        """Close the connection pool."""
        self.datastore.close()


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
            _prefix_bounds(id_prefix),
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
        return [
            (
                r["notification_id"],
                r["originator_id"].hex,
                r["originator_version"],
                r["topic"],
                bytes(r["state"]),
            )
            for r in rows
        ]

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
            [[_prefix_bounds(p)[0] for p in prefixes], [_prefix_bounds(p)[1] for p in prefixes]],
        )
        return [bytes(r["state"]) for r in rows]

    def close(self) -> None:
        """Close the connection pool."""
        self.datastore.close()


class StoreUnavailable(RuntimeError):
    """The store a URL names cannot be opened: unknown scheme, unreachable, or not a log."""


def open_recorder(url: str) -> LogRecorder:
    """Open (and create tables in) the store a URL names: `sqlite:///PATH` or `postgresql://`."""
    parsed = urlparse(url)
    if parsed.scheme not in ("sqlite", "postgresql", "postgres"):
        raise StoreUnavailable(f"unsupported store {url!r}: use sqlite:///PATH or postgresql://")
    recorder: LogRecorder | None = None
    try:
        if parsed.scheme == "sqlite":
            recorder = SqliteLogRecorder(unquote(parsed.path))
        else:
            recorder = PostgresLogRecorder(
                PostgresDatastore(
                    dbname=parsed.path.lstrip("/") or "hearthnet",
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or 5432,
                    user=unquote(parsed.username or "hearthnet"),
                    password=unquote(parsed.password or ""),
                    pool_size=2,
                    max_overflow=4,
                )
            )
        recorder.create_table()
    except Exception as exc:  # any driver's failure to open becomes one clear error
        if recorder is not None:
            recorder.close()
        raise StoreUnavailable(f"cannot open the log store {_public(url)}: {exc}") from None
    return recorder


def _public(url: str) -> str:
    """Return a store URL without its password."""
    parsed = urlparse(url)
    return url.replace(f":{parsed.password}@", ":***@") if parsed.password else url
