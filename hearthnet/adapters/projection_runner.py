"""Runs projections over the log into a SQLite file of views.

Each projection's tracking position (the last notification id it folded) commits in the same
transaction as its rows, so a crash never leaves a view ahead of or behind its position.
A fork proof freezes its author's feed from the fork's seq: those events are withheld from
every projection, and the views are rebuilt so that events folded before the proof arrived
no longer count. Views are node-local, so they live in SQLite whatever the log's store.

No event can stop the views: one that a projection cannot fold (or whose rows cannot be
written) is recorded in `unfolded` with the reason, the same on every node, and folding goes
on past it.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import msgspec

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.fork_proofs import fork_record
from hearthnet.adapters.recorders import FORK_TOPIC
from hearthnet.domain import envelope
from hearthnet.domain.records import ForkRecord, Recorded

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.event_log import EventLog
    from hearthnet.projections.base import Projection, Table

BATCH = 5000
CACHE_KIB = 65536
"""Page cache of the views database: index inserts keyed by random event ids stay in memory."""
Progress = Callable[[int], None]


class ProjectionRunner:
    """Keeps a set of projections current with the log, in one views database."""

    def __init__(
        self,
        log: EventLog,
        path: Path,
        factories: Sequence[Callable[[], Projection]],
        store_name: str,
    ) -> None:
        self.log = log
        projections = [make() for make in factories]
        self.projections = {p.name: p for p in projections}
        self._factories = {p.name: make for p, make in zip(projections, factories, strict=True)}
        self._lock = threading.RLock()
        """One thread at a time uses the connection; close waits for a fold in flight."""
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self.db.execute("PRAGMA threads=2")  # sort for index builds on a second core
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS tracking (projection TEXT PRIMARY KEY, position INTEGER)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS frozen (author BLOB PRIMARY KEY, seq INTEGER)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS unfolded (projection TEXT, event_id TEXT, position INTEGER,"
            " reason TEXT, PRIMARY KEY (projection, event_id))"
        )
        known = self.db.execute("SELECT value FROM meta WHERE key='store'").fetchone()
        if known is None or known[0] != store_name:
            self._drop(projections)
            self.db.execute("DELETE FROM unfolded")
            self.db.execute("DELETE FROM frozen")
            self.db.execute("DELETE FROM tracking")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('store', ?)", (store_name,))
        for p in projections:
            if any(self._columns(t.name) not in ((), t.columns) for t in p.tables):
                self._drop([p])  # a newer version changed its tables: it is built again
                self.db.execute("DELETE FROM tracking WHERE projection = ?", (p.name,))
                self.db.execute("DELETE FROM unfolded WHERE projection = ?", (p.name,))
            self._create(p)
        self._restore()

    def _restore(self) -> None:
        """Take up the state kept in the views database (after start, or another writer)."""
        self.frozen: dict[bytes, int] = dict(self.db.execute("SELECT author, seq FROM frozen"))
        for name, make in self._factories.items():
            p = self.projections[name] = make()
            p.restore(
                {
                    t.name: self.db.execute(f"SELECT * FROM {t.name}").fetchall()
                    for t in p.tables
                    if t.restore
                }
            )
        self._seen = self._positions()

    def _positions(self) -> dict[str, int]:
        return {n: self.position(n) for n in self.projections}

    def close(self) -> None:
        """Close the views database (after any fold in flight)."""
        with self._lock:
            self.db.close()

    def position(self, name: str) -> int:
        """Return the last notification id a projection has folded."""
        row = self.db.execute("SELECT position FROM tracking WHERE projection=?", (name,))
        found = row.fetchone()
        return int(found[0]) if found else 0

    def catch_up(self, progress: Progress | None = None, types: set[str] | None = None) -> int:
        """Fold everything stored since the projections' positions; return events folded.

        The types of the events folded are added to `types` when given.

        If another process moved the views on since we last looked, our in-memory state is
        stale: take it up again from the tables before folding.
        """
        with self._lock:
            if self._positions() != self._seen:
                self._restore()
            start = min(self.position(n) for n in self.projections) + 1
            folded, rebuild = 0, False
            batch: list[tuple[int, str, bytes]] = []
            for item in self.log.scan(start, BATCH):
                batch.append(item)
                if len(batch) == BATCH:
                    n, rebuild = self._fold(batch, types)
                    folded, batch = folded + n, []
                    if progress:
                        progress(BATCH)
                    if rebuild:
                        break
            if batch and not rebuild:
                n, rebuild = self._fold(batch, types)
                folded += n
                if progress:
                    progress(len(batch))
            if rebuild:
                return self.rebuild(progress=progress, types=types)
            self._index()
            return folded

    def rebuild(
        self,
        names: Iterable[str] | None = None,
        progress: Progress | None = None,
        types: set[str] | None = None,
    ) -> int:
        """Drop views and tracking of the named projections (default all) and replay from zero."""
        with self._lock:
            for name in list(names or self.projections):
                old = self.projections[name]
                self._drop([old])
                self.db.execute("DELETE FROM tracking WHERE projection=?", (name,))
                self.db.execute("DELETE FROM unfolded WHERE projection=?", (name,))
                fresh = self._factories[name]()
                self._create(fresh)
                self.projections[name] = fresh
            self._seen = self._positions()
            return self.catch_up(progress, types)

    def unfolded(self, limit: int = 100) -> list[dict[str, object]]:
        """Return the events a projection could not fold, with the reason."""
        with self._lock:
            rows = self.db.execute(
                "SELECT projection, event_id, position, reason FROM unfolded "
                "ORDER BY position, projection LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("projection", "event_id", "position", "reason")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def unfolded_count(self) -> int:
        """Return how many (projection, event) pairs could not be folded."""
        with self._lock:
            return int(self.db.execute("SELECT count(*) FROM unfolded").fetchone()[0])

    def digests(self) -> dict[str, str]:
        """Return a BLAKE3 digest of each projection's rows (and of the events it could not
        fold), in a canonical order."""
        out = {}
        for name, p in self.projections.items():
            skipped = self.db.execute(
                "SELECT event_id, reason FROM unfolded WHERE projection=? ORDER BY 1", (name,)
            ).fetchall()
            h = [msgspec.msgpack.encode(["unfolded", skipped])] if skipped else []
            for t in p.tables:
                order = ",".join(str(i + 1) for i in range(len(t.columns)))
                rows = self.db.execute(f"SELECT * FROM {t.name} ORDER BY {order}").fetchall()
                h.append(msgspec.msgpack.encode([t.name, rows]))
            out[name] = blake3_256(b"".join(h)).hex()
        return out

    def _fold(
        self, batch: list[tuple[int, str, bytes]], types: set[str] | None
    ) -> tuple[int, bool]:
        """Fold a batch; if its rows cannot be written, fold its events one at a time, and an
        event whose rows a view cannot write is recorded as not folded by that view."""
        try:
            return self._fold_batch(batch, types)
        except sqlite3.OperationalError:
            raise  # the database itself failed (disk, lock): no event is to blame
        except Exception:
            self._restore()
        if len(batch) > 1:
            folded, rebuild = 0, False
            for item in batch:
                n, again = self._fold([item], types)
                folded, rebuild = folded + n, rebuild or again
            return folded, rebuild
        folded, rebuild = 0, False
        for name in list(self.projections):
            try:
                n, again = self._fold_batch(batch, types, only=name)
                folded, rebuild = max(folded, n), rebuild or again
            except sqlite3.OperationalError:
                raise
            except Exception as exc:
                self._restore()
                self._skip(batch[0], name, _reason(exc))
        return folded, rebuild

    def _skip(self, item: tuple[int, str, bytes], name: str, reason: str) -> None:
        """Move one view past an event it cannot take, recording why."""
        position, _, state = item
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute(
            "INSERT OR REPLACE INTO unfolded VALUES (?, ?, ?, ?)",
            (name, blake3_256(state).hex(), position, reason),
        )
        self.db.execute("INSERT OR REPLACE INTO tracking VALUES (?, ?)", (name, position))
        self.db.execute("COMMIT")
        self._seen = self._positions()

    def _fold_batch(
        self, batch: list[tuple[int, str, bytes]], types: set[str] | None, only: str = ""
    ) -> tuple[int, bool]:
        positions = self._seen
        views = {only: self.projections[only]} if only else self.projections
        skipped: list[tuple[str, str, int, str]] = []
        frozen, rebuild, folded = self.frozen, False, 0
        new_frozen: list[ForkRecord] = []
        folds = [(name, p.apply) for name, p in views.items()]
        for position, topic, state in batch:
            if topic == FORK_TOPIC:
                record = fork_record(state)
                if record.seq < frozen.get(record.author, record.seq + 1):
                    frozen[record.author] = record.seq
                    new_frozen.append(record)
                    rebuild = True
                for name, p in views.items():
                    if position > positions[name]:
                        p.fork(record)
                continue
            event = envelope.decode_stored(state)
            if frozen and event.seq >= frozen.get(event.author, event.seq + 1):
                continue
            recorded = Recorded(blake3_256(state), event, len(state))
            folded += 1
            if types is not None:
                types.add(event.type)
            for name, apply in folds:
                if position > positions[name]:
                    try:
                        apply(recorded)
                    except Exception as exc:  # a view that cannot fold one event goes on
                        skipped.append((name, recorded.id.hex(), position, _reason(exc)))
        last = batch[-1][0]
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for record in new_frozen:
                self.db.execute(
                    "INSERT OR REPLACE INTO frozen VALUES (?, ?)", (record.author, record.seq)
                )
            self.db.executemany("INSERT OR REPLACE INTO unfolded VALUES (?, ?, ?, ?)", skipped)
            for name, p in views.items():
                writes = p.flush()
                for t in p.tables:
                    if t.name in writes.replace:
                        self.db.execute(f"DELETE FROM {t.name}")
                    rows = writes.upserts.get(t.name)
                    if rows:
                        marks = ",".join("?" * len(t.columns))
                        self.db.executemany(
                            f"INSERT OR REPLACE INTO {t.name} VALUES ({marks})", rows
                        )
                self.db.execute("INSERT OR REPLACE INTO tracking VALUES (?, ?)", (name, last))
        except BaseException:
            self.db.execute("ROLLBACK")
            self._seen = {}  # memory ran ahead of the tables: take them up again next time
            raise
        self.db.execute("COMMIT")
        self._seen = self._positions()
        return folded, rebuild

    def _columns(self, table: str) -> tuple[str, ...]:
        return tuple(r[1] for r in self.db.execute(f"PRAGMA table_info({table})"))

    def _create(self, p: Projection) -> None:
        for t in p.tables:
            self.db.execute(_ddl(t))

    def _index(self) -> None:
        """Create the secondary indexes missing: after the catch-up that filled a new table,
        so a replay writes rows in key order and builds each index once, sorted."""
        for p in self.projections.values():
            for t in p.tables:
                for columns in t.indexes:
                    name = f"{t.name}_{'_'.join(columns)}"
                    self.db.execute(
                        f"CREATE INDEX IF NOT EXISTS {name} ON {t.name} ({', '.join(columns)})"
                    )

    def _drop(self, projections: Sequence[Projection]) -> None:
        for p in projections:
            for t in p.tables:
                self.db.execute(f"DROP TABLE IF EXISTS {t.name}")


def _reason(exc: BaseException) -> str:
    """Why an event was not folded, in words that are the same on every node."""
    return f"{type(exc).__name__}: {exc}"[:300]


def _ddl(t: Table) -> str:
    key = ", ".join(t.columns[: t.key])
    return f"CREATE TABLE IF NOT EXISTS {t.name} ({', '.join(t.columns)}, PRIMARY KEY ({key}))"
