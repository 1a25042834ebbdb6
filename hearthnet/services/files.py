"""The files' capabilities: put a file of this machine, get one from its holders, read one
chunk by chunk, list, advertise, pin, unpin and remove.

Storing and fetching happen on the operator's request only (trust `self`); members read the
files this node holds and list them. A file this node holds whole is advertised on the log;
one it no longer holds (removed, or collected to make room) is withdrawn.
"""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hearthnet.domain import files as f
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.services.bus import Capability

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


def _files(node: NodeContext) -> f.Files:
    files: f.Files | None = getattr(node, "files", None)
    if files is None:
        raise BusError("not_found", "this node keeps no files")
    return files


async def _withdraw_collected(node: NodeContext) -> None:
    for fid in _files(node).collected():
        await node.append(f.FILE_WITHDRAWN, encode_body(f.Withdrawn(id=fid)))


async def _advertise(node: NodeContext, stored: dict[str, Any]) -> None:
    ad = f.Advertised(
        id=stored["id"],
        size_bytes=stored["size_bytes"],
        name=stored["name"][:200],
        media_type=stored["media_type"],
    )
    await node.append(f.FILE_ADVERTISED, encode_body(ad))


async def put(call: Call, node: NodeContext) -> dict[str, Any]:
    q: f.Put = call.input
    path = Path(q.path)
    try:
        found = path.is_file()
    except (OSError, ValueError) as exc:  # a name too long, a NUL in it
        raise BusError("bad_request", f"not a path of this machine: {exc}") from None
    if not found:
        raise BusError("bad_request", f"no file at {q.path[:300]}")
    name = q.name or path.name
    files = _files(node)
    stored = await files.put(str(path), name, q.media_type or "", pin=q.pin, seal=q.seal)
    await _withdraw_collected(node)
    await _advertise(node, stored)
    thumbnail = None
    if q.thumbnail and not q.seal and stored["media_type"].startswith("image/"):
        thumbnail = await files.thumbnail(stored["id"])
        if thumbnail is not None:
            shown = next(s for s in await files.stored(thumbnail) if s["id"] == thumbnail)
            await _advertise(node, shown)
    key: bytes = stored.pop("key")
    return {**stored, "key": base64.b64encode(key).decode(), "thumbnail": thumbnail}


async def _holders(node: NodeContext, fid: str) -> tuple[list[str], str]:
    rows = await node.query(
        "SELECT holder, name FROM file_holders WHERE file_id = :id AND held = 1 "
        "ORDER BY lamport DESC",
        {"id": fid},
    )
    names = [r["name"] for r in rows if r["name"]]
    return [r["holder"] for r in rows if r["holder"] != node.me], names[0] if names else ""


async def get(call: Call, node: NodeContext) -> AsyncIterator[tuple[str, Any]]:
    q: f.Get = call.input
    files = _files(node)
    here = {s["id"]: s for s in await files.stored(q.id)}
    figures: dict[str, Any] = {"fetched_bytes": 0, "holders": {}}
    if not here.get(q.id, {}).get("complete"):
        holders, name = await _holders(node, q.id)
        if q.holders:
            holders = [h for h in holders if h in q.holders]
        if not holders:
            raise BusError("not_found", f"no member advertises {q.id}")
        seen: list[dict[str, Any]] = []
        started = time.monotonic()
        fetching = files.fetch(q.id, holders, name, seen.append)
        task = asyncio.ensure_future(fetching)
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            if seen:
                yield "progress", seen[-1]
                seen.clear()
        figures = task.result()
        figures["seconds"] = round(time.monotonic() - started, 3)
        await _withdraw_collected(node)
    if q.pin:
        await files.pin(q.id, True)
    stored = next(s for s in await files.stored(q.id) if s["id"] == q.id)
    if not here.get(q.id, {}).get("complete"):
        await _advertise(node, stored)
    written = 0
    if q.to:
        try:
            written = await files.export(q.id, q.to, q.key)
        except ValueError as exc:  # a key that does not open the file, a NUL in the path
            raise BusError("bad_request", str(exc)) from None
        except OSError as exc:
            raise BusError("bad_request", f"cannot write {q.to[:300]}: {exc}") from None
    yield "file", {**stored, **figures, "written_bytes": written, "to": q.to}


