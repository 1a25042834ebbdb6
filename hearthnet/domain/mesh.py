"""Mesh events: which peers a node can reach, recorded on change so every node sees the mesh."""

from __future__ import annotations

import msgspec

PEER_SEEN = "peer.seen"
PEER_LOST = "peer.lost"


class PeerChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A peer became reachable (peer.seen) or stopped being reachable (peer.lost)."""

    node_id: str
    url: str
