"""`hearthnet log ...`: inspect, verify, replay, export, import and query the community log."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hearthnet.adapters.analysis import QueryError, run_query
from hearthnet.adapters.archive import FORMATS, ArchiveError, event_row, export, read_raws
from hearthnet.adapters.audit import audit, check_event
from hearthnet.adapters.placement import StoreError
from hearthnet.adapters.recorders import FORK_TOPIC, feed_uuid
from hearthnet.cli.output import (
    EXIT_INTEGRITY,
    Failure,
    emit_fields,
    emit_json,
    emit_table,
    json_option,
    stderr,
    stdout,
)
from hearthnet.cli.session import node_session
from hearthnet.domain.types import (
    InvalidIdentifier,
    format_ms,
    parse_event_id_prefix,
    parse_node_id,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hearthnet.adapters.event_log import EventLog


@click.group()
def log() -> None:
    """Inspect and audit the community log."""


def _when(ts: int) -> str:
    return format_ms(ts)


def _rows(
    log_: EventLog,
    start: int,
    types: tuple[str, ...],
    author: bytes | None,
    stop: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield matching events from position start (to stop) as rows."""
    oid = feed_uuid(author) if author else None
    while rows := log_.recorder.select_notifications(start, 1000, stop):
        start = rows[-1].id + 1
        for n in rows:
            if n.topic == FORK_TOPIC or (types and n.topic not in types):
                continue
            if oid is not None and n.originator_id != oid:
                continue
            yield event_row(n.id, n.state, log_.hash(n.state))


def _print_row(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(row)
    else:
        stdout.print(
            f"{row['position']:>8}  L{row['lamport']:<8} {_when(row['ts'])}  "
            f"{row['author'][:20]}…  #{row['seq']:<5} {row['type']:<30} {row['id'][:16]}"
        )


def _author_option(value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        return parse_node_id(value)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="--author") from None


@log.command()
@click.option("-n", "count", type=click.IntRange(min=0), default=20, help="How many (default 20).")
@click.option("-f", "--follow", is_flag=True, help="Keep streaming new events as they arrive.")
@click.option("--type", "types", multiple=True, help="Only this event type (repeatable).")
@click.option("--author", help="Only events by this node id.")
@json_option
def tail(
    count: int, follow: bool, types: tuple[str, ...], author: str | None, as_json: bool
) -> None:
    """Print the newest events (JSON Lines with --json); -f follows live."""
    key = _author_option(author)
    with node_session() as node:
        last = node.log.recorder.max_notification_id() or 0
        window, found = max(count * 4, 1000), list[dict[str, Any]]()
        stop = last
        while stop > 0 and len(found) < count:
            start = max(1, stop - window + 1)
            found[:0] = list(_rows(node.log, start, types, key, stop))
            stop, window = start - 1, window * 2
        for row in found[len(found) - count :] if count else []:
            _print_row(row, as_json)
        while follow:
            new = list(_rows(node.log, last + 1, types, key))
            last = node.log.recorder.max_notification_id() or last
            for row in new:
                _print_row(row, as_json)
            time.sleep(0.2)


@log.command()
@click.argument("event_id")
@json_option
def show(event_id: str, as_json: bool) -> None:
    """Show one event: envelope, decoded body and verification status."""
    try:
        prefix = parse_event_id_prefix(event_id)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="EVENT_ID") from None
    with node_session() as node:
        found = node.log.find(prefix)
        if not found:
            raise Failure(f"no event with id {event_id}")
        if len(found) > 1:
            raise Failure(f"{event_id} is ambiguous: {len(found)} events match")
        raw = found[0]
        row = event_row(0, raw, node.log.hash(raw))
        del row["position"]
        row["verification"] = status = check_event(node.log, raw)
    if as_json:
        emit_json(row)
    else:
        emit_fields({k: v for k, v in row.items() if k not in ("body", "verification")})
        stdout.print_json(data=row["body"])
        emit_fields(status)
    if not all(status.values()):
        raise click.exceptions.Exit(EXIT_INTEGRITY)


def _progress(total: int | None, label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )


@log.command()
@json_option
def verify(as_json: bool) -> None:
    """Re-verify every signature and every chain; exit 4 and list all problems if any."""
    with node_session() as node:
        total = node.log.recorder.max_notification_id() or 0
        with _progress(total, "verifying") as bar:
            task = bar.add_task("verify", total=total)
            report = audit(
                node.log,
                progress=lambda n: bar.advance(task, n),
                url=node.store_url,
                workers=os.cpu_count() or 1,
            )
    summary = {
        "events": report.events,
        "authors": report.authors,
        "fork_proofs": report.fork_proofs,
        "problems": len(report.problems),
    }
    if as_json:
        emit_json(
            {**summary, "ok": not report.problems, "details": [p.__dict__ for p in report.problems]}
        )
    else:
        if report.problems:
            emit_table(
                "problems",
                ["position", "event", "author", "seq", "problem"],
                [(p.position, p.event_id, p.author, p.seq, p.problem) for p in report.problems],
            )
        emit_fields(summary)
        stdout.print(
            "[green]log verified: clean[/]"
            if not report.problems
            else "[red]log verification found problems[/]"
        )
    if report.problems:
        raise click.exceptions.Exit(EXIT_INTEGRITY)


