"""Log: the event inspector. A live tail paged newest first, filters by type, author and time,
each event's envelope, body and signature status, a whole-log verify with a progress bar, the
feeds with their forks."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from nicegui import ui

from ui.live import call, follow
from ui.pages import Page
from ui.strings import t

if TYPE_CHECKING:
    from ui.ports import NodePorts

PAGE_SIZE = 50


def parse_since(text: str) -> int | None:
    """Milliseconds since the epoch of 'YYYY-MM-DD[ HH:MM]' in local time; 0 for empty."""
    text = text.strip()
    if not text:
        return 0
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return int(datetime.strptime(text, pattern).timestamp() * 1000)
        except ValueError:
            continue
    return None


def shown_time(ts: int) -> str:
    """An event's time in local time; a time outside the calendar shows as its raw number."""
    try:
        return time.strftime("%d.%m. %H:%M:%S", time.localtime(ts / 1000))
    except (ValueError, OverflowError, OSError):
        return f"{ts} ms"


def build(ports: NodePorts, me: str) -> None:
    """The log page."""
    cursors: list[str] = [""]
    following = {"next": ""}
    ui.label(t("log")).classes("text-xl font-bold")
    with ui.row().classes("w-full items-end gap-2"):
        kind = ui.select({"": t("all")}, value="", label=t("type"), with_input=True)
        kind.classes("w-56").mark("filter-type")
        author = ui.select({"": t("all")}, value="", label=t("author"), with_input=True)
        author.classes("w-56").mark("filter-author")
        since = (
            ui.input(
                t("since"), validation={t("bad_time"): lambda v: parse_since(v or "") is not None}
            )
            .classes("w-56")
            .mark("filter-since")
        )
        live = ui.badge(t("live"), color="positive").props("outline")
    columns = [
        {"name": "lamport", "label": "Lamport", "field": "lamport"},
        {"name": "time", "label": "ts", "field": "time"},
        {"name": "type", "label": t("type"), "field": "type", "align": "left"},
        {"name": "author", "label": t("author"), "field": "who", "align": "left"},
        {"name": "seq", "label": "seq", "field": "seq"},
        {"name": "id", "label": "id", "field": "short", "align": "left"},
        {"name": "fork", "label": "", "field": "fork"},
    ]
    table = ui.table(columns=columns, rows=[], row_key="event_id").classes("w-full")
    table.props("dense flat wrap-cells").mark("events")
    with ui.row().classes("items-center gap-2"):
        ui.button(t("newest"), icon="first_page", on_click=lambda: first()).props("flat")
        older = ui.button(t("older"), icon="chevron_right", on_click=lambda: page_on())
        older.props("flat").mark("older")
        ui.space()
        ui.button(t("verify"), icon="verified", on_click=lambda: verify()).mark("verify")
    progress = ui.linear_progress(value=0, show_value=False).classes("w-full").mark("progress")
    outcome = ui.label("").mark("verify-outcome")
    ui.label(t("feeds")).classes("text-lg font-bold")
    feeds_table = (
        ui.table(
            columns=[
                {"name": "author", "label": t("author"), "field": "who", "align": "left"},
                {"name": "events", "label": t("events"), "field": "events"},
                {"name": "head", "label": "seq", "field": "head_seq"},
                {"name": "fork", "label": "", "field": "fork"},
            ],
            rows=[],
            row_key="author",
        )
        .classes("w-full")
        .props("dense flat")
        .mark("feeds")
    )
    detail = ui.dialog()

    async def load() -> None:
        wanted: dict[str, Any] = {"limit": PAGE_SIZE, "before": cursors[-1]}
        if kind.value:
            wanted["type"] = kind.value
        if author.value:
            wanted["author"] = author.value
        start = parse_since(since.value or "")
        if start:
            wanted["since_ts"] = start
        found = await call(ports, "log.page", wanted)
        if found is None:
            return
        table.rows = [
            {
                **e,
                "time": shown_time(e["ts"]),
                "who": e["author"][8:24],
                "short": e["event_id"][:12],
                "fork": t("forked") if e["forked"] else "",
            }
            for e in found["events"]
        ]
        table.update()
        older.set_enabled(bool(found["next"]))
        following["next"] = found["next"]
        live.set_visibility(len(cursors) == 1)

    async def refresh_feeds() -> None:
        found = await call(ports, "log.feeds", {})
        if found is None:
            return
        kind.set_options({"": t("all"), **{name: name for name in found["types"]}})
        author.set_options(
            {
                "": t("all"),
                **{f["author"]: f["display_name"] or f["author"][8:24] for f in found["feeds"]},
            }
        )
        feeds_table.rows = [
            {
                **f,
                "who": f["display_name"] or f["author"][8:24],
                "fork": f"{t('forked')} @ {f['frozen_at']}" if f["frozen_at"] is not None else "",
            }
            for f in found["feeds"]
        ]
        feeds_table.update()

    async def first() -> None:
        del cursors[1:]
        await load()

    async def page_on() -> None:
        cursor, following["next"] = following["next"], ""
        if cursor:
            cursors.append(cursor)
            await load()

    async def on_live() -> None:
        await refresh_feeds()
        if len(cursors) == 1:
            await load()

    async def filters_changed() -> None:
        if since.validate():
            await first()

    async def show(event_id: str) -> None:
        found = await call(ports, "log.event", {"event_id": event_id})
        if found is None:
            return
        checks = found["verification"]
        detail.clear()
        with detail, ui.card().classes("w-full max-w-2xl").mark("event-detail"):
            ui.label(f"{t('event')} {found['type']}").classes("text-lg font-bold")
            if found["frozen_at"] is not None:
                ui.badge(f"{t('forked')} @ seq {found['frozen_at']}", color="negative")
            with ui.grid(columns=2).classes("w-full gap-x-4 gap-y-1 text-sm"):
                for key in ("id", "author", "community", "seq", "prev", "lamport", "ts", "size"):
                    ui.label(key).classes("font-bold")
                    ui.label(str(found[key])).classes("hn-mono")
                ui.label(t("signature")).classes("font-bold")
                ok = all(checks.values())
                ui.label(
                    ", ".join(
                        f"{k}: {t('valid') if v else t('invalid')}" for k, v in checks.items()
                    )
                ).classes("text-positive" if ok else "text-negative").mark("signature-status")
            ui.label(t("body")).classes("font-bold")
            ui.code(json.dumps(found["body"], indent=2, ensure_ascii=False), language="json")
            with ui.row():
                ui.button(
                    t("author"),
                    icon="person",
                    on_click=lambda: (author.set_value(found["author"]), detail.close()),
                ).props("flat")
                ui.button(t("close"), on_click=detail.close).props("flat")
        detail.open()

    async def verify() -> None:
        progress.set_value(0)
        outcome.set_text(t("working"))
        async for name, data in ports.bus.stream("log.verify", {}):
            if name == "progress" and data["total"]:
                progress.set_value(data["done"] / data["total"])
            elif name == "result":
                progress.set_value(1)
                said = (
                    t("verified", events=data["events"])
                    if data["ok"]
                    else t("problems", n=len(data["problems"]))
                )
                unfolded = data.get("unfolded", [])
                if unfolded:
                    said += " · " + t("unfolded", n=len(unfolded))
                outcome.set_text(said)
                healthy = data["ok"] and not unfolded
                outcome.classes(replace="text-positive" if healthy else "text-negative")
            elif name == "error":
                ui.notify(f"{data['error']}: {data['message']}", type="negative")

    table.on("rowClick", lambda e: show(e.args[1]["event_id"]))
    feeds_table.on("rowClick", lambda e: author.set_value(e.args[1]["author"]))
    for field in (kind, author, since):
        field.on_value_change(filters_changed)
    follow(refresh_feeds)
    follow(on_live, ports)


PAGE = Page("/log", "log", "receipt_long", build)
