"""Community: members and their levels, invites with link and QR code, and membership changes
with the co-signatures the community's policy asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.types import InvalidIdentifier, parse_node_id
from ui.live import call, follow
from ui.pages import Page
from ui.qr import qr_svg
from ui.strings import t

if TYPE_CHECKING:
    from ui.ports import NodePorts

REASONS = ("other", "compromised", "inactive", "policy_violation")


def is_node_id(text: str) -> bool:
    """Whether text is a full node id."""
    try:
        parse_node_id(text.strip())
    except InvalidIdentifier:
        return False
    return True


def parse_cosigs(text: str) -> list[dict[str, str]] | None:
    """Lines of NODE_ID=SIGNATURE as co-signer entries; None if a line is not one."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        node, _, signature = line.strip().partition("=")
        if not signature or not is_node_id(node):
            return None
        out.append({"node_id": node, "signature": signature})
    return out


def build(ports: NodePorts, me: str) -> None:
    """The community page."""
    ui.label(t("community")).classes("text-xl font-bold")
    with ui.row().classes("w-full items-center gap-2"):
        ui.label(t("your_id")).classes("font-bold")
        ui.label(me).classes("hn-mono text-sm").mark("my-id")
    ui.label(t("members")).classes("text-lg font-bold")
    members = (
        ui.table(
            columns=[
                {"name": "name", "label": t("name"), "field": "display_name", "align": "left"},
                {"name": "node", "label": t("node"), "field": "short", "align": "left"},
                {"name": "level", "label": t("level"), "field": "level"},
                {"name": "status", "label": t("status"), "field": "status"},
            ],
            rows=[],
            row_key="node_id",
        )
        .classes("w-full")
        .props("dense flat")
        .mark("members")
    )

    with ui.card().classes("w-full"):
        ui.label(t("invite")).classes("text-lg font-bold")
        with ui.row().classes("w-full items-start gap-2"):
            invitee = ui.input(
                t("invitee"), validation={t("node_id_invalid"): lambda v: is_node_id(v or "")}
            )
            invitee.classes("grow min-w-64").mark("invitee")
            nickname = ui.input(t("display_name")).classes("w-48").mark("invitee-name")
            level = ui.select(["member", "trusted"], value="member", label=t("level"))
            hours = ui.number(t("hours"), value=24, min=1, max=720, precision=0).classes("w-32")
        ui.button(t("create_invite"), icon="qr_code", on_click=lambda: invite()).mark("invite")
        invitation = ui.column().classes("w-full items-center")

    with ui.card().classes("w-full"):
        ui.label(t("membership")).classes("text-lg font-bold")
        with ui.row().classes("w-full items-start gap-2"):
            target = ui.select({}, label=t("target"), with_input=True).classes("grow min-w-64")
            target.mark("change-target")
            change = (
                ui.select(
                    {"promote": t("promote"), "demote": t("demote"), "revoke": t("revoke")},
                    value="promote",
                    label=t("change"),
                )
                .classes("w-36")
                .mark("change-kind")
            )
            new_level = ui.select(
                ["member", "trusted", "anchor"], value="trusted", label=t("level")
            )
            reason = ui.select(list(REASONS), value="other", label=t("reason"))
        cosigs = (
            ui.textarea(
                t("cosigs"),
                validation={t("cosig_invalid"): lambda v: parse_cosigs(v or "") is not None},
            )
            .classes("w-full")
            .mark("cosigs")
        )
        with ui.row():
            ui.button(t("apply"), icon="gavel", on_click=lambda: apply()).mark("apply-change")
            ui.button(t("cosign"), icon="draw", on_click=lambda: cosign()).props("outline").mark(
                "cosign"
            )
        cosigned = ui.column().classes("w-full")

    def change_input() -> dict[str, Any]:
        return {"target_node_id": target.value or ""}

    async def refresh() -> None:
        found = await call(ports, "community.members", {})
        if found is None:
            return
        members.rows = [{**m, "short": m["node_id"][:24]} for m in found["members"]]
        members.update()
        target.set_options(
            {m["node_id"]: m["display_name"] or m["node_id"][8:24] for m in found["members"]}
        )

    async def invite() -> None:
        if not invitee.validate() or not invitee.value:
            return
        made = await call(
            ports,
            "community.invite",
            {
                "invitee_node_id": invitee.value.strip(),
                "display_name": nickname.value or "",
                "initial_level": level.value,
                "ttl_hours": float(hours.value or 24),
            },
        )
        if made is None:
            return
        invitation.clear()
        with invitation:
            ui.label(t("invite_ready", who=nickname.value or invitee.value[8:24]))
            ui.html(qr_svg(made["link"]), sanitize=False).classes("w-64 bg-white p-2").mark("qr")
            ui.input(t("invite_link"), value=made["link"]).props("readonly").classes(
                "w-full hn-mono"
            ).mark("invite-link")

    async def apply() -> None:
        parsed = parse_cosigs(cosigs.value or "")
        if not target.value or parsed is None:
            cosigs.validate()
            return
        if change.value == "revoke":
            ref = "community.revoke"
            body = {**change_input(), "reason": reason.value, "co_signers": parsed}
        else:
            ref = f"community.{change.value}"
            body = {**change_input(), "new_level": new_level.value, "co_signers": parsed}
        done = await call(ports, ref, body)
        if done is not None:
            ui.notify(
                t("changed", who=target.value[8:24], level=done["level"], status=done["status"]),
                type="positive",
            )
            cosigs.set_value("")
            await refresh()

    async def cosign() -> None:
        if not target.value:
            return
        body = {
            **change_input(),
            "change": change.value,
            "new_level": new_level.value,
            "reason": reason.value,
        }
        signed = await call(ports, "community.cosign", body)
        if signed is None:
            return
        cosigned.clear()
        with cosigned:
            ui.label(t("cosign_hint"))
            ui.input(value=signed["cosig"]).props("readonly").classes("w-full hn-mono").mark(
                "cosig"
            )

    follow(refresh, ports, lambda kind: kind.startswith("community."))


PAGE = Page("/community", "community", "groups", build)
