"""The node's HTTP surface, assembled: the node's face, the bus, sync and admin.

Every surface asks one gate (`http_access`) who is calling: sync requests are signed by
members and open invitees, bus calls by members or made by this node's operator with its
admin token, admin calls only by the operator. Bodies are bounded in size and time
(`http_common`); connections in number and pace (`http_server`). None of it stops the node
serving everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette

from hearthnet.adapters import routes_admin, routes_bus, routes_node, routes_sync

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hearthnet.adapters.http_access import Gate
    from hearthnet.adapters.replica import LocalReplica
    from hearthnet.services.bus import Bus
    from hearthnet.sync.driver import PeerManager


@dataclass
class NodeApi:
    """What the routes need from the running node."""

    replica: LocalReplica
    peers: PeerManager
    gate: Gate
    manifest: Callable[[], dict[str, Any]]
    append: Callable[[str, bytes], Awaitable[dict[str, Any]]]
    on_stored: Callable[[int], None]
    bus: Bus
    me: str
    served_events: int = 0
    """Event copies handed to peers that fetched them."""


def create_app(api: NodeApi) -> Starlette:
    """Build the Starlette application of a node."""
    return Starlette(
        routes=[
            *routes_node.routes(api),
            *routes_bus.routes(api),
            *routes_sync.routes(api),
            *routes_admin.routes(api),
            *routes_node.unrouted(),
        ]
    )
