"""The bus surface: capability calls from this node's operator or from signed members, and
the OpenAPI description of every endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hearthnet.adapters.http_common import BodyError, error, read_body
from hearthnet.adapters.openapi import describe
from hearthnet.domain.capability import BusError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from starlette.requests import Request

    from hearthnet.adapters.http_api import NodeApi


KEEPALIVE_S = 10.0
"""A stream that has nothing to send for this long sends an SSE comment: a caller tells a node
still working (a long prompt read on a slow machine) from one that stopped answering."""
_END = object()


async def sse(frames: AsyncIterator[tuple[str, Any]]) -> AsyncGenerator[bytes, None]:
    """Frames as server-sent events (`event: name` and one line of JSON data each), with a
    `: waiting` comment whenever the next frame is KEEPALIVE_S in coming. The frames are
    drawn on a task of their own, one ahead at most, and closed when the stream ends."""
    ready: asyncio.Queue[Any] = asyncio.Queue(maxsize=1)

    async def draw() -> None:
        try:
            async with contextlib.aclosing(frames):  # type: ignore[type-var]
                async for frame in frames:
                    await ready.put(frame)
        except Exception as exc:  # handed to the stream, raised there
            await ready.put(exc)
        await ready.put(_END)

    drawing = asyncio.create_task(draw())
    try:
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE_S):
                    frame = await ready.get()
            except TimeoutError:
                yield b": waiting\n\n"
                continue
            if frame is _END:
                return
            if isinstance(frame, Exception):
                raise frame
            name, data = frame
            yield b"event: " + name.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"
    finally:
        drawing.cancel()  # closes the frames, wherever they were


def _call(api: NodeApi) -> Any:
    async def call(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyError as exc:
            return exc.response
        ref = request.path_params.get("capability") or request.headers.get(
            "x-hearthnet-capability", ""
        )
        if api.gate.is_operator(request):
            caller, level = api.me, "self"
        else:
            who = api.gate.calling(request, body)
            if isinstance(who, JSONResponse):
                return who
            caller, level = who
        return await _answer(api, request, ref, caller, level, body)

    return call


async def _answer(
    api: NodeApi, request: Request, ref: str, caller: str, level: str, body: bytes
) -> Response:
    """Decode `{params, input}`, serve the call (or its stream) and answer in the taxonomy."""
    try:
        envelope = msgspec.json.decode(body) if body else {}
        if not isinstance(envelope, dict):
            raise TypeError("the body is a JSON object {params, input}")
        params, data = envelope.get("params") or {}, envelope.get("input") or {}
        if not isinstance(params, dict):
            raise TypeError("params must be an object")
        own = level == "self"  # only the operator's calls go on to peers
        if "text/event-stream" in request.headers.get("accept", ""):
            frames = api.bus.stream(ref, caller, level, params, data, route_remote=own)
            return StreamingResponse(sse(frames), media_type="text/event-stream")
        result = await api.bus.call(ref, caller, level, params, data, route_remote=own)
    except BusError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, exc.status)
    except (msgspec.DecodeError, TypeError, ValueError) as exc:
        return error(400, "bad_request", str(exc))
    except RecursionError:
        return error(400, "bad_request", "the body is nested too deeply")
    except Exception:  # a defect: answered in the taxonomy, logged in full
        logging.getLogger("hearthnet").exception("capability %s failed", ref)
        return error(500, "internal_error", f"{ref} failed; the node logged the details")
    return JSONResponse(result)


def routes(api: NodeApi) -> list[Route]:
    """The bus routes of a node."""

    async def openapi(_: Request) -> Response:
        return JSONResponse(describe(api.bus))

    call = _call(api)
    return [
        Route("/bus/v1/call", call, methods=["POST"]),
        Route("/bus/v1/call/{capability}", call, methods=["POST"]),
        Route("/openapi.json", openapi),
    ]
