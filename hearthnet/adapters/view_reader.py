"""Read models queried with aiosqlite: answers for handlers without blocking the event loop."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiosqlite

if TYPE_CHECKING:
    from pathlib import Path


class ViewReader:
    """A read-only connection to the views database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Connect (read-only)."""
        self._db = await aiosqlite.connect(f"file:{self.path}?mode=ro", uri=True)
        self._db.row_factory = aiosqlite.Row

    async def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a query and return rows as dictionaries. The statement runs to its end in one
        step of the connection's thread: a statement left open between steps would hold the
        connection's snapshot, and a query that starts meanwhile would read the views as they
        were before the latest fold."""
        assert self._db is not None, "open() first"
        return [dict(row) for row in await self._db.execute_fetchall(sql, params)]

    async def close(self) -> None:
        """Disconnect."""
        if self._db is not None:
            await self._db.close()
