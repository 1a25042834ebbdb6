"""`hearthnet log query`: DuckDB over the log (table `events`) and the projections' views."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from hearthnet.adapters.recorders import FORK_TOPIC
from hearthnet.domain import envelope
from hearthnet.domain.types import node_id

if TYPE_CHECKING:
    import sqlite3

    from hearthnet.adapters.event_log import EventLog

EVENTS_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("id", pa.string()),
        ("author", pa.string()),
        ("seq", pa.int64()),
        ("lamport", pa.int64()),
        ("ts", pa.int64()),
        ("type", pa.string()),
        ("size", pa.int64()),
        ("body", pa.binary()),
    ]
)


class QueryError(ValueError):
    """A query DuckDB refused."""


def _events_table(log: EventLog) -> pa.Table:
    columns: list[list[Any]] = [[] for _ in EVENTS_SCHEMA]
    hash_ = log.hash
    for position, topic, raw in log.scan():
        if topic == FORK_TOPIC:
            continue
        e = envelope.decode_stored(raw)
        for col, value in zip(
            columns,
            (
                position,
                hash_(raw).hex(),
                node_id(e.author),
                e.seq,
                e.lamport,
                e.ts,
                e.type,
                len(raw),
                e.body,
            ),
            strict=True,
        ):
            col.append(value)
    return pa.Table.from_arrays(columns, schema=EVENTS_SCHEMA)


def run_query(
    log: EventLog, views: sqlite3.Connection, sql: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run SQL in an in-memory DuckDB holding only the tables the query names."""
    con = duckdb.connect()
    try:
        names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql.lower()))
        if "events" in names:
            con.register("events", _events_table(log))
        view_tables = [
            r[0] for r in views.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in view_tables:
            if table.lower() in names and table != "events":
                cur = views.execute(f"SELECT * FROM {table}")
                cols = [d[0] for d in cur.description]
                rows = cur.fetchall()
                data = (
                    pa.Table.from_pylist([dict(zip(cols, r, strict=True)) for r in rows])
                    if rows
                    else pa.table({c: pa.array([], pa.string()) for c in cols})
                )
                con.register(table, data)
        try:
            result = con.execute(sql)
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from None
        if result.description is None:
            return [], []
        return [d[0] for d in result.description], result.fetchall()
    finally:
        con.close()
