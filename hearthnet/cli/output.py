"""Printing results: rich for people, JSON (or JSON Lines for streams) for machines."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
import msgspec
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Sequence

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTEGRITY = 0, 1, 2, 4

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)
_json = msgspec.json.Encoder()


class Failure(click.ClickException):
    """An error to report on stderr with exit code 1."""

    exit_code = EXIT_ERROR

    def exit_status(self) -> int:
        """The process exit code for this failure."""
        return self.exit_code

    def show(self, file: Any = None) -> None:
        """Print the message on stderr."""
        stderr.print(f"[bold red]error:[/] {escape(self.message)}", markup=True, highlight=False)


def json_option(f: Any) -> Any:
    """Add `--json` to a command."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")(f)


def emit_json(value: Any) -> None:
    """Write one JSON document (or one JSON Lines record) to stdout and flush."""
    sys.stdout.buffer.write(_json.encode(value) + b"\n")
    sys.stdout.flush()


def emit_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print rows as a table for people."""
    table = Table(title=title, show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    stdout.print(table)


def emit_fields(fields: dict[str, Any]) -> None:
    """Print key/value pairs for people."""
    width = max(map(len, fields), default=0)
    for key, value in fields.items():
        stdout.print(f"[bold]{key.ljust(width)}[/]  {value}", markup=True, highlight=False)
