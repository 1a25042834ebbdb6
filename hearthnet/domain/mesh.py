"""Mesh events: which peers a node can reach, recorded on change so every node sees the mesh."""

from __future__ import annotations

from typing import Annotated

import msgspec

PEER_SEEN = "peer.seen"
PEER_LOST = "peer.lost"


class PeerChanged(msgspec.Struct, frozen=True, kw_only=True):
    """A peer became reachable (peer.seen) or stopped being reachable (peer.lost)."""

    node_id: str
    url: str


EVENTS: dict[str, type[msgspec.Struct]] = {PEER_SEEN: PeerChanged, PEER_LOST: PeerChanged}


class AddPeer(msgspec.Struct, frozen=True, kw_only=True):
    """Command: start syncing with the node at this URL."""

    url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s/]+", max_length=300)]
