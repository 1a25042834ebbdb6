"""uvicorn as the node's server, without its own signal handling: the node stops itself.

Connections are guarded: a request's headers must arrive within a deadline, one address may
hold only so many connections at once, and an address that keeps sending refused requests
(forged signatures, calls past the rate limit) is not even accepted for a while, so slow,
piled-up or flooding sockets cannot starve the members the node serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import socket
    from collections.abc import Awaitable, Callable, Iterator

    from starlette.requests import Request
    from starlette.types import ASGIApp

HEADER_TIMEOUT_S = 10.0
"""A request's line and headers must arrive within this, from connect or the last answer."""
MAX_CONNECTIONS_PER_ADDRESS = 64
THIS_MACHINE = frozenset({"127.0.0.1", "::1"})
STOP_GRACE_S = 5
"""How long a stopping node lets requests in flight finish (a long answer being streamed)
before it cancels them."""
"""Where this node's own CLI and dashboard connect from: never capped nor turned away (peers
on a network have addresses of their own; tests give attackers other loopback addresses)."""
REFUSALS_TO_BAN = 200
"""Refused requests from one address within REFUSAL_WINDOW_S that get it turned away."""
REFUSAL_WINDOW_S = 10.0
ADDRESS_BAN_S = 60.0


class AddressGuard:
    """Counts what each address holds open and how often it was refused; bans floods."""

    def __init__(self) -> None:
        self.open: Counter[str] = Counter()
        self._refusals: dict[str, tuple[float, int]] = {}
        self._banned: dict[str, float] = {}

    def refused(self, address: str) -> None:
        """Note one refused request (bad signature, rate limited) from an address."""
        if address in THIS_MACHINE:
            return
        now = time.monotonic()
        since, count = self._refusals.get(address, (now, 0))
        if now - since > REFUSAL_WINDOW_S:
            since, count = now, 0
        self._refusals[address] = (since, count + 1)
        if count + 1 >= REFUSALS_TO_BAN:
            self._banned[address] = now + ADDRESS_BAN_S
            del self._refusals[address]
        if len(self._refusals) > 10_000:  # forget quiet addresses
            self._refusals = {a: v for a, v in self._refusals.items() if now - v[0] < 60}

    def admits(self, address: str) -> bool:
        """Whether a new connection from this address is taken."""
        if address in THIS_MACHINE:
            return True
        until = self._banned.get(address)
        if until is not None:
            if until > time.monotonic():
                return False
            del self._banned[address]
        return self.open[address] < MAX_CONNECTIONS_PER_ADDRESS


GUARD = AddressGuard()
"""The process's guard: every server of a node shares it with the routes that refuse."""


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a header deadline and the address guard."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._args, self._kwargs = args, kwargs
        """uvicorn's state is built only for a connection that is taken: a refused one is
        turned away before it costs more than its accept."""
        self._deadline: asyncio.TimerHandle | None = None
        self._address = ""
        self.transport = None  # type: ignore[assignment]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Refuse an address over its cap or banned; otherwise start the header deadline."""
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if peer else ""
        if not GUARD.admits(address):
            transport.abort()
            return
        super().__init__(*self._args, **self._kwargs)
        self._address = address
        GUARD.open[address] += 1
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        self._release()
        if self.transport is not None:
            super().connection_lost(exc)

    def _release(self) -> None:
        self._disarm()
        if self._address:
            GUARD.open[self._address] -= 1
            if GUARD.open[self._address] <= 0:
                del GUARD.open[self._address]
            self._address = ""

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        """A websocket lives on under its own protocol: this one lets go of it."""
        self._release()
        super().handle_websocket_upgrade(event)

    def on_response_complete(self) -> None:
        """The next request's headers get a fresh deadline."""
        super().on_response_complete()
        self._arm()

    def _arm(self) -> None:
        """Start the header deadline, spread over its last quarter so that sockets opened
        together are not all dropped (and reopened) in one burst."""
        self._disarm()
        deadline = HEADER_TIMEOUT_S * random.uniform(0.75, 1.0)
        self._deadline = self.loop.call_later(deadline, self._headers_overdue)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _headers_overdue(self) -> None:
        """Close a connection still waiting for a whole request head."""
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


class NodeServer(uvicorn.Server):
    """Serves the node's routes; `stop()` ends serving and leaves cleanup to the node."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals to the node, which installs its own handlers on the loop."""
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening; a port that cannot be had is an OSError, not an exit."""
        try:
            await super().startup(sockets)
        except SystemExit:
            raise OSError(f"could not listen on {self.config.host}:{self.config.port}") from None

    def stop(self) -> None:
        """Finish the requests in flight and return from `serve()`."""
        self.should_exit = True


def root_app(community: Callable[[], str]) -> Starlette:
    """The node's app before anything is mounted: `/health` answers, with the community."""

    async def health(_: Request) -> JSONResponse:
        return JSONResponse({"ok": True, "community": community() or None})

    return Starlette(routes=[Route("/health", health)])


async def serve_until_stopped(
    app: ASGIApp,
    host: str,
    port: int,
    listening: Callable[[], Awaitable[None]],
    *,
    lifespan: bool,
) -> None:
    """Serve an app until SIGINT or SIGTERM; call `listening` once the port is open."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on" if lifespan else "off",
        access_log=False,
        http=GuardedH11Protocol,
        timeout_graceful_shutdown=STOP_GRACE_S,
    )
    server = NodeServer(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    try:
        serving = asyncio.create_task(server.serve(), name="http")
        while not server.started:
            if serving.done():
                await serving
                raise OSError(f"could not listen on {host}:{port}")
            await asyncio.sleep(0.02)
        await listening()
        await serving
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
