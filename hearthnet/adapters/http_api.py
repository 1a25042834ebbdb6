"""The node's HTTP surface: manifest, sync endpoints for members, admin for the local CLI.

Every sync request is signed by the caller and checked against the membership projection:
members and invitees with a live invitation may sync, strangers get 401. Frames are capped,
callers are rate-limited, and a caller that keeps sending garbage is cut off for a while;
none of it stops the node serving everyone else.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hmac
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hearthnet.adapters.http_server import GUARD
from hearthnet.adapters.openapi import describe
from hearthnet.adapters.placement import StoreError
from hearthnet.adapters.request_auth import AuthError, ReplayGuard, verify_request
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import InvalidIdentifier, node_id
from hearthnet.sync import protocol
from hearthnet.sync.negentropy import NegentropyError
from hearthnet.sync.protocol import Bundle, Fetch, FrameError
from hearthnet.sync.session import respond

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from starlette.requests import Request

    from hearthnet.adapters.replica import LocalReplica
    from hearthnet.services.bus import Bus
    from hearthnet.sync.driver import PeerManager

RATE_PER_S = 100.0
BURST = 300.0
STRIKES_TO_BAN = 5
BAN_S = 600.0
BODY_TIMEOUT_S = 10.0
"""A request body must arrive within this; a slow one is answered 408 and dropped."""
MSGPACK = "application/x-msgpack"
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
CALLER_URL = "x-hearthnet-url"
"""Where a calling member can be reached: how the mesh fills in without discovery."""


class Admission:
    """Who may sync and call: decided from the membership projection, refreshed as it changes."""

    def __init__(self) -> None:
        self.allowed: frozenset[bytes] = frozenset()
        self.levels: dict[bytes, str] = {}
        self.revoked: frozenset[bytes] = frozenset()

    def permits(self, key: bytes) -> bool:
        """Return whether this key may sync with us (members and open invitees)."""
        return key in self.allowed

    def update(
        self, allowed: frozenset[bytes], levels: dict[bytes, str], revoked: frozenset[bytes]
    ) -> None:
        """Take in a new membership state."""
        self.allowed, self.levels, self.revoked = allowed, levels, revoked


@dataclass
class _Caller:
    tokens: float = BURST
    stamp: float = field(default_factory=time.monotonic)
    strikes: int = 0
    banned_until: float = 0.0


@dataclass
class NodeApi:
    """What the routes need from the running node."""

    replica: LocalReplica
    peers: PeerManager
    admission: Admission
    community: str
    manifest: Callable[[], dict[str, Any]]
    admin_token: str
    append: Callable[[str, bytes], Awaitable[dict[str, Any]]]
    on_stored: Callable[[int], None]
    bus: Bus
    me: str
    callers: dict[bytes, _Caller] = field(default_factory=dict)
    replays: ReplayGuard = field(default_factory=ReplayGuard)
    served_events: int = 0
    """Event copies handed to peers that fetched them."""


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


class _BodyError(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


async def _body(request: Request) -> bytes:
    """Read at most one frame of body, in time; raise _BodyError with the answer otherwise."""
    claimed = request.headers.get("content-length", "0")
    too_large = _error(413, "bad_request", f"body larger than {protocol.FRAME_LIMIT} bytes")
    if not claimed.isdigit() or int(claimed) > protocol.FRAME_LIMIT:
        raise _BodyError(too_large)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                size += len(chunk)
                if size > protocol.FRAME_LIMIT:
                    raise _BodyError(too_large)
                chunks.append(chunk)
    except TimeoutError:
        raise _BodyError(_error(408, "timeout", "the body did not arrive in time")) from None
    return b"".join(chunks)


def _target(request: Request) -> str:
    """The path and query a caller signed."""
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def _local_admin(request: Request, admin_token: str) -> bool:
    """A call from this machine bearing the node's admin token."""
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    local = request.client is not None and request.client.host in ("127.0.0.1", "::1")
    return local and hmac.compare_digest(token.encode(), admin_token.encode())


async def _sse(frames: AsyncIterator[tuple[str, Any]]) -> AsyncIterator[bytes]:
    """Frames as server-sent events: `event: name` and one line of JSON data each."""
    async for name, data in frames:
        yield b"event: " + name.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"


