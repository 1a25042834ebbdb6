"""Files on the pages: a browser upload stored and shared through `file.put`, a file fetched
with its progress and handed to the browser, and a photo's thumbnail as an image source."""

from __future__ import annotations

import asyncio
import base64
import html
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.capability import BusError
from ui.live import call
from ui.strings import plain_error

if TYPE_CHECKING:
    from collections.abc import Callable

    from nicegui.events import UploadEventArguments

    from ui.ports import NodePorts

DOWNLOADS = Path(tempfile.gettempdir()) / "hearthnet-downloads"
KEEP_DOWNLOADS_S = 3600


async def share_upload(
    ports: NodePorts, event: UploadEventArguments, *, seal: bool = False
) -> dict[str, Any] | None:
    """Store an uploaded file on this node and share it (sealed for a private message when
    asked); its `file.put` output with the upload's own name and type (which a sealed file
    keeps out of the log), or None after showing why not."""
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "upload"
        await event.file.save(path)
        data = {"path": str(path), "name": event.file.name[:200], "seal": seal}
        kind = event.file.content_type if "/" in (event.file.content_type or "") else ""
        if kind:
            data["media_type"] = kind[:100]
        put = await call(ports, "file.put", data)
    if put is None:
        return None
    return {**put, "name": event.file.name[:120], "media_type": kind[:100] or put["media_type"]}


def uploader(label: str, on_upload: Callable[[UploadEventArguments], Any]) -> ui.upload:
    """A file upload whose header is one labelled button (the file list below shows each
    upload's progress)."""
    upload = ui.upload(auto_upload=True, multiple=True, on_upload=on_upload)
    upload.props("flat bordered")
    upload.add_slot(  # the file input itself covers the label: one control, not two nested
        "header",
        '<div class="relative-position row items-center q-gutter-x-sm q-pa-sm hn-pick">'
        f'<q-icon name="upload_file" size="sm" /><span>{html.escape(label)}</span>'
        "<q-uploader-add-trigger /></div>",
    )
    return upload


def attachment(put: dict[str, Any]) -> dict[str, Any]:
    """The attachment a post or a message carries for a stored file."""
    found = {
        "cid": put["id"],
        "name": put["name"][:120],
        "media_type": put["media_type"],
        "size_bytes": put["size_bytes"],
    }
    if put.get("thumbnail"):
        found["thumb"] = put["thumbnail"]
    if put.get("key"):
        found["key"] = put["key"]
    return found


async def fetch(
    ports: NodePorts,
    fid: str,
    name: str,
    key: str = "",
    shown: Callable[[float], object] | None = None,
) -> Path | None:
    """Fetch a file (from whoever holds it) and write it out under its name; None after
    showing why not."""
    client = ui.context.client  # what asked may be drawn again while the file comes
    await asyncio.to_thread(_prune_downloads)
    out = DOWNLOADS / (fid[7:23] + "-" + (Path(name).name or "file"))
    data = {"id": fid, "to": str(out), "key": key}
    async for event, frame in ports.bus.stream("file.get", data):
        if event == "progress" and shown is not None and frame["total_bytes"]:
            shown(frame["have_bytes"] / frame["total_bytes"])
        elif event == "error":
            said, details = plain_error(frame["error"], frame.get("message", ""))
            with client:
                ui.notify(said, caption=details, type="negative", multi_line=True)
            return None
    return out


def _prune_downloads() -> None:
    """Drop what was handed to a browser long ago (the store keeps the file)."""
    DOWNLOADS.mkdir(exist_ok=True)
    for old in DOWNLOADS.iterdir():
        if old.stat().st_mtime < time.time() - KEEP_DOWNLOADS_S:
            old.unlink(missing_ok=True)


async def download(ports: NodePorts, fid: str, name: str, key: str = "") -> None:
    """Fetch a file and hand it to the browser (the button that asked may be gone by then:
    a list drawn again as the file arrived)."""
    client = ui.context.client
    out = await fetch(ports, fid, name, key)
    if out is not None:
        with client:
            ui.download.file(out, name or out.name)


async def image_source(ports: NodePorts, fid: str) -> str | None:
    """A small image (a thumbnail) as a data URL, fetched first if it is elsewhere."""
    try:
        frames = ports.bus.stream("file.get", {"id": fid})
        async for event, _ in frames:
            if event == "error":
                return None
        data = bytearray()
        async for event, frame in ports.bus.stream("file.read", {"id": fid}):
            if event == "chunk":
                data += base64.urlsafe_b64decode(frame["data_b64"] + "==")
            elif event == "error":
                return None
    except BusError:
        return None
    return "data:image/jpeg;base64," + base64.b64encode(bytes(data)).decode()
