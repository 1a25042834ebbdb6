"""Messages: conversations with unread counts, a thread, sending, and each message's
delivery and read state."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from nicegui import ui

from ui.live import call, follow
from ui.pages import Page
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


def build(ports: NodePorts, me: str) -> None:
    """The messages page."""
    open_peer = {"peer": ""}
    names: dict[str, str] = {}
    ui.label(t("messages")).classes("text-xl font-bold")
    with ui.row().classes("w-full items-start gap-4 flex-wrap sm:flex-nowrap"):
        with ui.column().classes("w-full sm:w-72 gap-2"):
            who = ui.select({}, label=t("new_conversation"), with_input=True).classes("w-full")
            who.mark("pick-member")
            overview = ui.column().classes("w-full gap-1").mark("conversations")
        with ui.column().classes("grow w-full gap-2"):
            heading = ui.label("").classes("text-lg font-bold")
            thread = ui.column().classes("w-full gap-1 hn-thread").mark("thread")
            with ui.row().classes("w-full items-start gap-2"):
                text = (
                    ui.textarea(
                        t("message"),
                        validation={
                            t("required"): lambda v: bool((v or "").strip()),
                            t("too_long", n=4000): lambda v: len(v or "") <= 4000,
                        },
                    )
                    .props("autogrow rows=1")
                    .classes("grow")
                    .mark("message-text")
                )
                ui.button(t("send"), icon="send", on_click=lambda: send()).mark("send")

    def name(node: str) -> str:
        return names.get(node) or node[8:24]

    async def open_thread(peer: str) -> None:
        open_peer["peer"] = peer
        await refresh()

    async def refresh() -> None:
        members = await call(ports, "community.members", {})
        history = await call(ports, "chat.history", {"limit": 500})
        if members is None or history is None:
            return
        names.update({m["node_id"]: m["display_name"] for m in members["members"]})
        who.set_options(
            {
                m["node_id"]: name(m["node_id"])
                for m in members["members"]
                if m["node_id"] != me and m["status"] == "active"
            }
        )
        overview.clear()
        with overview:
            found = conversations(me, history["messages"])
            if not found:
                ui.label(t("no_conversations")).classes("opacity-70")
            for c in found:
                with (
                    ui.card()
                    .classes("w-full p-2 cursor-pointer")
                    .on("click", lambda p=c["peer"]: open_thread(p))
                    .mark(f"conversation-{c['peer'][8:20]}")
                ):
                    with ui.row().classes("w-full items-center"):
                        ui.label(name(c["peer"])).classes("font-bold")
                        ui.space()
                        if c["unread"]:
                            ui.badge(t("unread", n=c["unread"]), color="negative")
                    body = c["last"]["body"]
                    ui.label(body if isinstance(body, str) else "🔒").classes("text-sm truncate")
        await show_thread()

    async def show_thread() -> None:
        peer = open_peer["peer"]
        heading.set_text(name(peer) if peer else "")
        if not peer:
            thread.clear()
            return
        history = await call(ports, "chat.history", {"peer": peer, "limit": 200})
        if history is None:
            return
        unread = []
        thread.clear()
        with thread:
            for m in reversed(history["messages"]):
                mine = m["sender"] == me
                body = m["body"] if isinstance(m["body"], str) else "🔒"
                stamp = time.strftime("%d.%m. %H:%M", time.localtime(m["sent_at"] / 1000))
                ui.chat_message(
                    body,
                    name=t("this_node") if mine else name(peer),
                    stamp=f"{stamp} · {t(state_of(m))}" if mine else stamp,
                    sent=mine,
                ).classes("w-full")
                if not mine and m["read_at"] is None:
                    unread.append(m["event_id"])
        for event_id in unread:
            await call(ports, "chat.read", {"event_id": event_id})

    async def send() -> None:
        peer = open_peer["peer"]
        if not peer or not text.validate():
            text.validate()
            return
        sent = await call(
            ports,
            "chat.send",
            {"client_id": uuid.uuid4().hex, "recipient": peer, "body": text.value.strip()},
        )
        if sent is not None:
            text.set_value("")
            await refresh()

    async def picked() -> None:
        if who.value:
            await open_thread(who.value)

    who.on_value_change(picked)
    follow(refresh, ports, lambda kind: kind.startswith("chat.") or kind.startswith("community."))


PAGE = Page("/messages", "messages", "chat", build)
