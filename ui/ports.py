"""What the dashboard needs from the node: its bus, its broadcaster and onboarding.

The dashboard is an edge like the CLI: it never touches adapters. The composition root hands
it these ports; errors arrive as `BusError` or `InviteError`, each with its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator

    from hearthnet.services.broadcast import LogChange


class LocalBus(Protocol):
    """The node's capability bus, called as the node itself."""

    async def call(
        self, ref: str, input: dict[str, Any], params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call a capability; return its output or raise BusError."""
        ...

    def stream(
        self, ref: str, input: dict[str, Any], params: dict[str, Any] | None = None
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream a capability's frames, ending with `done` or `error`."""
        ...


class Changes(Protocol):
    """One reader's notices of what the views just took in."""

    def __aiter__(self) -> AsyncIterator[LogChange]:
        """Iterate over notices as they come."""
        ...

    def close(self) -> None:
        """Stop receiving notices."""
        ...


class Broadcaster(Protocol):
    """Tells live readers when the read models move on."""

    def subscribe(self) -> Changes:
        """Open a subscription."""
        ...


class Onboarding(Protocol):
    """Found or join a community from the browser (raises InviteError with its code)."""

    async def create(
        self, name: str, revoke_threshold: int, display_name: str = ""
    ) -> dict[str, Any]:
        """Found a community with this node as its anchor (its founder named display_name);
        return once the node runs it."""
        ...

    async def join(self, link: str, display_name: str) -> dict[str, Any]:
        """Redeem an invite link; return once the node runs the joined community."""
        ...

    async def restore(self, backup: str, peer_url: str) -> dict[str, Any]:
        """Become a backed-up node again (its key, the log from a member's node at peer_url);
        return once the node runs the community."""
        ...

    def founded(self) -> bool:
        """Whether this node already belongs to a community (it may still be starting)."""
        ...


@dataclass
class NodePorts:
    """A node running a community, as the pages see it."""

    bus: LocalBus
    broadcaster: Broadcaster


@dataclass
class DashboardHost:
    """The dashboard's view of its node: ports once it runs a community, else onboarding."""

    node_id: str
    onboarding: Onboarding
    node: NodePorts | None = None
