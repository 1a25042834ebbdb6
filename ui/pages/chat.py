"""Messages: conversations with unread counts, a thread, sending, and each message's
delivery and read state."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from nicegui import ui

from ui.live import call, follow
from ui.pages import Page
from ui.qr import qr_svg
from ui.strings import t

if TYPE_CHECKING:
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


def state_of(message: dict[str, Any]) -> str:
    """sent, delivered or read."""
    if message["read_at"]:
        return "read"
    return "delivered" if message["delivered_at"] else "sent"


class MessagesPage:
    """One connection's messages page: the conversations, the open thread, the composer."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me, self.peer = ports, me, ""
        self.names: dict[str, str] = {}
        ui.label(t("messages")).classes("text-xl font-bold")
        with ui.row().classes("w-full items-start gap-4 flex-wrap sm:flex-nowrap"):
            with ui.column().classes("w-full sm:w-72 gap-2"):
                self.who = ui.select({}, label=t("new_conversation"), with_input=True)
                self.who.classes("w-full").mark("pick-member")
                self.overview = ui.column().classes("w-full gap-1").mark("conversations")
            with ui.column().classes("grow w-full gap-2"):
                self._thread()
        self.who.on_value_change(self.picked)
        follow(self.refresh, ports, lambda kind: kind.startswith(("chat.", "community.")))

    def _thread(self) -> None:
        with ui.row().classes("w-full items-center gap-2"):
            self.heading = ui.label("").classes("text-lg font-bold")
            ui.space()
            self.verify = ui.button(t("safety_number"), icon="verified_user")
            self.verify.props("flat dense").mark("safety-number")
            self.verify.on_click(self.show_safety_number)
            self.verify.set_visibility(False)
        self.safety = ui.dialog()
        self.thread = ui.column().classes("w-full gap-1 hn-thread").mark("thread")
        valid = {
            t("required"): lambda v: bool((v or "").strip()),
            t("too_long", n=4000): lambda v: len(v or "") <= 4000,
        }
        with ui.row().classes("w-full items-start gap-2"):
            self.text = ui.textarea(t("message"), validation=valid).props("autogrow rows=1")
            self.text.classes("grow").mark("message-text")
            ui.button(t("send"), icon="send", on_click=self.send).mark("send")

    def name(self, node: str) -> str:
        """A member's display name, or the start of their id."""
        return self.names.get(node) or node[8:24]

    async def open_thread(self, peer: str) -> None:
        """Show the conversation with one member."""
        self.peer = peer
        await self.refresh()

    async def refresh(self) -> None:
        """The member picker, the conversations and the open thread."""
        members = await call(self.ports, "community.members", {})
        history = await call(self.ports, "chat.history", {"limit": 500})
        if members is None or history is None:
            return
        self.names.update({m["node_id"]: m["display_name"] for m in members["members"]})
        self.who.set_options(
            {
                m["node_id"]: self.name(m["node_id"])
                for m in members["members"]
                if m["node_id"] != self.me and m["status"] == "active"
            }
        )
        self.overview.clear()
        with self.overview:
            found = conversations(self.me, history["messages"])
            if not found:
                ui.label(t("no_conversations")).classes("opacity-70")
            for c in found:
                self._conversation(c)
        await self.show_thread()

    def _conversation(self, c: dict[str, Any]) -> None:
        card = ui.card().classes("w-full p-2 cursor-pointer")
        card.on("click", lambda p=c["peer"]: self.open_thread(p))
        with card.mark(f"conversation-{c['peer'][8:20]}"):
            with ui.row().classes("w-full items-center"):
                ui.label(self.name(c["peer"])).classes("font-bold")
                ui.space()
                if c["unread"]:
                    ui.badge(t("unread", n=c["unread"]), color="negative")
            body = c["last"]["body"]
            ui.label(body if isinstance(body, str) else "🔒").classes("text-sm truncate")

    async def show_thread(self) -> None:
        """The open conversation, oldest first; what the other wrote is marked read."""
        peer = self.peer
        self.heading.set_text(self.name(peer) if peer else "")
        self.verify.set_visibility(bool(peer))
        if not peer:
            self.thread.clear()
            return
        history = await call(self.ports, "chat.history", {"peer": peer, "limit": 200})
        if history is None:
            return
        unread = []
        self.thread.clear()
        with self.thread:
            for m in reversed(history["messages"]):
                mine = m["sender"] == self.me
                body = m["body"] if isinstance(m["body"], str) else "🔒"
                stamp = time.strftime("%d.%m. %H:%M", time.localtime(m["sent_at"] / 1000))
                ui.chat_message(
                    body,
                    name=t("this_node") if mine else self.name(peer),
                    stamp=f"{stamp} · {t(state_of(m))}" if mine else stamp,
                    sent=mine,
                ).classes("w-full")
                if not mine and m["read_at"] is None:
                    unread.append(m["event_id"])
        for event_id in unread:
            await call(self.ports, "chat.read", {"event_id": event_id})

    async def show_safety_number(self) -> None:
        """The number to compare in person with the open conversation's member, and its QR."""
        found = await call(self.ports, "e2e.safety_number", {"node_id": self.peer})
        if found is None:
            return
        number = found["safety_number"]
        self.safety.clear()
        with self.safety, ui.card().classes("items-center").mark("safety-dialog"):
            ui.label(t("safety_number")).classes("text-lg font-bold")
            ui.label(number).classes("hn-mono text-lg text-center max-w-xs").mark("safety-digits")
            qr = ui.html(qr_svg(f"hearthnet-safety://v1/{number.replace(' ', '')}"), sanitize=False)
            qr.classes("w-48 bg-white p-2")
            ui.label(t("safety_hint", who=self.name(self.peer))).classes("text-sm max-w-xs")
            ui.button(t("close"), on_click=self.safety.close).props("flat")
        self.safety.open()

    async def send(self) -> None:
        """Send what the composer holds to the open conversation."""
        if not self.peer or not self.text.validate():
            self.text.validate()
            return
        message = {
            "client_id": uuid.uuid4().hex,
            "recipient": self.peer,
            "body": self.text.value.strip(),
        }
        if await call(self.ports, "chat.send", message) is not None:
            self.text.set_value("")
            await self.refresh()

    async def picked(self) -> None:
        """A member was picked: open their conversation."""
        if self.who.value:
            await self.open_thread(self.who.value)


def build(ports: NodePorts, me: str) -> None:
    """The messages page."""
    MessagesPage(ports, me)


PAGE = Page("/messages", "messages", "chat", build)