def create_app(api: NodeApi) -> Starlette:
    """Build the Starlette application of a node."""

    def limited(request: Request, caller: bytes) -> JSONResponse | None:
        """One token bucket per caller; a caller cut off for garbage stays cut off a while."""
        state = api.callers.setdefault(caller, _Caller())
        now = time.monotonic()
        if state.banned_until > now:
            return refuse(request, 429, "rate_limited", "cut off after repeated malformed input")
        state.tokens = min(BURST, state.tokens + (now - state.stamp) * RATE_PER_S)
        state.stamp = now
        if state.tokens < 1:
            return refuse(request, 429, "rate_limited", "too many requests")
        state.tokens -= 1
        return None

    def refuse(request: Request, status: int, code: str, message: str) -> JSONResponse:
        """Answer a refusal; an address that piles them up is turned away for a while."""
        if request.client is not None:
            GUARD.refused(request.client.host)
        return _error(status, code, message)

    def strike(caller: bytes, count: int = 1) -> None:
        state = api.callers.setdefault(caller, _Caller())
        state.strikes += count
        if state.strikes >= STRIKES_TO_BAN:
            state.banned_until = time.monotonic() + BAN_S

    def authenticate(request: Request, body: bytes) -> bytes | JSONResponse:
        try:
            return verify_request(
                request.headers, "POST", _target(request), body, api.community, api.me, api.replays
            )
        except AuthError as exc:
            return refuse(request, 401, exc.code, str(exc))

    async def sync_call(
        request: Request, handle: Callable[[Request, bytes, bytes], Awaitable[bytes]]
    ) -> Response:
        try:
            body = await _body(request)
        except _BodyError as exc:
            return exc.response
        caller = authenticate(request, body)
        if isinstance(caller, JSONResponse):
            return caller
        if not api.admission.permits(caller):
            return refuse(request, 401, "unauthorized", f"{node_id(caller)} is not a member")
        refused = limited(request, caller)
        if refused is not None:
            return refused
        reachable_at = request.headers.get(CALLER_URL, "")
        if reachable_at and reachable_at.rstrip("/") not in api.peers.peers:
            with contextlib.suppress(InvalidIdentifier):
                api.peers.add(reachable_at, "inbound")
        try:
            return Response(await handle(request, caller, body), media_type=MSGPACK)
        except (FrameError, NegentropyError) as exc:
            strike(caller)
            return _error(400, "bad_request", str(exc))

    async def reconcile(request: Request, _: bytes, body: bytes) -> bytes:
        compact = request.headers.get(protocol.COMPACT_HEADER) == "compact"
        return protocol.encode(respond(await api.replica.storage(), body, compact=compact))

    async def fetch(_: Request, __: bytes, body: bytes) -> bytes:
        request = protocol.decode(body, Fetch)
        bundle = await api.replica.answer(protocol.split_keys(request.keys))
        api.served_events += len(bundle.events)
        return protocol.encode(bundle)

    async def push(_: Request, caller: bytes, body: bytes) -> bytes:
        report = await api.replica.ingest(protocol.decode(body, Bundle))
        if report.invalid:
            strike(caller, report.invalid)
        if report.stored:
            api.on_stored(len(report.stored))
        return protocol.encode(
            protocol.PushReply(
                len(report.stored),
                len(report.duplicates),
                len(report.rejected),
                api.replica.waiting(),
            )
        )

    def route(
        handle: Callable[[Request, bytes, bytes], Awaitable[bytes]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await sync_call(request, handle)

        return endpoint

    def admin(
        handler: Callable[[Request], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if not _local_admin(request, api.admin_token):
                return _error(401, "unauthorized", "admin calls need the local admin token")
            return await handler(request)

        return endpoint

    async def bus_call(request: Request) -> Response:
        try:
            body = await _body(request)
        except _BodyError as exc:
            return exc.response
        ref = request.path_params.get("capability") or request.headers.get(
            "x-hearthnet-capability", ""
        )
        if _local_admin(request, api.admin_token):
            caller, level = api.me, "self"
        else:
            key = authenticate(request, body)
            if isinstance(key, JSONResponse):
                return key
            if key in api.admission.revoked:
                return refuse(request, 403, "revoked", f"{node_id(key)} was revoked")
            if key not in api.admission.levels:
                return refuse(request, 401, "unauthorized", f"{node_id(key)} is not a member")
            refused = limited(request, key)
            if refused is not None:
                return refused
            caller, level = node_id(key), api.admission.levels[key]
        try:
            envelope = msgspec.json.decode(body) if body else {}
            if not isinstance(envelope, dict):
                raise TypeError("the body is a JSON object {params, input}")
            params, data = envelope.get("params") or {}, envelope.get("input") or {}
            if not isinstance(params, dict):
                raise TypeError("params must be an object")
            if "text/event-stream" in request.headers.get("accept", ""):
                frames = api.bus.stream(
                    ref, caller, level, params, data, route_remote=level == "self"
                )
                return StreamingResponse(_sse(frames), media_type="text/event-stream")
            result = await api.bus.call(
                ref, caller, level, params, data, route_remote=level == "self"
            )
        except BusError as exc:
            return JSONResponse({"error": exc.code, "message": exc.message}, exc.status)
        except (msgspec.DecodeError, TypeError, ValueError) as exc:
            return _error(400, "bad_request", str(exc))
        except RecursionError:
            return _error(400, "bad_request", "the body is nested too deeply")
        except Exception:  # a defect: answered in the taxonomy, logged in full
            logging.getLogger("hearthnet").exception("capability %s failed", ref)
            return _error(500, "internal_error", f"{ref} failed; the node logged the details")
        return JSONResponse(result)

    async def unrouted(request: Request) -> Response:
        return _error(405, "bad_request", f"{request.method} {request.url.path} is not served")

    async def openapi(_: Request) -> Response:
        return JSONResponse(describe(api.bus))

    async def manifest(_: Request) -> Response:
        return JSONResponse(api.manifest())

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def peers(request: Request) -> Response:
        if request.method == "POST":
            try:
                url = str(msgspec.json.decode(await _body(request))["url"])
            except _BodyError as exc:
                return exc.response
            except (msgspec.DecodeError, KeyError, TypeError, RecursionError):
                return _error(400, "bad_request", 'body must be {"url": "http://host:port"}')
            try:
                api.peers.add(url)
            except InvalidIdentifier as exc:
                return _error(400, "bad_request", str(exc))
        return JSONResponse([dataclasses.asdict(s) for s in api.peers.peers.values()])

    async def stats(_: Request) -> Response:
        counters = {"pushed_events": api.peers.pushed_events, "served_events": api.served_events}
        return JSONResponse(counters)

    async def append(request: Request) -> Response:
        try:
            data = msgspec.json.decode(await _body(request))
            result = await api.append(str(data["type"]), bytes.fromhex(str(data["body_hex"])))
        except _BodyError as exc:
            return exc.response
        except (msgspec.DecodeError, KeyError, TypeError, ValueError, RecursionError) as exc:
            return _error(400, "bad_request", f"cannot append: {exc}")
        except StoreError as exc:
            return _error(503, "partition", f"the log did not take it: {exc}")
        return JSONResponse(result)

    return Starlette(
        routes=[
            Route("/manifest", manifest),
            Route("/health", health),
            Route("/bus/v1/call", bus_call, methods=["POST"]),
            Route("/bus/v1/call/{capability}", bus_call, methods=["POST"]),
            Route("/openapi.json", openapi),
            Route("/sync/v1/reconcile", route(reconcile), methods=["POST"]),
            Route("/sync/v1/fetch", route(fetch), methods=["POST"]),
            Route("/sync/v1/push", route(push), methods=["POST"]),
            Route("/admin/v1/peers", admin(peers), methods=["GET", "POST"]),
            Route("/admin/v1/append", admin(append), methods=["POST"]),
            Route("/admin/v1/stats", admin(stats)),
            *(
                Route(f"/{prefix}/{{rest:path}}", unrouted, methods=ANY_METHOD)
                for prefix in ("bus", "sync", "admin")
            ),
        ]
    )
