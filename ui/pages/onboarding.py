"""Onboarding: a node without a community founds one, joins one with an invite link, or
becomes a backed-up node again from its key backup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.invite import InviteError
from ui.qr import qr_svg
from ui.strings import plain_error, t

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ui.ports import DashboardHost


def build(host: DashboardHost) -> None:
    """The onboarding page."""
    ui.label(t("welcome")).classes("text-2xl font-bold")
    ui.label(t("onboard_intro"))
    with ui.card().classes("w-full"):
        ui.label(t("your_id")).classes("font-bold")
        ui.label(host.node_id).classes("hn-mono text-sm").mark("my-id")
        qr = ui.html(qr_svg(f"hearthnet-id://{host.node_id}"), sanitize=False)
        qr.classes("w-40 bg-white p-1")
    founding, joining = ui.card().classes("w-full"), ui.card().classes("w-full")
    restoring = ui.expansion(t("restore_key"), icon="key").classes("w-full").mark("restore")
    spinner = ui.spinner(size="lg")
    spinner.set_visibility(False)
    with founding:
        _found(host, spinner)
    with joining:
        _join(host, spinner)
    with restoring:
        _restore(host, spinner)


async def _onboard(
    spinner: ui.spinner,
    step: Awaitable[dict[str, Any]],
    said: Callable[[dict[str, Any]], str],
) -> None:
    """Wait for a founding, joining or restoring step with the spinner on; on success say so
    and open the node's pages, else show the refusal in plain words with its code."""
    spinner.set_visibility(True)
    try:
        done = await step
    except InviteError as exc:
        words, details = plain_error(exc.code, str(exc))
        ui.notify(words, caption=details, type="negative", multi_line=True)
        return
    finally:
        spinner.set_visibility(False)
    ui.notify(said(done), type="positive")
    ui.navigate.to("/")


def _found(host: DashboardHost, spinner: ui.spinner) -> None:
    ui.label(t("create_community")).classes("text-lg font-bold")
    valid = {
        t("required"): lambda v: bool((v or "").strip()),
        t("too_long", n=64): lambda v: len((v or "").strip()) <= 64,
    }
    name = ui.input(t("community_name"), validation=valid).classes("w-full")
    name.mark("community-name")
    founder = ui.input(t("your_name"), validation=valid).classes("w-full").mark("founder-name")
    threshold = ui.number(t("revoke_threshold"), value=3, min=1, max=20, precision=0)
    threshold.mark("revoke-threshold")

    async def create() -> None:
        if not name.validate() or not founder.validate():
            return
        founding = host.onboarding.create(
            name.value, int(threshold.value or 3), founder.value.strip()
        )
        await _onboard(spinner, founding, lambda done: t("founded", name=done["community_name"]))

    ui.button(t("create"), icon="add_home", on_click=create).mark("create")


def _join(host: DashboardHost, spinner: ui.spinner) -> None:
    ui.label(t("join_community")).classes("text-lg font-bold")
    valid = {t("link_invalid"): lambda v: (v or "").strip().startswith("hearthnet://v1/")}
    link = ui.textarea(t("invite_link"), validation=valid).classes("w-full").mark("invite-link")
    display = ui.input(t("display_name")).classes("w-full").mark("display-name")

    async def join() -> None:
        if not link.validate() or not (link.value or "").strip():
            link.validate()
            return
        joining = host.onboarding.join(link.value, display.value or "")
        await _onboard(spinner, joining, lambda _: t("joined"))

    ui.button(t("join"), icon="login", on_click=join).mark("join")


def _restore(host: DashboardHost, spinner: ui.spinner) -> None:
    ui.label(t("restore_intro")).classes("text-sm")
    valid = {t("backup_invalid"): lambda v: (v or "").strip().startswith("hearthnet-key://v1/")}
    backup = ui.input(t("backup_text"), validation=valid, password=True)
    backup.props("autocomplete=off").classes("w-full").mark("backup-text")
    backup.without_auto_validation()
    peer = ui.input(t("peer_address"), validation={t("required"): lambda v: bool(v)})
    peer.classes("w-full").mark("restore-peer")
    peer.without_auto_validation()

    async def restore() -> None:
        if not backup.validate() or not peer.validate():
            return
        restoring = host.onboarding.restore(backup.value, peer.value.strip())
        await _onboard(spinner, restoring, lambda _: t("restored"))

    ui.button(t("restore"), icon="restore", on_click=restore).mark("restore-key")
