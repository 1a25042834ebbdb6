"""uvicorn as the node's server, without its own signal handling: the node stops itself.

Connections are guarded: a request's headers must arrive within a deadline, and one address
may hold only so many connections at once, so slow or piled-up sockets cannot starve the
members the node serves.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    import asyncio
    import socket
    from collections.abc import Iterator

HEADER_TIMEOUT_S = 10.0
"""A request's line and headers must arrive within this, from connect or the last answer."""
MAX_CONNECTIONS_PER_ADDRESS = 64


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a header deadline and a per-address connection cap."""

    open_per_address: ClassVar[Counter[str]] = Counter()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._address = ""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Refuse an address over its cap; otherwise start the header deadline."""
        peer = transport.get_extra_info("peername")
        self._address = str(peer[0]) if peer else ""
        if self.open_per_address[self._address] >= MAX_CONNECTIONS_PER_ADDRESS:
            self._address = ""
            transport.abort()
            return
        self.open_per_address[self._address] += 1
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
            self.open_per_address[self._address] -= 1
            if self.open_per_address[self._address] <= 0:
                del self.open_per_address[self._address]
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
        self._disarm()
        self._deadline = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_overdue)

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
