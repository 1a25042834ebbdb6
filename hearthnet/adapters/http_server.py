"""uvicorn as the node's server, without its own signal handling: the node stops itself."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from collections.abc import Iterator


class NodeServer(uvicorn.Server):
    """Serves the node's routes; `stop()` ends serving and leaves cleanup to the node."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave signals to the node, which installs its own handlers on the loop."""
        yield

    def stop(self) -> None:
        """Finish the requests in flight and return from `serve()`."""
        self.should_exit = True
