"""Library: documents added to a collection (a corpus) for the Ask page to ground its answers
in, with the progress of reading them, and what each collection holds."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nicegui import ui

from hearthnet.domain.capability import BusError
from ui.live import call, follow
from ui.pages import Page
from ui.sharing import share_upload, uploader
from ui.strings import t

if TYPE_CHECKING:
    from nicegui.events import UploadEventArguments

    from ui.ports import NodePorts

CORPUS = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class LibraryPage:
    """One connection's Library page."""

    def __init__(self, ports: NodePorts) -> None:
        self.ports = ports
        self.waiting, self.finished = 0, 0
        ui.label(t("library")).classes("text-xl font-bold")
        self.corpus = ui.input(t("library_corpus"), value="community").props("outlined")
        self.corpus.classes("w-full max-w-md").mark("corpus")
        uploader(t("library_add"), self.added).classes("w-full max-w-md").mark("add-documents")
        self.reading = ui.label("").classes("text-sm").mark("reading")
        self.bar = ui.linear_progress(value=0, show_value=False).classes("w-full max-w-md")
        self.bar.set_visibility(False)
        self.list = ui.column().classes("w-full gap-2")
        follow(self.refresh, ports, lambda kind: kind.startswith("rag."))

    def _progress(self) -> None:
        total = self.waiting + self.finished
        busy = self.waiting > 0
        self.bar.set_visibility(busy)
        self.bar.set_value(self.finished / total if total else 0)
        self.reading.set_text(
            t("library_reading", done=self.finished + 1, total=total) if busy else ""
        )
        if not busy:
            self.finished = 0

    async def added(self, event: UploadEventArguments) -> None:
        """Store an uploaded document and ingest it into the collection."""
        corpus = (self.corpus.value or "").strip()
        if not CORPUS.match(corpus):
            ui.notify(t("library_bad_name"), type="warning")
            return
        self.waiting += 1
        self._progress()
        try:
            put = await share_upload(self.ports, event)
            if put is not None:
                data = {"doc_cid": put["id"]}  # titled as the document titles itself
                if put["media_type"] == "application/pdf":
                    read = await self._read_pdf(put)
                    data = {"doc_cid": read, "title": put["name"]} if read else data
                out = await call(self.ports, "rag.ingest", data, {"corpus": corpus})
                if out is not None:
                    ui.notify(
                        t("library_added", name=put["name"], n=out["chunks_indexed"]),
                        type="positive",
                    )
        finally:
            self.waiting -= 1
            self.finished += 1
            self._progress()
        await self.refresh()

    async def _read_pdf(self, put: dict[str, Any]) -> str | None:
        """A PDF's text, its scanned pages read through OCR by a node of the mesh, kept as a
        text file (a form feed between pages); None when no node reads (its text layer is
        then taken as it is)."""
        pages: list[str] = []
        first = 1
        while True:
            data = {"doc_cid": put["id"], "page_range": [first, first + 49]}
            got = 0
            try:
                async for event, frame in self.ports.bus.stream("ocr.pdf", data):
                    if event == "progress" and frame["stage"] != "opening":
                        self.reading.set_text(
                            t("library_scanned", name=put["name"], done=len(pages) + 1,
                              total=first - 1 + frame["total"])
                        )  # fmt: skip
                    elif event == "page":
                        pages.append(frame["text"])
                        got += 1
                    elif event == "error":
                        return None
            except BusError:
                return None
            if got < 50:
                break
            first += 50
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / f"{Path(put['name']).stem}.txt"
            path.write_text("\f".join(pages), encoding="utf-8")
            stored = await call(self.ports, "file.put", {"path": str(path), "thumbnail": False})
        return str(stored["id"]) if stored else None

    async def refresh(self) -> None:
        """Show each collection and its documents."""
        found = await call(self.ports, "rag.list_corpora", {})
        if found is None:
            return
        self.list.clear()
        with self.list:
            if not found["corpora"]:
                ui.label(t("library_empty"))
            for c in found["corpora"]:
                with ui.card().classes("w-full max-w-2xl").mark(f"corpus-{c['name']}"):
                    ui.label(c["name"]).classes("font-bold")
                    ui.label(t("library_docs", n=c["docs"], chunks=c["chunks"])).classes(
                        "text-sm opacity-70"
                    )
                    for d in c["documents"]:
                        ui.label(f"{d['title'] or d['doc_cid'][:23]} · {d['chunks']}").classes(
                            "text-sm"
                        )


def build(ports: NodePorts, me: str) -> None:
    """The Library page."""
    LibraryPage(ports)


PAGE = Page("/library", "library", "local_library", build)
