"""Settings: how the dashboard looks (theme, language), your name in the community, and a
backup of this node's key to restore it on a new device."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nicegui import ui

from ui import strings
from ui.live import call
from ui.pages import Page
from ui.qr import qr_svg
from ui.strings import t

if TYPE_CHECKING:
    from ui.ports import NodePorts

THEMES = ("auto", "light", "dark")
THEME_COOKIE = "hn-theme"
"""The theme this browser chose, kept in a cookie so that every page is built in it."""


def dark_setting(theme: str) -> bool | None:
    """Quasar's dark mode for a theme name (None: as the system)."""
    return {"dark": True, "light": False}.get(theme)


class SettingsPage:
    """One connection's settings page."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me = ports, me
        ui.label(t("settings")).classes("text-xl font-bold")
        with ui.card().classes("w-full"):
            ui.label(t("appearance")).classes("text-lg font-bold")
            themes = {name: t(f"theme_{name}") for name in THEMES}
            request = ui.context.client.request
            chosen = request.cookies.get(THEME_COOKIE, "auto") if request else "auto"
            chosen = chosen if chosen in THEMES else "auto"
            theme = ui.toggle(themes, value=chosen, on_change=lambda e: self.theme(e.value))
            theme.mark("theme")
            with ui.row().classes("items-center gap-2"):
                ui.label(t("language"))
                for lang in strings.LANGUAGES:
                    ui.link(lang.upper(), f"/settings?lang={lang}").mark(f"lang-{lang}")
        with ui.card().classes("w-full"):
            ui.label(t("your_name")).classes("text-lg font-bold")
            valid = {t("required"): lambda v: bool((v or "").strip())}
            self.name = ui.input(t("your_name"), validation=valid).mark("my-name")
            self.name.without_auto_validation()
            ui.timer(0.1, self.show_name, once=True)
            ui.button(t("save"), icon="save", on_click=self.rename).mark("save-name")
        with ui.card().classes("w-full"):
            ui.label(t("notifications")).classes("text-lg font-bold")
            ui.label(t("notifications_intro")).classes("text-sm")
            self.permission = ui.label("").style("min-height: 1.5em").mark("notify-state")
            ui.button(t("allow_notifications"), icon="notifications", on_click=self.allow).mark(
                "allow-notifications"
            )
            self.sound = ui.switch(t("emergency_sound"), on_change=self.choose_sound)
            self.sound.mark("emergency-sound")
            ui.timer(0.1, self.show_notifications, once=True)
        with ui.card().classes("w-full"):
            ui.label(t("key_backup")).classes("text-lg font-bold")
            ui.label(t("key_backup_warning")).classes("text-sm")
            ui.button(t("show_backup"), icon="key", on_click=self.backup).mark("show-backup")
            self.backup_area = ui.column().classes("w-full items-center")

    def theme(self, name: str) -> None:
        """Keep this browser's theme (a year) and apply it now."""
        dark = json.dumps(dark_setting(name) if name != "auto" else "auto")
        ui.run_javascript(
            f"document.cookie = '{THEME_COOKIE}={name}; path=/; max-age=31536000; "
            f"SameSite=Strict'; Quasar.Dark.set({dark});"
        )

    async def show_name(self) -> None:
        """Fill in the name this member goes by now."""
        found = await call(self.ports, "community.members", {})
        mine = [m for m in (found or {}).get("members", []) if m["node_id"] == self.me]
        if mine and not self.name.value:
            self.name.set_value(mine[0]["display_name"])

    async def show_notifications(self) -> None:
        """Say what this browser allows, and whether it sounds an emergency."""
        state = await ui.run_javascript("hnNotificationState()")
        self.permission.set_text(t(f"notify_{state}"))
        self.sound.set_value(bool(await ui.run_javascript("hnSoundOn()")))

    async def allow(self) -> None:
        """Ask the browser for permission to notify."""
        state = await ui.run_javascript("hnAskForNotifications()", timeout=60.0)
        self.permission.set_text(t(f"notify_{state}"))

    def choose_sound(self) -> None:
        """Keep this browser's choice of an emergency sound (off by default)."""
        ui.run_javascript(f"hnSetSound({json.dumps(bool(self.sound.value))})")

    async def rename(self) -> None:
        """Record this member's name."""
        if not self.name.validate():
            return
        done = await call(self.ports, "community.profile.update", {"display_name": self.name.value})
        if done is not None:
            ui.notify(t("name_saved", name=done["display_name"]), type="positive")

    async def backup(self) -> None:
        """Show the key as text and QR code, with a download, after the warning."""
        found = await call(self.ports, "node.key.backup", {})
        if found is None:
            return
        text = found["backup"]
        self.backup_area.clear()
        with self.backup_area:
            ui.html(qr_svg(text), sanitize=False).classes("w-56 bg-white p-2").mark("backup-qr")
            ui.input(t("backup_text"), value=text).props("readonly").classes("w-full hn-mono").mark(
                "backup-text"
            )
            ui.button(
                t("download_backup"),
                icon="download",
                on_click=lambda: ui.download.content(text + "\n", "hearthnet-key.txt"),
            ).mark("download-backup")


def build(ports: NodePorts, me: str) -> None:
    """The settings page."""
    SettingsPage(ports, me)


PAGE = Page("/settings", "settings", "settings", build)
