"""The mesh: which peers this node syncs with, adding or forgetting one, and the peers seen
and lost, recorded on change so every node sees the mesh."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Protocol

from hearthnet.domain import mesh
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import InvalidIdentifier, parse_peer_url
from hearthnet.services.bus import Capability
from hearthnet.services.context import Nothing

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


class MeshContext(Protocol):
    """What the mesh's capabilities need from the running node."""

    def peers(self) -> Awaitable[list[dict[str, Any]]]:
        """Known peers, their sync state and what each serves."""
        ...

    def add_peer(self, url: str) -> object:
        """Start syncing with a peer."""
        ...

    def forget_peer(self, url: str) -> bool:
        """Stop syncing with a peer; False if it was not known."""
        ...


async def peers(call: Call, node: MeshContext) -> dict[str, Any]:
    now = int(time.time() * 1000)
    rows = await node.peers()
    for p in rows:
        p["lag_s"] = round((now - p["last_sync_ms"]) / 1000, 1) if p["last_sync_ms"] else None
    return {"peers": rows}


def _url(call: Call) -> str:
    q: mesh.AddPeer = call.input
    try:
        return parse_peer_url(q.url)
    except InvalidIdentifier as exc:
        raise BusError("bad_request", str(exc)) from None


async def add_peer(call: Call, node: MeshContext) -> dict[str, Any]:
    url = _url(call)
    node.add_peer(url)
    return {"url": url, "added": True}


async def forget_peer(call: Call, node: MeshContext) -> dict[str, Any]:
    url = _url(call)
    if not node.forget_peer(url):
        raise BusError("not_found", f"{url} is not a peer of this node")
    return {"url": url, "forgotten": True}


async def record_peer_change(node: NodeContext, peer_id: str, url: str, seen: bool) -> None:
    """Reaction: a peer became reachable (peer.seen) or stopped being reachable (peer.lost)."""
    body = encode_body(mesh.PeerChanged(node_id=peer_id, url=url))
    await node.record(mesh.PEER_SEEN if seen else mesh.PEER_LOST, body)


CAPABILITIES = (
    Capability("mesh.peers", "self", Nothing, peers),
    Capability("mesh.peer.add", "self", mesh.AddPeer, add_peer),
    Capability("mesh.peer.forget", "self", mesh.AddPeer, forget_peer),
)
