"""The mesh's reactions: which peers this node can reach, recorded on change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.domain import mesh
from hearthnet.domain.bodies import encode_body

if TYPE_CHECKING:
    from hearthnet.services.context import NodeContext


async def record_peer_change(node: NodeContext, peer_id: str, url: str, seen: bool) -> None:
    """Reaction: a peer became reachable (peer.seen) or stopped being reachable (peer.lost)."""
    body = encode_body(mesh.PeerChanged(node_id=peer_id, url=url))
    await node.record(mesh.PEER_SEEN if seen else mesh.PEER_LOST, body)
