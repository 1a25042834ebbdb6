"""Text from images and PDFs (`ocr.image`, `ocr.pdf`), read by whichever node has the
languages, and the text of a photo shared on the board made findable.

A PDF's text layer is taken as it is; its scanned pages go through OCR. With `store_text`, the
calling node keeps the text as a file and records `ocr.document.indexed`: the node that read
the pages only answers, it signs nothing. The photos of this node's own posts are read once
and their text recorded the same way, so that a search on any node finds them."""

from __future__ import annotations

import os
import tempfile
import time
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import ocr
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.services import routing
from hearthnet.services.bus import Capability

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

MAX_IMAGE_BYTES = 32 * 2**20
MAX_PDF_BYTES = 64 * 2**20
PHOTOS_PER_ROUND = 4
"""Photos of this node's posts read per update of the views."""

_tried: dict[str, set[str]] = {}
"""The photos each node has asked to read since it started (read once, even if it failed)."""


def _reader(node: NodeContext) -> ocr.Reader | None:
    reader: ocr.Reader | None = getattr(node, "ocr", None)
    return reader


def _fits(wanted: list[str]) -> Any:
    return lambda params: bool(params.get("languages")) and ocr.serves(params["languages"], wanted)


def _here(node: NodeContext, wanted: list[str]) -> ocr.Reader | None:
    reader = _reader(node)
    return reader if reader is not None and ocr.serves(reader.languages(), wanted) else None


def _missing(wanted: list[str]) -> str:
    return f"no node of the mesh reads {'+'.join(wanted) or 'text'} (OCR)"


async def image(call: Call, node: NodeContext) -> dict[str, Any]:
    q: ocr.Image = call.input
    params = call.params_as(ocr.Languages)
    wanted = params.languages
    if q.key and call.level != "self":
        raise BusError("bad_request", "a sealed photo is read only by a node that holds its key")
    reader = _here(node, wanted)

    async def here() -> dict[str, Any]:
        assert reader is not None
        languages = wanted or reader.languages()
        started = time.perf_counter()
        found = routing.input_file(node, q.image_cid, call.caller, MAX_IMAGE_BYTES, q.key)
        async with found as path:
            try:
                reading = await reader.image(path, languages)
            except ValueError as exc:
                raise BusError("bad_request", str(exc)) from None
        return {
            **msgspec.to_builtins(reading),
            "language": "+".join(languages),
            "backend": reader.backend,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }

    if call.level != "self":
        if reader is None:
            raise BusError("not_found", _missing(wanted))
        async with routing.peer_slot(node, "ocr", call.caller):
            return {**await here(), "node": node.me}
    return await routing.answer(
        node,
        "ocr.image",
        {"languages": wanted},
        msgspec.to_builtins(q),
        _fits(wanted),
        here if reader else None,
        _missing(wanted),
        here_only=params.here_only or bool(q.key),
    )


