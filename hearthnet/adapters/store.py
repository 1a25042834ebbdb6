"""Opening the log's store from a URL: `sqlite:///PATH` (the default) or `postgresql://`."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from eventsourcing.postgres import PostgresDatastore

from hearthnet.adapters.postgres_recorder import PostgresLogRecorder
from hearthnet.adapters.sqlite_recorder import SqliteLogRecorder

if TYPE_CHECKING:
    from hearthnet.adapters.recorders import LogRecorder


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
