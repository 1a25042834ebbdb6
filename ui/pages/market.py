"""Board: the marketplace with category, tag and word filters, a new-post form, and the
fulfil/withdraw buttons on this node's own posts."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from nicegui import background_tasks, ui

from ui.live import call, follow
from ui.pages import Page
from ui.people import avatar, names
from ui.sharing import attachment, download, image_source, share_upload, uploader
from ui.strings import ago, t
from ui.voice import text_actions

CATEGORY_COLOURS = {
    "offer": "positive",
    "request": "accent",
    "info": "grey-8",
    "emergency": "negative",
}
"""Each category its own colour (white text on each meets WCAG AA); an emergency is red."""

if TYPE_CHECKING:
    from nicegui.events import UploadEventArguments

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


class BoardPage:
    """One connection's board: filters, the posts shown and the new-post dialog."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me, self.limit = ports, me, PAGE_SIZE
        self.names: dict[str, str] = {}
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(t("board")).classes("text-xl font-bold")
            ui.space()
            new_post = ui.button(t("new_post"), icon="add").mark("new-post")
        self._filters()
        self.posts = ui.column().classes("w-full gap-2")
        self.more = ui.button(t("more"), on_click=self.show_more).props("flat").mark("more")
        self._dialog()
        new_post.on_click(self.dialog.open)
        for field in (self.category, self.tag, self.words):
            field.on_value_change(self.refresh)
        follow(self.refresh, ports, lambda kind: kind.startswith(("market.", "community.")))

    def _filters(self) -> None:
        with ui.row().classes("w-full items-end gap-2"):
            choices = {"": t("all"), **{c: t(c) for c in CATEGORIES}}
            self.category = ui.select(choices, value="", label=t("category")).classes("w-36")
            self.category.mark("filter-category")
            self.tag = ui.input(t("tag")).classes("w-36").mark("filter-tag")
            self.words = ui.input(t("search")).classes("grow").mark("search")

    def _dialog(self) -> None:
        title_ok = {
            t("required"): lambda v: bool(v and v.strip()),
            t("too_long", n=120): lambda v: len(v or "") <= 120,
        }
        text_ok = {t("too_long", n=2000): lambda v: len(v or "") <= 2000}
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-lg"):
            ui.label(t("new_post")).classes("text-lg font-bold")
            self.title = ui.input(t("title"), validation=title_ok).classes("w-full")
            self.title.mark("post-title")
            self.text = ui.textarea(t("text"), validation=text_ok).classes("w-full")
            self.text.mark("post-body")
            choices = {c: t(c) for c in CATEGORIES}
            self.kind = ui.select(choices, value="offer", label=t("category")).classes("w-full")
            self.kind.mark("post-category")
            self.tags = ui.input(t("tags"), validation={t("too_many_tags"): tags_ok})
            self.tags.classes("w-full").mark("post-tags")
            self.days = ui.number(t("days"), value=7, min=1, max=30, precision=0)
            self.days.classes("w-full")
            self.attachments: list[dict[str, Any]] = []
            uploader(t("attach"), self.attach).classes("w-full").mark("attach")
            self.attached = ui.row().classes("gap-1")
            with ui.row().classes("w-full justify-end"):
                ui.button(t("cancel"), on_click=self.dialog.close).props("flat")
                ui.button(t("publish"), on_click=self.publish).mark("publish")

    async def attach(self, event: UploadEventArguments) -> None:
        """Store and share an uploaded photo or file, to go with the post."""
        put = await share_upload(self.ports, event)
        if put is None:
            return
        self.attachments.append(attachment(put))
        with self.attached:
            ui.chip(put["name"], icon="attach_file").props("dense").mark("attached")
        event.sender.reset()  # type: ignore[attr-defined]

    async def publish(self) -> None:
        """Post what the dialog holds, if it is valid."""
        fields = (self.title, self.text, self.tags)
        if not all(field.validate() for field in fields) or not self.title.value.strip():
            self.title.validate()
            return
        post = {
            "client_id": uuid.uuid4().hex,
            "category": self.kind.value,
            "title": self.title.value.strip(),
            "body": self.text.value or "",
            "tags": parse_tags(self.tags.value or ""),
            "ttl_seconds": int(self.days.value or 7) * 86400,
            "attachments": self.attachments,
        }
        if await call(self.ports, "market.post", post) is None:
            return
        ui.notify(t("posted", title=post["title"]), type="positive")
        for field in fields:
            field.set_value("")
        self.attachments = []
        self.attached.clear()
        self.dialog.close()
        await self.refresh()

    def confirm_withdraw(self, event_id: str, title: str) -> None:
        """Ask before taking a post off the board."""
        with ui.dialog() as sure, ui.card().mark("confirm-withdraw"):
            ui.label(t("confirm_withdraw", title=title))
            with ui.row().classes("w-full justify-end"):
                ui.button(t("cancel_keep"), on_click=sure.close).props("flat")

                async def withdraw() -> None:
                    sure.close()
                    await self.expire(event_id, "withdrawn")

                ui.button(t("withdraw"), on_click=withdraw).props("color=negative").mark("confirm")
        sure.open()

    async def expire(self, event_id: str, reason: str) -> None:
        """Take one of this node's posts off the board."""
        if await call(self.ports, "market.expire", {"event_id": event_id, "reason": reason}):
            ui.notify(t("expired"), type="info")
            await self.refresh()

    def card(self, post: dict[str, Any]) -> None:
        """One post."""
        with ui.card().classes("w-full").mark(f"post-{post['event_id'][:12]}"):
            with ui.row().classes("w-full items-center gap-2"):
                known = post["category"] in CATEGORIES
                colour = CATEGORY_COLOURS.get(post["category"], "grey-8")
                ui.badge(t(post["category"]) if known else "", color=colour).mark("category")
                ui.label(post["title"]).classes("text-base font-bold")
                ui.space()
                who = self.names.get(post["author"], post["author"][8:20])
                with ui.row().classes("items-center gap-1"):
                    avatar(post["author"], "w-5 h-5")
                    ui.label(t("by", who=who)).classes("text-xs opacity-70").tooltip(
                        post["author"][8:24]
                    )
                    when = ago(post["created_at"], int(time.time() * 1000))
                    ui.label(f"· {when}").classes("text-xs opacity-70").mark("post-date")
            if post["body"]:
                ui.label(post["body"]).classes("whitespace-pre-wrap")
            self._attachments(post.get("attachments") or [])
            if post.get("photo_text"):
                ui.label(t("photo_text", text=post["photo_text"])).classes(
                    "text-sm opacity-80 whitespace-pre-wrap"
                ).mark("photo-text")
            text_actions(self.ports, f"{post['title']}. {post['body']}")
            if post["tags"]:
                with ui.row().classes("gap-1"):
                    for name in post["tags"]:
                        pick = lambda n=name: self.tag.set_value(n)  # noqa: E731
                        ui.chip(name, on_click=pick).props("dense")
            if post["author"] == self.me:
                self._own_buttons(post["event_id"], post["title"])
            else:
                to = f"/messages?to={post['author']}"
                ui.button(
                    t("message_author", who=who), icon="chat", on_click=lambda: ui.navigate.to(to)
                ).props("flat dense").mark("message-author")

    def _attachments(self, attachments: list[dict[str, Any]]) -> None:
        """A post's photos as thumbnails (loaded after the card is drawn) and its files as
        buttons that fetch them."""
        with ui.row().classes("gap-2 items-end"):
            for a in attachments:
                fetch = lambda a=a: download(self.ports, a["cid"], a["name"])  # noqa: E731
                if a.get("thumb"):
                    shown = ui.image("").classes("w-40 h-28 rounded cursor-pointer")
                    shown.props(f'alt="{a["name"][:80]}" fit=cover').mark("thumbnail")
                    shown.on("click", fetch)
                    background_tasks.create(self._thumbnail(shown, a["thumb"]), name="thumb")
                else:
                    ui.button(a["name"] or t("download"), icon="attach_file", on_click=fetch).props(
                        "flat dense no-caps"
                    ).mark("attachment")

    async def _thumbnail(self, shown: ui.image, fid: str) -> None:
        source = await image_source(self.ports, fid)
        if source is not None and not shown.is_deleted:
            shown.set_source(source)

    def _own_buttons(self, event_id: str, title: str) -> None:
        with ui.row().classes("gap-1"):
            fulfil = lambda: self.expire(event_id, "fulfilled")  # noqa: E731
            withdraw = lambda: self.confirm_withdraw(event_id, title)  # noqa: E731
            ui.button(t("fulfilled"), icon="check", on_click=fulfil).props("flat dense").mark(
                "fulfil"
            )
            ui.button(t("withdraw"), icon="close", on_click=withdraw).props("flat dense").mark(
                "withdraw"
            )

    async def refresh(self) -> None:
        """Show the posts the filters and the words ask for."""
        query = (self.words.value or "").strip()
        category, tag = self.category.value, (self.tag.value or "").strip()
        if query:
            found = await call(self.ports, "market.search", {"query": query[:200], "k": 100})
        else:
            wanted: dict[str, Any] = {"limit": self.limit}
            if category:
                wanted["category"] = category
            if tag:
                wanted["tags"] = [tag]
            found = await call(self.ports, "market.list", wanted)
        if found is None:
            return
        self.names = await names(self.ports, self.me)
        posts = [
            p
            for p in found["posts"]
            if (not category or p["category"] == category) and (not tag or tag in p["tags"])
        ]
        self.posts.clear()
        with self.posts:
            if not posts:
                empty = t("no_match", words=query) if query else t("no_posts")
                ui.label(empty).classes("opacity-70").mark("board-empty")
            for post in posts:
                self.card(post)
        self.more.set_visibility(not query and len(found["posts"]) >= self.limit)

    async def show_more(self) -> None:
        """Show another page of posts."""
        self.limit = min(500, self.limit + PAGE_SIZE)
        await self.refresh()


def build(ports: NodePorts, me: str) -> None:
    """The board page."""
    BoardPage(ports, me)


PAGE = Page("/board", "board", "storefront", build)
