"""Messages: direct conversations with unread counts and group threads, all sealed end to
end; the open one, sending, each message's delivery and read state, safety numbers, and a
group's members."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from nicegui import background_tasks, ui

from hearthnet.domain.capability import BusError
from ui.live import call, follow
from ui.pages import Page
from ui.people import avatar, avatar_url
from ui.qr import qr_svg
from ui.sharing import attachment, download, share_upload, uploader
from ui.strings import t
from ui.voice import text_actions

if TYPE_CHECKING:
    from nicegui.events import UploadEventArguments

    from ui.ports import NodePorts


def conversations(me: str, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group messages (newest first) by the other party: last message and unread count."""
    out: dict[str, dict[str, Any]] = {}
    for m in messages:
        other = m["recipient"] if m["sender"] == me else m["sender"]
        entry = out.setdefault(other, {"peer": other, "last": m, "unread": 0})
        if m["recipient"] == me and m["read_at"] is None:
            entry["unread"] += 1
    return list(out.values())


def text_of(message: dict[str, Any]) -> str:
    """A message's text, or why it is not there (not opened yet, or not openable)."""
    if message["body"]:
        return str(message["body"])
    if message.get("error") == "not opened yet":
        return t("opening")
    return t("unreadable", why=message["error"]) if message.get("error") else ""


def _is_photo(attachment: dict[str, Any]) -> bool:
    return str(attachment.get("media_type", "")).startswith("image/")


def state_of(message: dict[str, Any]) -> str:
    """sent, delivered or read."""
    if message["read_at"]:
        return "read"
    return "delivered" if message["delivered_at"] else "sent"


