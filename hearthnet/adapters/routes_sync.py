"""The sync surface: reconcile, fetch and push, for members and open invitees only.

Every request is signed and paced by the gate; a frame that does not decode is a strike,
and so is a pushed event that no honest node sends.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hearthnet.adapters.http_common import MSGPACK, BodyError, error, read_body
from hearthnet.domain.types import InvalidIdentifier
from hearthnet.sync import protocol
from hearthnet.sync.negentropy import NegentropyError
from hearthnet.sync.protocol import Bundle, Fetch, FrameError
from hearthnet.sync.session import respond

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    from hearthnet.adapters.http_api import NodeApi

CALLER_URL = "x-hearthnet-url"
"""Where a calling member can be reached: how the mesh fills in without discovery."""


async def _reconcile(api: NodeApi, request: Request, _: bytes, body: bytes) -> bytes:
    compact = request.headers.get(protocol.COMPACT_HEADER) == "compact"
    priority = request.headers.get(protocol.SCOPE_HEADER) == "priority"
    storage = await api.replica.storage(priority=priority)
    return protocol.encode(respond(storage, body, compact=compact))


async def _fetch(api: NodeApi, _: Request, __: bytes, body: bytes) -> bytes:
    request = protocol.decode(body, Fetch)
    bundle = await api.replica.answer(protocol.split_keys(request.keys))
    api.served_events += len(bundle.events)
    return protocol.encode(bundle)


async def _push(api: NodeApi, _: Request, caller: bytes, body: bytes) -> bytes:
    report = await api.replica.ingest(protocol.decode(body, Bundle))
    if report.invalid:
        api.gate.strike(caller, report.invalid)
    if report.stored:
        api.on_stored(len(report.stored))
    reply = protocol.PushReply(
        len(report.stored), len(report.duplicates), len(report.rejected), api.replica.waiting()
    )
    return protocol.encode(reply)


def _endpoint(
    api: NodeApi, handle: Callable[[NodeApi, Request, bytes, bytes], Awaitable[bytes]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyError as exc:
            return exc.response
        caller = api.gate.syncing(request, body)
        if isinstance(caller, JSONResponse):
            return caller
        reachable_at = request.headers.get(CALLER_URL, "")
        if reachable_at and reachable_at.rstrip("/") not in api.peers.peers:
            with contextlib.suppress(InvalidIdentifier):
                api.peers.add(reachable_at, "inbound")
        try:
            return Response(await handle(api, request, caller, body), media_type=MSGPACK)
        except (FrameError, NegentropyError) as exc:
            api.gate.strike(caller)
            return error(400, "bad_request", str(exc))

    return endpoint


def routes(api: NodeApi) -> list[Route]:
    """The sync routes of a node."""
    return [
        Route("/sync/v1/reconcile", _endpoint(api, _reconcile), methods=["POST"]),
        Route("/sync/v1/fetch", _endpoint(api, _fetch), methods=["POST"]),
        Route("/sync/v1/push", _endpoint(api, _push), methods=["POST"]),
    ]