async def _read_pdf(
    node: NodeContext, reader: ocr.Reader, q: ocr.Pdf, wanted: list[str], caller: str
) -> AsyncGenerator[tuple[str, Any], None]:
    first, last = ocr.page_span(q.page_range)
    languages = wanted or reader.languages()
    started, pages = time.perf_counter(), 0
    async with routing.input_file(node, q.doc_cid, caller, MAX_PDF_BYTES) as path:
        yield "progress", {"current": 0, "total": last - first + 1, "stage": "opening"}
        try:
            async for page in reader.pdf(path, first, last, languages, q.force_ocr):
                pages += 1
                total = min(last, page.total) - first + 1
                confidence = page.reading.confidence
                yield "progress", {"current": pages, "total": total, "stage": page.source}
                yield (
                    "page",
                    {
                        "page": page.page,
                        "text": page.reading.text,
                        "confidence_mean": confidence,
                        "source": page.source,
                    },
                )
                if confidence < ocr.LOW_QUALITY:
                    yield "low_quality", {"page": page.page, "confidence_mean": confidence}
        except ValueError as exc:
            raise BusError("bad_request", str(exc)) from None
    yield (
        "done",
        {
            "pages": pages,
            "languages": languages,
            "backend": reader.backend,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


async def _stored(node: NodeContext, doc_cid: str, text: str) -> str:
    """Keep a document's text as a file of this node; its id."""
    handle, path = tempfile.mkstemp(prefix="hearthnet-ocr-", suffix=".txt")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        name = f"{doc_cid.removeprefix('blake3:')[:12]}.ocr.txt"
        put = {"path": path, "name": name, "media_type": "text/plain", "thumbnail": False}
        return str((await node.call("file.put", put))["id"])
    finally:
        os.unlink(path)


async def pdf(call: Call, node: NodeContext) -> AsyncGenerator[tuple[str, Any], None]:
    q: ocr.Pdf = call.input
    params = call.params_as(ocr.Languages)
    wanted = params.languages
    try:
        ocr.page_span(q.page_range)
    except ValueError as exc:
        raise BusError("bad_request", str(exc)) from None
    reader = _here(node, wanted)
    if call.level != "self":
        if reader is None:
            raise BusError("not_found", _missing(wanted))
        async with routing.peer_slot(node, "ocr", call.caller):
            yield "start", {"node": node.me}
            async for frame in _read_pdf(node, reader, q, wanted, call.caller):
                yield frame
        return
    asked = msgspec.structs.replace(q, store_text=False)
    here = (lambda: _read_pdf(node, reader, asked, wanted, node.me)) if reader else None
    frames = routing.stream(
        node,
        "ocr.pdf",
        {"languages": wanted},
        msgspec.to_builtins(asked),
        _fits(wanted),
        here,
        _missing(wanted),
        here_only=params.here_only,
    )
    texts: list[str] = []
    served_by = ""
    async for name, data in frames:
        if name == "start":
            served_by = data["node"]
        if name == "page":
            texts.append(str(data["text"]))
        if name == "done":
            data = {**data, "node": served_by, "stored_cid": None}
            if q.store_text:
                data["stored_cid"] = await _record(node, q.doc_cid, texts, data)
        yield name, data


async def _record(node: NodeContext, doc_cid: str, texts: list[str], done: dict[str, Any]) -> str:
    text = "\f".join(texts)  # a form feed between pages, as plain text marks them
    text_cid = await _stored(node, doc_cid, text)
    read = ocr.Indexed(
        doc_cid=doc_cid,
        text_cid=text_cid,
        pages=int(done["pages"]),
        languages=list(done.get("languages") or [])[:8],
        ocr_backend=str(done.get("backend", ""))[:40],
        ocr_node=str(done.get("node", ""))[:80],
        excerpt=ocr.excerpt(text),
    )
    await node.append(ocr.INDEXED, encode_body(read))
    return text_cid


def _pdf_answer(frames: list[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    pages = [data for name, data in frames if name == "page"]
    done: dict[str, Any] = next((d for name, d in frames if name == "done"), {})
    warned = [data["page"] for name, data in frames if name == "low_quality"]
    output = {"pages": pages, "low_quality_pages": warned, "stored_cid": done.get("stored_cid")}
    return output, {k: done[k] for k in ("node", "backend", "ms") if k in done}


async def read_shared_photos(node: NodeContext) -> None:
    """Read the photos of this node's posts that it has not read yet, in the background."""
    rows = await node.query(
        "SELECT DISTINCT json_extract(a.value, '$.cid') AS cid FROM posts p, "
        "json_each(p.attachments) a WHERE p.author = :me "
        "AND json_extract(a.value, '$.media_type') LIKE 'image/%' "
        "AND json_extract(a.value, '$.cid') NOT IN "
        "(SELECT doc_cid FROM ocr_texts WHERE author = :me)",
        {"me": node.me},
    )
    tried = _tried.setdefault(node.me, set())
    todo = [r["cid"] for r in rows if r["cid"] not in tried][:PHOTOS_PER_ROUND]
    if todo:
        tried.update(todo)
        node.later(_read_photos(node, todo))


async def _read_photos(node: NodeContext, cids: list[str]) -> None:
    for cid in cids:
        try:
            read = await node.call("ocr.image", {"image_cid": cid})
        except BusError:
            continue  # no reader in the mesh, or not an image: the photo stays as it is
        if not read["text"].strip():
            continue
        indexed = ocr.Indexed(
            doc_cid=cid,
            pages=1,
            languages=[lang for lang in read["language"].split("+") if lang][:8],
            ocr_backend=read["backend"][:40],
            ocr_node=read["node"][:80],
            excerpt=ocr.excerpt(read["text"]),
        )
        await node.append(ocr.INDEXED, encode_body(indexed))


CAPABILITIES = (
    Capability("ocr.image", "member", ocr.Image, image),
    Capability("ocr.pdf", "trusted", ocr.Pdf, pdf, streaming=True, collect=_pdf_answer),
)
