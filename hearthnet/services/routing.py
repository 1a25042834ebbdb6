"""Calls served by whichever node can: this node when it has the engine, else the peers whose
manifest says they serve what the call needs, one after another until one answers. A peer
that fails before its answer starts is left for the next; the caller learns which node
answered (`node`) and which failed (`failed`). A call from a peer is served where it lands
or not at all, so calls never bounce between nodes."""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import TYPE_CHECKING, Any

from hearthnet.domain.capability import ERROR_STATUS, BusError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable

    from hearthnet.services.bus import Remote
    from hearthnet.services.context import NodeContext

CALLS_PER_PEER = 2
"""Calls of one capability one peer may have running here at once: a member cannot take the
node's engines for itself."""
FAIL_OVER = frozenset({"timeout", "partition", "internal_error", "rate_limited", "not_found"})
"""Failures after which the next node is tried."""


def wire_error(data: Any) -> BusError:
    """The BusError of an `error` frame."""
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    message = str(data.get("message", ""))[:300] if isinstance(data, dict) else ""
    return BusError(code if code in ERROR_STATUS else "internal_error", message)


@contextlib.asynccontextmanager
async def peer_slot(node: NodeContext, name: str, caller: str) -> AsyncIterator[None]:
    """Hold one of the caller's CALLS_PER_PEER slots for a capability, or refuse the call
    (the node's own operator is not counted)."""
    if caller == node.me:
        yield
        return
    slots = (node.serial(f"{name}.peer.{i}.{caller}") for i in range(CALLS_PER_PEER))
    slot = next((s for s in slots if not s.locked()), None)
    if slot is None:
        raise BusError("rate_limited", f"{CALLS_PER_PEER} calls of {name} at once per node")
    async with slot:
        yield


@contextlib.asynccontextmanager
async def input_file(
    node: NodeContext, fid: str, caller: str, max_bytes: int, key: bytes = b""
) -> AsyncIterator[str]:
    """A call's input file as a path here: fetched first (from the caller, else from the
    members advertising it) when this node does not hold it; removed after the call."""
    files = getattr(node, "files", None)
    if files is None:
        raise BusError("not_found", "this node keeps no files")
    here = [s for s in await files.stored(fid) if s["id"] == fid]
    if not (here and here[0]["complete"]):
        rows = await node.query(
            "SELECT holder, size_bytes FROM file_holders WHERE file_id = :id AND held = 1",
            {"id": fid},
        )
        if any(r["size_bytes"] > max_bytes for r in rows):
            raise BusError("bad_request", f"the file is over {max_bytes} bytes")
        holders = [h for h in dict.fromkeys([caller, *(r["holder"] for r in rows)]) if h != node.me]
        if not holders:
            raise BusError("not_found", f"no member holds {fid}")
        await files.fetch(fid, holders, "", lambda _: None)
    manifest = await files.manifest(fid)
    if manifest is None:
        raise BusError("not_found", f"no whole file {fid} here")
    if manifest.size_bytes > max_bytes:
        raise BusError("bad_request", f"the file is {manifest.size_bytes} bytes, over {max_bytes}")
    handle, path = tempfile.mkstemp(prefix="hearthnet-input-")
    os.close(handle)
    try:
        try:
            await files.export(fid, path, key)
        except ValueError as exc:  # a key that does not open the file
            raise BusError("bad_request", str(exc)) from None
        yield path
    finally:
        os.unlink(path)


async def advertised(node: NodeContext, name: str) -> list[tuple[Remote, dict[str, Any]]]:
    """The healthy peers serving a capability with the params they advertise, best first."""
    found = []
    for remote in await node.remotes(name):
        try:
            offers = await remote.offers()
        except BusError:
            continue
        params = next((d.params for d in offers if d.name == name), None) or {}
        found.append((remote, params))
    return found


async def offering(
    node: NodeContext, name: str, fits: Callable[[dict[str, Any]], bool]
) -> list[Remote]:
    """The healthy peers whose advertised params for a capability fit the call, best first."""
    return [remote for remote, params in await advertised(node, name) if fits(params)]


async def answer(
    node: NodeContext,
    name: str,
    params: dict[str, Any],
    input: Any,
    fits: Callable[[dict[str, Any]], bool],
    here: Callable[[], Awaitable[dict[str, Any]]] | None,
    missing: str,
    *,
    here_only: bool = False,
) -> dict[str, Any]:
    """The first answer to a call: here if `here` is given, else from the peers that fit
    (never from a peer when `here_only`: a private text does not leave the node)."""
    failed: list[dict[str, str]] = []
    if here is not None:
        return {**await here(), "node": node.me, "failed": failed}
    if here_only:
        raise BusError("not_found", f"{missing} here, and a private text stays on this node")
    for remote in await offering(node, name, fits):
        try:
            got = await remote.call(f"{name}@1.0", params, input)
        except BusError as exc:
            if exc.code not in FAIL_OVER:
                raise
            failed.append({"node": remote.peer_id, "error": exc.code, "message": exc.message})
            continue
        output: dict[str, Any] = got.get("output") or {}
        return {**output, "node": remote.peer_id, "failed": failed}
    raise BusError(
        "not_found", f"{missing}{': every node failed ' + str(failed) if failed else ''}"
    )


async def stream(
    node: NodeContext,
    name: str,
    params: dict[str, Any],
    input: Any,
    fits: Callable[[dict[str, Any]], bool],
    here: Callable[[], AsyncGenerator[tuple[str, Any], None]] | None,
    missing: str,
    *,
    here_only: bool = False,
) -> AsyncGenerator[tuple[str, Any], None]:
    """The frames of the first node that starts answering: `start` {node, failed}, then its
    frames. Once a node has answered a frame, its failure ends the stream. With `here_only`,
    only this node answers."""
    failed: list[dict[str, str]] = []
    sources: list[tuple[str, Callable[[], AsyncGenerator[tuple[str, Any], None]]]] = []
    if here is not None:
        sources.append((node.me, here))
    elif here_only:
        raise BusError("not_found", f"{missing} here, and a private text stays on this node")
    else:
        for remote in await offering(node, name, fits):
            sources.append(
                (remote.peer_id, lambda r=remote: r.stream(f"{name}@1.0", params, input))  # type: ignore[misc]
            )
    for peer, open_frames in sources:
        started = False
        try:
            async with contextlib.aclosing(open_frames()) as frames:
                async for frame, data in frames:
                    if frame == "error":
                        raise wire_error(data)
                    if frame == "start":
                        continue
                    if not started:
                        started = True
                        yield "start", {"node": peer, "failed": failed}
                    yield frame, data
            if started:
                return
            raise BusError("partition", "the stream ended before its first frame")
        except BusError as exc:
            if started or exc.code not in FAIL_OVER or peer == node.me:
                raise
            failed.append({"node": peer, "error": exc.code, "message": exc.message})
    raise BusError(
        "not_found", f"{missing}{': every node failed ' + str(failed) if failed else ''}"
    )