async def read(call: Call, node: NodeContext) -> AsyncIterator[tuple[str, Any]]:
    q: f.Read = call.input
    files = _files(node)
    manifest = await files.manifest(q.id)
    if manifest is None:
        raise BusError("not_found", f"{q.id} is not here")
    yield (
        "manifest",
        {
            "cid": q.id,
            "size_bytes": manifest.size_bytes,
            "chunk_size_bytes": manifest.chunk_size_bytes,
            "media_type": manifest.media_type,
            "chunks": [{"i": i, "cid": "blake3:" + h.hex()} for i, h in enumerate(manifest.chunks)],
        },
    )
    index = q.first
    async for data in files.chunks(q.id, q.first, q.count):
        yield (
            "chunk",
            {
                "i": index,
                "cid": "blake3:" + manifest.chunks[index].hex(),
                "size_bytes": len(data),
                "data_b64": base64.urlsafe_b64encode(data).rstrip(b"=").decode(),
            },
        )
        index += 1


async def list_files(call: Call, node: NodeContext) -> dict[str, Any]:
    q: f.Listing = call.input
    here = {s["id"]: s for s in await _files(node).stored(q.prefix)}
    rows = await node.query(
        "SELECT file_id, holder, size_bytes, name, media_type FROM file_holders "
        "WHERE held = 1 AND file_id LIKE :prefix || '%' ORDER BY lamport DESC",
        {"prefix": q.prefix},
    )
    known: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = known.setdefault(
            r["file_id"],
            {"id": r["file_id"], "size_bytes": r["size_bytes"], "name": "", "media_type": ""},
        )
        entry["name"] = entry["name"] or r["name"]
        entry["media_type"] = entry["media_type"] or r["media_type"]
        entry.setdefault("holders", []).append(r["holder"])
    for fid, s in here.items():
        entry = known.setdefault(fid, {"id": fid, "holders": []})
        entry.update(size_bytes=s["size_bytes"], name=entry.get("name") or s["name"])
        entry["media_type"] = entry.get("media_type") or s["media_type"]
    for fid, entry in known.items():
        held = here.get(fid)
        entry["here"] = "whole" if held and held["complete"] else "part" if held else ""
        entry["pinned"] = bool(held and held["pinned"])
    whole = [fid for fid, s in here.items() if s["complete"]]
    return {"cids": whole, "files": list(known.values())}


async def advertise(call: Call, node: NodeContext) -> dict[str, Any]:
    q: f.Advertise = call.input
    recorded = 0
    for fid in q.cids:
        stored = [s for s in await _files(node).stored(fid) if s["id"] == fid and s["complete"]]
        if stored:
            await _advertise(node, stored[0])
            recorded += 1
    return {"recorded": recorded}


async def pin(call: Call, node: NodeContext) -> dict[str, Any]:
    q: f.Target = call.input
    if not await _files(node).pin(q.id, True):
        raise BusError("not_found", f"{q.id} is not here")
    return {"id": q.id, "pinned": True}


async def unpin(call: Call, node: NodeContext) -> dict[str, Any]:
    q: f.Target = call.input
    if not await _files(node).pin(q.id, False):
        raise BusError("not_found", f"{q.id} is not here")
    return {"id": q.id, "pinned": False}


async def remove(call: Call, node: NodeContext) -> dict[str, Any]:
    q: f.Target = call.input
    if not await _files(node).remove(q.id):
        raise BusError("not_found", f"{q.id} is not here")
    recorded = await node.append(f.FILE_WITHDRAWN, encode_body(f.Withdrawn(id=q.id)))
    return {"id": q.id, "event_id": recorded.id.hex()}


CAPABILITIES = (
    Capability("file.put", "self", f.Put, put),
    Capability("file.get", "self", f.Get, get, streaming=True),
    Capability("file.read", "member", f.Read, read, streaming=True),
    Capability("file.list", "member", f.Listing, list_files),
    Capability("file.advertise", "self", f.Advertise, advertise),
    Capability("file.pin", "self", f.Target, pin),
    Capability("file.unpin", "self", f.Target, unpin),
    Capability("file.remove", "self", f.Target, remove),
)
