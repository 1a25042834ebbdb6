"""Community: members and their levels, invites with link and QR code, membership changes, and
the change requests that trusted members approve with one click."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.types import InvalidIdentifier, parse_node_id
from ui.live import call, follow
from ui.pages import PHONE_GRID, Page
from ui.qr import qr_svg
from ui.strings import t, word

if TYPE_CHECKING:
    from collections.abc import Callable

    from ui.ports import NodePorts

REASONS = ("other", "compromised", "inactive", "policy_violation")


def is_node_id(text: str) -> bool:
    """Whether text is a full node id."""
    try:
        parse_node_id(text.strip())
    except InvalidIdentifier:
        return False
    return True


class CommunityPage:
    """One connection's community page: members, the invite form and membership changes."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports = ports
        ui.label(t("community")).classes("text-xl font-bold")
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(t("your_id")).classes("font-bold")
            ui.label(me).classes("hn-mono text-sm").mark("my-id")
        ui.label(t("members")).classes("text-lg font-bold")
        columns = [
            {"name": "name", "label": t("name"), "field": "display_name", "align": "left"},
            {"name": "node", "label": t("node"), "field": "short", "align": "left"},
            {"name": "level", "label": t("level"), "field": "level"},
            {"name": "status", "label": t("status"), "field": "status"},
        ]
        self.members = ui.table(columns=columns, rows=[], row_key="node_id").classes("w-full")
        self.members.props(f"dense flat {PHONE_GRID}").mark("members")
        self._invite_form()
        self._change_form()
        follow(self.refresh, ports, lambda kind: kind.startswith("community."))

    def _invite_form(self) -> None:
        with ui.card().classes("w-full"):
            ui.label(t("invite")).classes("text-lg font-bold")
            with ui.row().classes("w-full items-start gap-2"):
                valid = {t("node_id_invalid"): lambda v: not (v or "").strip() or is_node_id(v)}
                self.invitee = ui.input(t("invitee"), validation=valid)
                self.invitee.classes("grow min-w-64").mark("invitee")
                self.nickname = ui.input(t("invitee_name")).classes("w-48").mark("invitee-name")
                levels = {v: word("level", v) for v in ("member", "trusted")}
                self.level = ui.select(levels, value="member", label=t("level"))
                self.hours = ui.number(t("hours"), value=24, min=1, max=720, precision=0)
                self.hours.classes("w-32")
            ui.button(t("create_invite"), icon="qr_code", on_click=self.invite).mark("invite")
            self.invitation = ui.column().classes("w-full items-center")

    def _change_form(self) -> None:
        with ui.card().classes("w-full"):
            ui.label(t("membership")).classes("text-lg font-bold")
            with ui.row().classes("w-full items-start gap-2"):
                self.target = ui.select({}, label=t("target"), with_input=True)
                self.target.classes("grow min-w-64").mark("change-target")
                kinds = {"promote": t("promote"), "demote": t("demote"), "revoke": t("revoke")}
                self.change = ui.select(kinds, value="promote", label=t("change"))
                self.change.classes("w-36").mark("change-kind")
                levels = {v: word("level", v) for v in ("member", "trusted", "anchor")}
                self.new_level = ui.select(levels, value="trusted", label=t("level"))
                reasons = {r: word("reason", r) for r in REASONS}
                self.reason = ui.select(reasons, value="other", label=t("reason"))
            ui.button(t("apply"), icon="gavel", on_click=self.apply).mark("apply-change")
            self.outcome = ui.label("").classes("text-sm").mark("change-outcome")
        with ui.card().classes("w-full"):
            ui.label(t("pending_invites")).classes("text-lg font-bold")
            self.pending = ui.column().classes("w-full gap-1").mark("pending-invites")
        with ui.card().classes("w-full"):
            ui.label(t("requests")).classes("text-lg font-bold")
            self.requests = ui.column().classes("w-full gap-2").mark("requests")

    async def refresh(self) -> None:
        """The members table and the change form's choices."""
        found = await call(self.ports, "community.members", {})
        if found is None:
            return
        self.members.rows = [
            {
                **m,
                "short": m["node_id"][8:20],
                "level": word("level", m["level"]),
                "status": word("status", m["status"]),
            }
            for m in found["members"]
        ]
        self.members.update()
        self.target.set_options(
            {m["node_id"]: m["display_name"] or m["node_id"][8:24] for m in found["members"]}
        )
        invites = await call(self.ports, "community.invites", {})
        _list(self.pending, (invites or {}).get("invites", []), "no_pending_invites", self._pending)
        asked = await call(self.ports, "community.requests", {})
        _list(self.requests, (asked or {}).get("requests", []), "no_requests", self._request)

    async def invite(self) -> None:
        """Record an invitation; show its link and QR code."""
        if not self.invitee.validate():
            return
        wanted = {
            "invitee_node_id": (self.invitee.value or "").strip(),
            "display_name": self.nickname.value or "",
            "initial_level": self.level.value,
            "ttl_hours": float(self.hours.value or 24),
        }
        made = await call(self.ports, "community.invite", wanted)
        if made is None:
            return
        await self.refresh()
        self.invitation.clear()
        with self.invitation:
            who = self.nickname.value or (self.invitee.value or "")[8:24] or t("anyone_once")
            ui.label(t("invite_ready", who=who))
            ui.html(qr_svg(made["link"]), sanitize=False).classes("w-64 bg-white p-2").mark("qr")
            link = ui.input(t("invite_link"), value=made["link"]).props("readonly")
            link.classes("w-full hn-mono").mark("invite-link")
            ui.button(
                t("copy"), icon="content_copy", on_click=lambda: ui.clipboard.write(made["link"])
            ).props("flat").mark("copy-link")

    async def apply(self) -> None:
        """Make the change at once if this node's signature is enough; else ask the trusted
        members who can approve it."""
        if not self.target.value:
            return
        body: dict[str, Any] = {"target_node_id": self.target.value, "change": self.change.value}
        if self.change.value == "revoke":
            body["reason"] = self.reason.value
        else:
            body["new_level"] = self.new_level.value
        done = await call(self.ports, "community.request", body)
        if done is None:
            return
        if done["done"]:
            self.outcome.set_text(t("change_done"))
            ui.notify(t("change_done"), type="positive")
        else:
            who = ", ".join(done["can_approve"]) or "—"
            self.outcome.set_text(t("change_asked", n=done["approvals_missing"], who=who))
        await self.refresh()

    def _request(self, r: dict[str, Any]) -> None:
        what = t(r["change"])
        if r["change"] != "revoke":
            what += f" → {word('level', r['new_level'])}"
        with ui.row().classes("w-full items-center gap-2").mark(f"request-{r['request_id'][:12]}"):
            ui.label(f"{what}: {r['target_name']}").classes("font-bold")
            approved = t("approved_by", n=len(r["approved_by"]), of=r["needed"])
            ui.label(f"{approved} ({', '.join(r['approved_by'])})").classes("text-sm")
            ui.space()
            if r["can_approve"]:
                ui.button(
                    t("approve"), icon="how_to_vote", on_click=lambda: self.approve(r["request_id"])
                ).mark(f"approve-{r['request_id'][:12]}")

    def _pending(self, i: dict[str, Any]) -> None:
        who = t("one_time_link") if i["one_time"] else i["invitee"]
        if i["one_time"] and i["invitee"]:
            who = f"{who} ({i['invitee']})"
        with (
            ui.row()
            .classes("w-full items-center gap-2")
            .mark(f"pending-{i['invite_event_id'][:12]}")
        ):
            ui.label(who).classes("font-bold")
            ui.label(t("invited_by", who=i["inviter"])).classes("text-sm opacity-70")
            ui.space()
            ui.button(
                t("take_back"),
                icon="block",
                on_click=lambda: self.take_back(i["invite_event_id"]),
            ).props("flat dense color=negative").mark(f"take-back-{i['invite_event_id'][:12]}")

    async def take_back(self, invite_id: str) -> None:
        """Revoke a pending invitation or link."""
        if await call(self.ports, "community.invite.revoke", {"invite_event_id": invite_id}):
            ui.notify(t("taken_back"), type="info")
            await self.refresh()

    async def approve(self, request_id: str) -> None:
        """Approve another member's request with this node's signature."""
        if await call(self.ports, "community.approve", {"request_id": request_id}) is not None:
            ui.notify(t("approved"), type="positive")
            await self.refresh()


def _list(
    column: ui.column, items: list[dict[str, Any]], empty: str, show: Callable[[Any], None]
) -> None:
    """Fill a column with one row per item, or with what its emptiness means."""
    column.clear()
    with column:
        if not items:
            ui.label(t(empty)).classes("opacity-70")
        for item in items:
            show(item)


def build(ports: NodePorts, me: str) -> None:
    """The community page."""
    CommunityPage(ports, me)


PAGE = Page("/community", "community", "groups", build)