@log.command()
@json_option
def stats(as_json: bool) -> None:
    """Print events, authors, heads, forks and bytes."""
    with node_session() as node:
        node.views.catch_up()
        db = node.views.db
        events, authors, size = db.execute(
            "SELECT COALESCE(SUM(events),0), COUNT(*), COALESCE(SUM(bytes),0) FROM feeds"
        ).fetchone()
        heads = [
            dict(zip(("author", "seq", "id", "max_lamport"), r, strict=True))
            for r in db.execute(
                "SELECT author, head_seq, head_id, max_lamport FROM feeds ORDER BY author"
            )
        ]
        forks = [
            {"author": a, "frozen_at": seq}
            for a, seq in db.execute("SELECT author, frozen_at FROM forks ORDER BY author")
        ]
        unfolded = node.views.unfolded()
        out = {
            "events": node.log.recorder.count_events(),
            "events_in_views": events,
            "authors": authors,
            "bytes": size,
            "max_lamport": node.log.max_lamport,
            "forks": forks,
            "unfolded": unfolded,
            "heads": heads,
            "store": node.store_url.split("@")[-1],
        }
    if as_json:
        emit_json(out)
        return
    emit_fields(
        {k: out[k] for k in ("events", "authors", "bytes", "max_lamport", "store")}
        | {"forks": len(forks)}
    )
    emit_table(
        "heads",
        ["author", "seq", "head id", "max lamport"],
        [(h["author"], h["seq"], h["id"][:16], h["max_lamport"]) for h in heads[:50]],
    )
    if forks:
        emit_table(
            "forks", ["author", "frozen at seq"], [(f["author"], f["frozen_at"]) for f in forks]
        )
    if unfolded:
        emit_table(
            "events a view could not fold",
            ["view", "event", "position", "reason"],
            [
                (u["projection"], str(u["event_id"])[:16], u["position"], u["reason"])
                for u in unfolded
            ],
        )


@log.command()
@click.option("--projection", "names", multiple=True, help="Only this projection (repeatable).")
@json_option
def replay(names: tuple[str, ...], as_json: bool) -> None:
    """Rebuild projections from zero with a progress bar; print their digests."""
    with node_session() as node:
        unknown = set(names) - set(node.views.projections)
        if unknown:
            raise click.BadParameter(
                f"unknown projection(s) {sorted(unknown)}; known: {sorted(node.views.projections)}",
                param_hint="--projection",
            )
        total = node.log.recorder.max_notification_id() or 0
        started = time.perf_counter()
        with _progress(total, "replaying") as bar:
            task = bar.add_task("replay", total=total)
            folded = node.views.rebuild(names or None, progress=lambda n: bar.advance(task, n))
        seconds = time.perf_counter() - started
        digests = node.views.digests()
    shown = {k: v for k, v in digests.items() if not names or k in names}
    if as_json:
        emit_json({"events": folded, "seconds": round(seconds, 3), "digests": shown})
    else:
        emit_table(
            f"replayed {folded} events in {seconds:.2f} s",
            ["projection", "digest"],
            list(shown.items()),
        )


@log.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="jsonl")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
def export_cmd(fmt: str, file: Path, as_json: bool) -> None:
    """Write the whole log to FILE (JSON Lines or Parquet), signed bytes included."""
    with node_session() as node:
        count = export(node.log, file, fmt)
    if as_json:
        emit_json({"file": str(file), "format": fmt, "events": count})
    else:
        stdout.print(f"exported {count} events to {file}")


@log.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
def import_cmd(file: Path, as_json: bool) -> None:
    """Verify and append the events of an export; exit 4 if any is refused."""
    stored = duplicates = 0
    rejected: list[tuple[str, str]] = []
    with node_session() as node:
        try:
            for raws in read_raws(file):
                report = node.log.ingest(raws)
                stored += len(report.stored)
                duplicates += len(report.duplicates)
                rejected += report.rejected
        except ArchiveError as exc:
            raise Failure(str(exc)) from None
        except StoreError as exc:
            raise Failure(str(exc)) from None
        buffered = node.log.buffered_count()
        node.views.catch_up()
    out = {
        "stored": stored,
        "duplicates": duplicates,
        "rejected": len(rejected),
        "missing_predecessors": buffered,
        "details": [{"event_id": i, "reason": r} for i, r in rejected],
    }
    if as_json:
        emit_json(out)
    else:
        emit_fields({k: v for k, v in out.items() if k != "details"})
        for i, r in rejected[:50]:
            stderr.print(f"refused {i}: {r}")
    if rejected or buffered:
        raise click.exceptions.Exit(EXIT_INTEGRITY)


@log.command()
@click.argument("sql")
@json_option
def query(sql: str, as_json: bool) -> None:
    """Run SQL with DuckDB over `events` and the views (feeds, forks, members, invites ...)."""
    with node_session() as node:
        node.views.catch_up()
        try:
            columns, rows = run_query(node.log, node.views.db, sql)
        except QueryError as exc:
            raise Failure(f"query failed: {exc}") from None
    if as_json:
        emit_json([dict(zip(columns, r, strict=True)) for r in rows])
    else:
        emit_table(None, columns, rows)


COMMANDS = (log,)
