"""The projection contract: a deterministic fold plus the tables it keeps.

A projection never touches a database. It folds recorded events into an in-memory state and
hands back rows; the runner writes them in the same transaction as its tracking position.
Whatever order the events of one set arrive in, the rows must come out identical.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

Row = tuple[object, ...]


class Table(NamedTuple):
    """A view table: its name, its columns and which leading columns form the key."""

    name: str
    columns: tuple[str, ...]
    key: int = 1
    indexes: tuple[tuple[str, ...], ...] = ()
    restore: bool = True
    """Whether the projection takes the table's rows back up at start (large append-only
    tables that need no state say no)."""


class Writes(NamedTuple):
    """Rows to upsert per table; tables in `replace` are rewritten whole."""

    upserts: Mapping[str, Sequence[Row]]
    replace: frozenset[str] = frozenset()


class Projection(Protocol):
    """A read model: its tables, an initial state, a fold, and the rows it changed."""

    @property
    def name(self) -> str:
        """The projection's name, used for tracking and on the command line."""
        ...

    @property
    def tables(self) -> tuple[Table, ...]:
        """The view tables it keeps."""
        ...

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Take up the state kept in its tables (empty tables: the initial state)."""
        ...

    def apply(self, recorded: Recorded) -> None:
        """Fold one event into the state; unknown or malformed bodies are skipped."""
        ...

    def fork(self, proof: ForkRecord) -> None:
        """Note a proven fork: the runner no longer feeds this author's events from its seq."""
        ...

    def flush(self) -> Writes:
        """Return the rows changed since the last flush."""
        ...
