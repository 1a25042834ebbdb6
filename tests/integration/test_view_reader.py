"""The views' reader: a query never reads a snapshot older than the fold before it began."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import TYPE_CHECKING

from hearthnet.adapters.view_reader import ViewReader

if TYPE_CHECKING:
    from pathlib import Path


async def test_a_query_begun_after_a_fold_sees_it_while_another_query_is_in_flight(
    tmp_path: Path,
) -> None:
    path = tmp_path / "views.sqlite"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE facts (n INTEGER)")
    writer.executemany("INSERT INTO facts VALUES (?)", [(1,), (2,), (3,)])
    reader = ViewReader(path)
    await reader.open()
    loop = asyncio.get_running_loop()
    first_row_read = asyncio.Event()

    def mark(n: int) -> int:  # runs on the reader's thread, inside the first query
        if n == 1:
            loop.call_soon_threadsafe(first_row_read.set)
        return n

    assert reader._db is not None
    await reader._db.create_function("mark", 1, mark)
    try:
        slow = asyncio.create_task(reader.query("SELECT mark(n) AS n FROM facts", {}))
        await first_row_read.wait()  # the first query holds its snapshot from here on
        writer.execute("INSERT INTO facts VALUES (4)")  # a fold commits
        after = await reader.query("SELECT count(*) AS total FROM facts", {})
        assert after == [{"total": 4}], "the query begun after the fold reads it"
        assert len(await slow) == 3, "the query in flight reads one snapshot to its end"
    finally:
        await reader.close()
        writer.close()
