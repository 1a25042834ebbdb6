"""`hearthnet log query`: DuckDB over the log (table `events`) and the projections' views."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from hearthnet.adapters.archive import ARROW_SCHEMA, arrow_batches, stored_events

if TYPE_CHECKING:
    import sqlite3

    from hearthnet.adapters.event_log import EventLog


class QueryError(ValueError):
    """A query DuckDB refused."""


def run_query(
    log: EventLog, views: sqlite3.Connection, sql: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run SQL in an in-memory DuckDB holding only the tables the query names."""
    con = duckdb.connect()
    try:
        names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql.lower()))
        if "events" in names:
            con.register(
                "events",
                pa.Table.from_batches(
                    list(arrow_batches(stored_events(log), log.hash)), ARROW_SCHEMA
                ),
            )
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