class MessagesPage:
    """One connection's messages page: direct conversations and group threads (all sealed
    end to end, shown with a lock), the open one, and the composer."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me = ports, me
        self.peer = self.thread_id = ""
        self.names: dict[str, str] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.listed: object = None
        """The conversations and groups as last drawn."""
        self.photo_texts: dict[str, str] = {}
        """The text read from the photos shown here, by file id (read on this node only)."""
        ui.label(t("messages")).classes("text-xl font-bold")
        with ui.row().classes("w-full items-start gap-4 flex-wrap sm:flex-nowrap"):
            with ui.column().classes("w-full sm:w-72 gap-2"):
                self.who = ui.select({}, label=t("new_conversation"), with_input=True)
                self.who.classes("w-full").mark("pick-member")
                self.overview = ui.column().classes("w-full gap-1").mark("conversations")
                with ui.row().classes("w-full items-center"):
                    ui.label(t("groups")).classes("font-bold")
                    ui.space()
                    ui.button(t("new_group"), icon="group_add", on_click=self.new_group).props(
                        "flat dense"
                    ).mark("new-group")
                self.group_list = ui.column().classes("w-full gap-1").mark("groups")
            with ui.column().classes("grow w-full gap-2"):
                self._conversation_area()
        self.dialog = ui.dialog()
        self.who.on_value_change(self.picked)
        wanted = parse_qs(urlsplit(ui.context.client.sub_pages_router.current_path).query)
        self.peer = wanted.get("to", [""])[0]  # "write to the author" of a post
        follow(self.refresh, ports, lambda kind: kind.startswith(("chat.", "community.")))

    def _conversation_area(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            self.lock = ui.icon("lock", color="positive").mark("private-lock")
            self.lock_tip = ui.tooltip("")
            self.lock_tip.move(self.lock)
            self.heading = ui.label("").classes("text-lg font-bold")
            ui.space()
            self.verify = ui.button(t("safety_number"), icon="verified_user")
            self.verify.props("flat dense").mark("safety-number")
            self.verify.on_click(self.show_safety_number)
            self.manage = ui.button(t("group_members"), icon="group", on_click=self.show_members)
            self.manage.props("flat dense").mark("group-members")
        self.privacy = ui.label("").classes("text-xs opacity-70").mark("privacy-note")
        self.find = ui.input(t("find_in_conversation")).props("dense clearable")
        self.find.classes("w-full max-w-sm").mark("find-messages")
        self.find.on("keydown.enter", self.refresh)
        self.find.on("clear", self.refresh)
        self.thread = ui.column().classes("w-full gap-1 hn-thread").mark("thread")
        valid = {
            t("required"): lambda v: bool((v or "").strip() or self.attachments),
            t("too_long", n=4000): lambda v: len(v or "") <= 4000,
        }
        self.attachments: list[dict[str, Any]] = []
        with ui.row().classes("w-full items-start gap-2"):
            self.text = ui.textarea(t("message"), validation=valid).props("autogrow rows=1")
            self.text.without_auto_validation().classes("grow").mark("message-text")
            self.text.on("keydown.enter.exact.prevent", self.send)  # Shift+Enter: a new line
            ui.button(t("send"), icon="send", on_click=self.send).mark("send")
        with ui.row().classes("w-full items-center gap-2"):
            uploader(t("attach"), self.attach).classes("w-72").mark("attach")
            self.attached = ui.row().classes("gap-1")

    def name(self, node: str) -> str:
        """A member's display name, or the start of their id."""
        return self.names.get(node) or node[8:24]

    async def open_thread(self, peer: str) -> None:
        """Show the conversation with one member."""
        self.peer, self.thread_id = peer, ""
        await self.refresh()

    async def open_group(self, thread_id: str) -> None:
        """Show one group thread."""
        self.peer, self.thread_id = "", thread_id
        await self.refresh()

    async def refresh(self) -> None:
        """The member picker, the conversations, the groups and the open one."""
        members = await call(self.ports, "community.members", {})
        history = await call(self.ports, "chat.history", {"limit": 500})
        groups = await call(self.ports, "chat.thread.list", {})
        if members is None or history is None or groups is None:
            return
        self.names.update({m["node_id"]: m["display_name"] for m in members["members"]})
        self.active = {
            m["node_id"]: self.name(m["node_id"])
            for m in members["members"]
            if m["node_id"] != self.me and m["status"] == "active"
        }
        self.who.set_options(self.active)
        self.groups = {g["thread_id"]: g for g in groups["threads"]}
        found = conversations(self.me, history["messages"])
        listed = (
            [(c["peer"], self.name(c["peer"]), c["unread"], text_of(c["last"])) for c in found],
            list(self.groups.values()),
        )
        if listed != self.listed:  # rebuilt only when it changed: a click is never lost to it
            self.listed = listed
            self._lists(found)
        await self.show_open()

    def _lists(self, found: list[dict[str, Any]]) -> None:
        self.overview.clear()
        with self.overview:
            if not found:
                ui.label(t("no_conversations")).classes("opacity-70")
            for c in found:
                self._conversation(c)
        self.group_list.clear()
        with self.group_list:
            if not self.groups:
                ui.label(t("no_groups")).classes("opacity-70")
            for g in self.groups.values():
                self._group(g)

    def _conversation(self, c: dict[str, Any]) -> None:
        card = ui.card().classes("w-full p-2 cursor-pointer").props("tabindex=0 role=button")
        card.on("click", lambda p=c["peer"]: self.open_thread(p))
        card.on("keydown.enter", lambda p=c["peer"]: self.open_thread(p))
        with card.mark(f"conversation-{c['peer'][8:20]}"):
            with ui.row().classes("w-full items-center gap-1"):
                avatar(c["peer"], "w-6 h-6")
                ui.label(self.name(c["peer"])).classes("font-bold").tooltip(c["peer"][8:24])
                ui.icon("lock", size="xs", color="positive")
                ui.space()
                if c["unread"]:
                    ui.badge(t("unread", n=c["unread"]), color="negative")
            ui.label(text_of(c["last"])).classes("text-sm truncate")

    def _group(self, g: dict[str, Any]) -> None:
        card = ui.card().classes("w-full p-2 cursor-pointer").props("tabindex=0 role=button")
        card.on("click", lambda tid=g["thread_id"]: self.open_group(tid))
        card.on("keydown.enter", lambda tid=g["thread_id"]: self.open_group(tid))
        with card.mark(f"group-{g['thread_id'][:12]}"), ui.row().classes("items-center gap-1"):
            ui.icon("lock", size="xs", color="positive")
            ui.label(g["name"]).classes("font-bold")
            ui.label(t("members_n", n=len(g["members"]))).classes("text-xs opacity-70")

    async def show_open(self) -> None:
        """The open conversation or group, oldest first."""
        group = self.groups.get(self.thread_id)
        shown = bool(self.peer or group)
        self.heading.set_text(self.name(self.peer) if self.peer else group["name"] if group else "")
        tip = t("private_direct", who=self.name(self.peer)) if self.peer else t("private_group")
        self.privacy.set_text(tip if shown else "")
        self.lock_tip.text = tip
        for element, visible in (
            (self.lock, shown),
            (self.verify, bool(self.peer)),
            (self.manage, bool(group)),
        ):
            element.set_visibility(visible)
        if self.peer:
            await self.show_direct()
        elif group:
            await self.show_group()
        else:
            self.thread.clear()

    async def show_direct(self) -> None:
        """The direct conversation; what the other wrote is marked read."""
        peer = self.peer
        history = await call(self.ports, "chat.history", {"peer": peer, "limit": 200})
        if history is None:
            return
        unread = []
        shown = await self._found(list(reversed(history["messages"])))
        self.thread.clear()
        with self.thread:
            for m in shown:
                mine = m["sender"] == self.me
                stamp = time.strftime("%d.%m. %H:%M", time.localtime(m["sent_at"] / 1000))
                ui.chat_message(
                    text_of(m),
                    name=t("you") if mine else self.name(peer),
                    stamp=f"{stamp} · {t(state_of(m))}" if mine else stamp,
                    avatar=avatar_url(m["sender"]),
                    sent=mine,
                ).classes("w-full")
                self.files_of(m)
                if m["body"]:
                    text_actions(self.ports, str(m["body"]), private=True)
                if not mine and m["read_at"] is None:
                    unread.append(m["event_id"])
        for event_id in unread:
            await call(self.ports, "chat.read", {"event_id": event_id})

    async def show_group(self) -> None:
        """The open group thread, with each message's author."""
        history = await call(self.ports, "chat.thread.history", {"thread_id": self.thread_id})
        if history is None:
            return
        shown = await self._found(history["messages"])
        self.thread.clear()
        with self.thread:
            for m in shown:
                mine = m["sender"] == self.me
                stamp = time.strftime("%d.%m. %H:%M", time.localtime(m["sent_at"] / 1000))
                name = t("you") if mine else self.name(m["sender"])
                ui.chat_message(
                    text_of(m), name=name, stamp=stamp, avatar=avatar_url(m["sender"]), sent=mine
                ).classes("w-full")
                self.files_of(m)
                if m["body"]:
                    text_actions(self.ports, str(m["body"]), private=True)

    async def show_safety_number(self) -> None:
        """The number to compare in person with the open conversation's member, and its QR."""
        found = await call(self.ports, "e2e.safety_number", {"node_id": self.peer})
        if found is None:
            return
        number, who = found["safety_number"], self.name(self.peer)
        self.dialog.clear()
        with self.dialog, ui.card().classes("items-center").mark("safety-dialog"):
            ui.label(t("safety_number")).classes("text-lg font-bold")
            ui.label(number).classes("hn-mono text-lg text-center max-w-xs").mark("safety-digits")
            qr = ui.html(qr_svg(f"hearthnet-safety://v1/{number.replace(' ', '')}"), sanitize=False)
            qr.classes("w-48 bg-white p-2")
            ui.label(t("safety_hint", who=who)).classes("text-sm max-w-xs")
            ui.label(t("safety_fixed", who=who)).classes("text-xs opacity-70 max-w-xs")
            ui.button(t("close"), on_click=self.dialog.close).props("flat")
        self.dialog.open()

    async def new_group(self) -> None:
        """Ask for a name and members; open the new group."""
        self.dialog.clear()
        with self.dialog, ui.card().classes("w-80").mark("group-dialog"):
            ui.label(t("new_group")).classes("text-lg font-bold")
            name = ui.input(t("group_name")).classes("w-full").mark("group-name")
            members = ui.select(self.active, multiple=True, label=t("group_members"))
            members.classes("w-full").props("use-chips").mark("group-pick")

            async def create() -> None:
                if not (name.value or "").strip() or not members.value:
                    return
                body = {
                    "client_id": uuid.uuid4().hex,
                    "name": name.value.strip(),
                    "members": list(members.value),
                }
                made = await call(self.ports, "chat.thread.create", body)
                if made is not None:
                    self.dialog.close()
                    await self.open_group(made["thread_id"])

            ui.button(t("create_group"), on_click=create).mark("group-create")
        self.dialog.open()

    async def show_members(self) -> None:
        """The open group's members: remove (its creator), add, leave."""
        group = self.groups.get(self.thread_id)
        if group is None:
            return
        self.dialog.clear()
        with self.dialog, ui.card().classes("w-80").mark("members-dialog"):
            ui.label(group["name"]).classes("text-lg font-bold")
            for member in group["members"]:
                with ui.row().classes("w-full items-center"):
                    ui.label(t("you") if member == self.me else self.name(member))
                    ui.space()
                    if group["creator"] == self.me and member != self.me:
                        ui.button(
                            t("remove"),
                            on_click=lambda m=member: self.change("chat.thread.remove_member", m),
                        ).props("flat dense color=negative").mark(f"remove-{member[8:20]}")
            others = {k: v for k, v in self.active.items() if k not in group["members"]}
            pick = ui.select(others, label=t("add"), with_input=True).classes("w-full")
            pick.mark("member-pick")
            ui.button(
                t("add"), on_click=lambda: self.change("chat.thread.add_member", pick.value)
            ).mark("member-add")
            ui.button(t("leave"), on_click=self.leave).props("flat color=negative").mark("leave")
        self.dialog.open()

    async def change(self, capability: str, member: str | None) -> None:
        """Add or remove a member of the open group."""
        if not member:
            return
        body = {"thread_id": self.thread_id, "member": member}
        if await call(self.ports, capability, body) is not None:
            self.dialog.close()
            await self.refresh()

    async def leave(self) -> None:
        """Leave the open group."""
        if await call(self.ports, "chat.thread.leave", {"thread_id": self.thread_id}) is not None:
            self.dialog.close()
            self.thread_id = ""
            await self.refresh()

    async def attach(self, event: UploadEventArguments) -> None:
        """Store an uploaded file sealed with a fresh key, to go with the next message."""
        put = await share_upload(self.ports, event, seal=True)
        if put is None:
            return
        self.attachments.append(attachment(put))
        with self.attached:
            ui.chip(put["name"], icon="attach_file").props("dense").mark("attached")
        event.sender.reset()  # type: ignore[attr-defined]

    async def send(self) -> None:
        """Send what the composer holds to the open conversation or group, sealed."""
        if not (self.peer or self.thread_id) or not self.text.validate():
            self.text.validate()
            return
        text = (self.text.value or "").strip()
        body = {"client_id": uuid.uuid4().hex, "body": text, "attachments": self.attachments}
        if self.peer:
            sent = await call(self.ports, "chat.send", {**body, "recipient": self.peer})
        else:
            sent = await call(self.ports, "chat.thread.send", {**body, "thread_id": self.thread_id})
        if sent is not None:
            self.text.set_value("")
            self.attachments = []
            self.attached.clear()
            await self.refresh()

    def files_of(self, message: dict[str, Any]) -> None:
        """A message's attachments, each a button that fetches and opens it, a photo with the
        text read from it."""
        for a in message.get("attachments") or []:
            fetch = lambda a=a: download(self.ports, a["cid"], a["name"], a.get("key", ""))  # noqa: E731
            ui.button(a["name"] or t("download"), icon="attach_file", on_click=fetch).props(
                "flat dense no-caps"
            ).mark("attachment")
            if _is_photo(a):
                read = ui.label("").classes("text-sm opacity-80 whitespace-pre-wrap")
                read.mark("photo-text")
                background_tasks.create(self._show_photo_text(read, a), name="photo text")

    async def _show_photo_text(self, shown: ui.label, attachment: dict[str, Any]) -> None:
        text = await self.photo_text(attachment)
        if text and not shown.is_deleted:
            with shown:  # a background task: the page's language comes from the element
                shown.set_text(t("photo_text", text=text))

    async def photo_text(self, attachment: dict[str, Any]) -> str:
        """The text of a message's photo, read by this node's OCR (a private photo is never
        sent to another node); "" when it has none or cannot read it."""
        cid = attachment["cid"]
        if cid not in self.photo_texts:
            data = {"image_cid": cid, "key": attachment.get("key", "")}
            try:
                read = await self.ports.bus.call("ocr.image", data, {"here_only": True})
                self.photo_texts[cid] = str(read["text"]).strip()
            except BusError:
                self.photo_texts[cid] = ""
        return self.photo_texts[cid]

    async def _found(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The messages that hold every word looked for, in their text or their photos."""
        words = (self.find.value or "").lower().split()
        if not words:
            return messages
        found = []
        for m in messages:
            photos = [
                a
                for a in m.get("attachments") or []
                if a.get("media_type", "").startswith("image/")
            ]
            texts = [text_of(m), *[await self.photo_text(a) for a in photos]]
            if all(w in " ".join(texts).lower() for w in words):
                found.append(m)
        return found

    async def picked(self) -> None:
        """A member was picked: open their conversation."""
        if self.who.value:
            await self.open_thread(self.who.value)


def build(ports: NodePorts, me: str) -> None:
    """The messages page."""
    MessagesPage(ports, me)


PAGE = Page("/messages", "messages", "chat", build)
