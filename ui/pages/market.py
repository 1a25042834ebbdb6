"""Board: the marketplace with category, tag and word filters, a new-post form, and the
fulfil/withdraw buttons on this node's own posts."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from nicegui import ui

from ui.live import call, follow
from ui.pages import Page
from ui.strings import t

if TYPE_CHECKING:
    from ui.ports import NodePorts

CATEGORIES = ("offer", "request", "info", "emergency")
PAGE_SIZE = 50


def parse_tags(text: str) -> list[str]:
    """Split a comma separated tag list."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def tags_ok(text: str) -> bool:
    """At most 10 tags of at most 32 characters."""
    tags = parse_tags(text)
    return len(tags) <= 10 and all(len(tag) <= 32 for tag in tags)


def build(ports: NodePorts, me: str) -> None:
    """The board page."""
    shown = {"limit": PAGE_SIZE}
    with ui.row().classes("w-full items-center gap-2"):
        ui.label(t("board")).classes("text-xl font-bold")
        ui.space()
        new_post = ui.button(t("new_post"), icon="add").mark("new-post")
    with ui.row().classes("w-full items-end gap-2"):
        category = (
            ui.select(
                {"": t("all"), **{c: t(c) for c in CATEGORIES}}, value="", label=t("category")
            )
            .classes("w-36")
            .mark("filter-category")
        )
        tag = ui.input(t("tag")).classes("w-36").mark("filter-tag")
        words = ui.input(t("search")).classes("grow").mark("search")
    posts_area = ui.column().classes("w-full gap-2")
    more = ui.button(t("more"), on_click=lambda: show_more()).props("flat").mark("more")

    with ui.dialog() as dialog, ui.card().classes("w-full max-w-lg"):
        ui.label(t("new_post")).classes("text-lg font-bold")
        title = (
            ui.input(
                t("title"),
                validation={
                    t("required"): lambda v: bool(v and v.strip()),
                    t("too_long", n=120): lambda v: len(v or "") <= 120,
                },
            )
            .classes("w-full")
            .mark("post-title")
        )
        text = (
            ui.textarea(
                t("text"), validation={t("too_long", n=2000): lambda v: len(v or "") <= 2000}
            )
            .classes("w-full")
            .mark("post-body")
        )
        kind = ui.select({c: t(c) for c in CATEGORIES}, value="offer", label=t("category"))
        kind.classes("w-full").mark("post-category")
        tags = ui.input(t("tags"), validation={t("too_many_tags"): tags_ok}).classes("w-full")
        tags.mark("post-tags")
        days = ui.number(t("days"), value=7, min=1, max=30, precision=0).classes("w-full")
        with ui.row().classes("w-full justify-end"):
            ui.button(t("cancel"), on_click=dialog.close).props("flat")
            ui.button(t("publish"), on_click=lambda: publish()).mark("publish")
    new_post.on_click(dialog.open)

    async def publish() -> None:
        if not all(field.validate() for field in (title, text, tags)) or not title.value.strip():
            title.validate()
            return
        post = {
            "client_id": uuid.uuid4().hex,
            "category": kind.value,
            "title": title.value.strip(),
            "body": text.value or "",
            "tags": parse_tags(tags.value or ""),
            "ttl_seconds": int(days.value or 7) * 86400,
        }
        if await call(ports, "market.post", post) is None:
            return
        ui.notify(t("posted", title=post["title"]), type="positive")
        for field in (title, text, tags):
            field.set_value("")
        dialog.close()
        await refresh()

    async def expire(event_id: str, reason: str) -> None:
        if await call(ports, "market.expire", {"event_id": event_id, "reason": reason}):
            ui.notify(t("expired"), type="info")
            await refresh()

    def card(post: dict[str, Any]) -> None:
        with ui.card().classes("w-full").mark(f"post-{post['event_id'][:12]}"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.badge(t(post["category"]) if post["category"] in CATEGORIES else "")
                ui.label(post["title"]).classes("text-base font-bold")
                ui.space()
                ui.label(t("by", who=post["author"][8:20])).classes("text-xs opacity-70")
            if post["body"]:
                ui.label(post["body"]).classes("whitespace-pre-wrap")
            if post["tags"]:
                with ui.row().classes("gap-1"):
                    for name in post["tags"]:
                        ui.chip(name, on_click=lambda n=name: tag.set_value(n)).props("dense")
            if post["author"] == me:
                with ui.row().classes("gap-1"):
                    ui.button(
                        t("fulfilled"),
                        icon="check",
                        on_click=lambda: expire(post["event_id"], "fulfilled"),
                    ).props("flat dense").mark("fulfil")
                    ui.button(
                        t("withdraw"),
                        icon="close",
                        on_click=lambda: expire(post["event_id"], "withdrawn"),
                    ).props("flat dense").mark("withdraw")

    async def refresh() -> None:
        query = (words.value or "").strip()
        if query:
            found = await call(ports, "market.search", {"query": query[:200], "k": 100})
        else:
            wanted: dict[str, Any] = {"limit": shown["limit"]}
            if category.value:
                wanted["category"] = category.value
            if (tag.value or "").strip():
                wanted["tags"] = [tag.value.strip()]
            found = await call(ports, "market.list", wanted)
        if found is None:
            return
        posts = [
            p
            for p in found["posts"]
            if (not category.value or p["category"] == category.value)
            and (not tag.value or tag.value.strip() in p["tags"])
        ]
        posts_area.clear()
        with posts_area:
            if not posts:
                ui.label(t("no_posts")).classes("opacity-70")
            for post in posts:
                card(post)
        more.set_visibility(not query and len(found["posts"]) >= shown["limit"])

    async def show_more() -> None:
        shown["limit"] = min(500, shown["limit"] + PAGE_SIZE)
        await refresh()

    for field in (category, tag, words):
        field.on_value_change(refresh)
    follow(refresh, ports, lambda kind: kind.startswith("market.") or kind.startswith("community."))


PAGE = Page("/board", "board", "storefront", build)
