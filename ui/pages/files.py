"""Files: share a file (with the upload's progress), and every file the members hold, with
who holds it; fetch one with its progress, keep it pinned here, or remove it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import ui

from ui.live import call, follow
from ui.pages import Page
from ui.people import names
from ui.sharing import fetch, share_upload, uploader
from ui.strings import t

if TYPE_CHECKING:
    from nicegui.events import UploadEventArguments

    from ui.ports import NodePorts


def size_text(n: int) -> str:
    """A size as people read it."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


class FilesPage:
    """One connection's Files page."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me = ports, me
        ui.label(t("files")).classes("text-xl font-bold")
        uploader(t("share_file"), self.shared).classes("w-full max-w-md").mark("share-file")
        self.progress = ui.linear_progress(value=0, show_value=False).classes("w-full")
        self.progress.set_visibility(False)
        self.list = ui.column().classes("w-full gap-2")
        follow(self.refresh, ports, lambda kind: kind.startswith("file."))

    async def shared(self, event: UploadEventArguments) -> None:
        """Store and share an uploaded file."""
        put = await share_upload(self.ports, event)
        event.sender.reset()  # type: ignore[attr-defined]
        if put is not None:
            ui.notify(t("file_shared", name=put["name"]), type="positive")
            await self.refresh()

    async def get(self, entry: dict[str, Any]) -> None:
        """Fetch a file here, showing the progress, and hand it to the browser. The list,
        and the button that asked, are drawn again when this node starts holding the file."""
        client = ui.context.client
        self.progress.set_visibility(True)
        self.progress.set_value(0)
        out = await fetch(self.ports, entry["id"], entry["name"], shown=self.progress.set_value)
        self.progress.set_visibility(False)
        if out is not None:
            with client:
                ui.download.file(out, entry["name"] or out.name)
                await self.refresh()

    async def act(self, capability: str, fid: str) -> None:
        """Pin, unpin or remove."""
        if await call(self.ports, capability, {"id": fid}) is not None:
            await self.refresh()

    def row(self, entry: dict[str, Any], who: dict[str, str]) -> None:
        """One file."""
        with ui.card().classes("w-full").mark(f"file-{entry['id'][7:19]}"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.icon("image" if entry["media_type"].startswith("image/") else "description")
                ui.label(entry["name"] or entry["id"][:23]).classes("font-bold")
                ui.label(size_text(entry["size_bytes"])).classes("text-xs opacity-70")
                ui.space()
                if entry["here"] == "whole":
                    ui.badge(t("pinned") if entry["pinned"] else t("held_here"), color="primary")
            holders = [who.get(h, h[8:20]) for h in entry["holders"]]
            ui.label(t("held_by", who=", ".join(holders) or "—")).classes("text-sm")
            with ui.row().classes("gap-1"):
                fid = entry["id"]
                ui.button(t("download"), icon="download", on_click=lambda: self.get(entry)).props(
                    "flat dense"
                ).mark("download")
                if entry["here"] == "whole":
                    pin = "file.unpin" if entry["pinned"] else "file.pin"
                    ui.button(
                        t("unpin") if entry["pinned"] else t("pin"),
                        icon="push_pin",
                        on_click=lambda: self.act(pin, fid),
                    ).props("flat dense").mark("pin")
                if entry["here"]:
                    ui.button(
                        t("remove_here"),
                        icon="delete",
                        on_click=lambda: self.act("file.remove", fid),
                    ).props("flat dense").mark("remove")

    async def refresh(self) -> None:
        """Show every file the members hold."""
        found = await call(self.ports, "file.list", {})
        if found is None:
            return
        who = await names(self.ports, self.me)
        self.list.clear()
        with self.list:
            shown = [f for f in found["files"] if f["name"]]  # unnamed: a thumbnail, a sealed file
            if not shown:
                ui.label(t("no_files"))
            for entry in shown:
                self.row(entry, who)


def build(ports: NodePorts, me: str) -> None:
    """The Files page."""
    FilesPage(ports, me)


PAGE = Page("/files", "files", "folder", build)
