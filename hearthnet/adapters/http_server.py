"""uvicorn as the node's server, without its own signal handling: the node stops itself."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    import socket
    from collections.abc import Iterator


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
