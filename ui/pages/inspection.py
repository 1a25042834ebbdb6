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
from ui.pages import PHONE_GRID, Page
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


EVENT_COLUMNS = (
    ("lamport", "Lamport", "lamport", ""),
    ("time", "ts", "time", ""),
    ("type", "type", "type", "left"),
    ("author", "author", "who", "left"),
    ("seq", "seq", "seq", ""),
    ("id", "id", "short", "left"),
    ("fork", "", "fork", ""),
)
FEED_COLUMNS = (
    ("author", "author", "who", "left"),
    ("events", "events", "events", ""),
    ("head", "seq", "head_seq", ""),
    ("fork", "", "fork", ""),
)
TRANSLATED = ("type", "author", "events")


def _columns(spec: tuple[tuple[str, str, str, str], ...]) -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "label": t(label) if label in TRANSLATED else label,
            "field": field,
            **({"align": align} if align else {}),
        }
        for name, label, field, align in spec
    ]


class LogPage:
    """One connection's log page: its filters, the page of events shown and the cursors of
    the pages before it."""

    def __init__(self, ports: NodePorts) -> None:
        self.ports = ports
        self.cursors: list[str] = [""]
        self.names: dict[str, str] = {}
        """Each author's member name, from the feeds."""
        self.next = ""
        ui.label(t("log")).classes("text-xl font-bold")
        self._filters()
        self._events()
        self._feeds()
        self.detail = ui.dialog()
        for field in (self.kind, self.author, self.since):
            field.on_value_change(self.filters_changed)
        follow(self.refresh_feeds)
        follow(self.on_live, ports)

    def _filters(self) -> None:
        with ui.row().classes("w-full items-end gap-2"):
            self.kind = ui.select({"": t("all")}, value="", label=t("type"), with_input=True)
            self.kind.classes("w-56").mark("filter-type")
            self.author = ui.select({"": t("all")}, value="", label=t("author"), with_input=True)
            self.author.classes("w-56").mark("filter-author")
            valid = {t("bad_time"): lambda v: parse_since(v or "") is not None}
            self.since = ui.input(t("since"), validation=valid).classes("w-56")
            self.since.mark("filter-since")
            self.live = ui.badge(t("live"), color="positive").props("outline")

    def _events(self) -> None:
        self.table = ui.table(columns=_columns(EVENT_COLUMNS), rows=[], row_key="event_id")
        self.table.classes("w-full").props(f"dense flat wrap-cells {PHONE_GRID}").mark("events")
        self.table.on("rowClick", lambda e: self.show(e.args[1]["event_id"]))
        with ui.row().classes("items-center gap-2"):
            ui.button(t("newest"), icon="first_page", on_click=self.first).props("flat")
            self.older = ui.button(t("older"), icon="chevron_right", on_click=self.page_on)
            self.older.props("flat").mark("older")
            ui.space()
            ui.button(t("verify"), icon="verified", on_click=self.verify).mark("verify")
        self.progress = ui.linear_progress(value=0, show_value=False).classes("w-full")
        self.progress.props(f'aria-label="{t("verify")}"')
        self.progress.mark("progress")
        self.outcome = ui.label("").mark("verify-outcome")

    def _feeds(self) -> None:
        ui.label(t("feeds")).classes("text-lg font-bold")
        self.feeds = ui.table(columns=_columns(FEED_COLUMNS), rows=[], row_key="author")
        self.feeds.classes("w-full").props(f"dense flat {PHONE_GRID}").mark("feeds")
        self.feeds.on("rowClick", lambda e: self.author.set_value(e.args[1]["author"]))

    async def load(self) -> None:
        """Show the page of events after the current cursor, as the filters ask."""
        wanted: dict[str, Any] = {"limit": PAGE_SIZE, "before": self.cursors[-1]}
        if self.kind.value:
            wanted["type"] = self.kind.value
        if self.author.value:
            wanted["author"] = self.author.value
        start = parse_since(self.since.value or "")
        if start:
            wanted["since_ts"] = start
        found = await call(self.ports, "log.page", wanted)
        if found is None:
            return
        self.table.rows = [
            {
                **e,
                "time": shown_time(e["ts"]),
                "who": self.names.get(e["author"]) or e["author"][8:24],
                "short": e["event_id"][:12],
                "fork": t("forked") if e["forked"] else "",
            }
            for e in found["events"]
        ]
        self.table.update()
        self.older.set_enabled(bool(found["next"]))
        self.next = found["next"]
        self.live.set_visibility(len(self.cursors) == 1)

    async def refresh_feeds(self) -> None:
        """The feeds table and the filters' choices."""
        found = await call(self.ports, "log.feeds", {})
        if found is None:
            return
        self.kind.set_options({"": t("all"), **{name: name for name in found["types"]}})
        names = {f["author"]: f["display_name"] or f["author"][8:24] for f in found["feeds"]}
        self.author.set_options({"": t("all"), **names})
        if names != self.names:
            self.names = names
            for row in self.table.rows:
                row["who"] = names.get(row["author"]) or row["author"][8:24]
            self.table.update()
        self.feeds.rows = [
            {
                **f,
                "who": f["display_name"] or f["author"][8:24],
                "fork": f"{t('forked')} @ {f['frozen_at']}" if f["frozen_at"] is not None else "",
            }
            for f in found["feeds"]
        ]
        self.feeds.update()

    async def first(self) -> None:
        """Back to the newest page."""
        del self.cursors[1:]
        await self.load()

    async def page_on(self) -> None:
        """One page older."""
        cursor, self.next = self.next, ""
        if cursor:
            self.cursors.append(cursor)
            await self.load()

    async def on_live(self) -> None:
        """The log moved on: refresh the feeds, and the events when the newest page shows."""
        await self.refresh_feeds()
        if len(self.cursors) == 1:
            await self.load()

    async def filters_changed(self) -> None:
        """Start over from the newest page when the filters are valid."""
        if self.since.validate():
            await self.first()

    async def show(self, event_id: str) -> None:
        """One event's envelope, verification and body in a dialog."""
        found = await call(self.ports, "log.event", {"event_id": event_id})
        if found is None:
            return
        self.detail.clear()
        with self.detail, ui.card().classes("w-full max-w-2xl").mark("event-detail"):
            ui.label(f"{t('event')} {found['type']}").classes("text-lg font-bold")
            if found["frozen_at"] is not None:
                ui.badge(f"{t('forked')} @ seq {found['frozen_at']}", color="negative")
            _envelope(found)
            ui.label(t("body")).classes("font-bold")
            ui.code(json.dumps(found["body"], indent=2, ensure_ascii=False), language="json")
            with ui.row():
                by_author = lambda: (self.author.set_value(found["author"]), self.detail.close())  # noqa: E731
                ui.button(t("author"), icon="person", on_click=by_author).props("flat")
                ui.button(t("close"), on_click=self.detail.close).props("flat")
        self.detail.open()

    async def verify(self) -> None:
        """Audit the whole log, with a progress bar and the outcome."""
        self.progress.set_value(0)
        self.outcome.set_text(t("working"))
        async for name, data in self.ports.bus.stream("log.verify", {}):
            if name == "progress" and data["total"]:
                self.progress.set_value(data["done"] / data["total"])
            elif name == "result":
                self.progress.set_value(1)
                self._verified(data)
            elif name == "error":
                ui.notify(f"{data['error']}: {data['message']}", type="negative")

    def _verified(self, data: dict[str, Any]) -> None:
        said = (
            t("verified", events=data["events"])
            if data["ok"]
            else t("problems", n=len(data["problems"]))
        )
        unfolded = data.get("unfolded", [])
        if unfolded:
            said += " · " + t("unfolded", n=len(unfolded))
        self.outcome.set_text(said)
        healthy = data["ok"] and not unfolded
        self.outcome.classes(replace="text-positive" if healthy else "text-negative")


def _envelope(found: dict[str, Any]) -> None:
    checks = found["verification"]
    with ui.grid(columns=2).classes("w-full gap-x-4 gap-y-1 text-sm"):
        for key in ("id", "author", "community", "seq", "prev", "lamport", "ts", "size"):
            ui.label(key).classes("font-bold")
            ui.label(str(found[key])).classes("hn-mono")
        ui.label(t("signature")).classes("font-bold")
        ok = all(checks.values())
        said = ", ".join(f"{k}: {t('valid') if v else t('invalid')}" for k, v in checks.items())
        ui.label(said).classes("text-positive" if ok else "text-negative").mark("signature-status")


def build(ports: NodePorts, me: str) -> None:
    """The log page."""
    LogPage(ports)


PAGE = Page("/log", "log", "receipt_long", build)
