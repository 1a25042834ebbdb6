"""Finding 9: sync against a peer whose stored bytes no longer hash to the ids it advertises
never ended. Such a session now ends, and the peer is left alone for a while."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from hearthnet.sync.local import LocalPeer
from hearthnet.sync.protocol import Bundle, Fetch
from hearthnet.sync.session import PeerMisbehaved, synchronise
from tests.factories import community
from tests.sync_links import TestNode

if TYPE_CHECKING:
    from pathlib import Path


class CorruptPeer(LocalPeer):
    """Advertises its ids honestly, but every byte string it serves is damaged."""

    fetches = 0

    async def fetch(self, request: Fetch) -> Bundle:
        self.fetches += 1
        bundle = await super().fetch(request)
        return Bundle(events=[raw[:-1] + bytes([raw[-1] ^ 1]) for raw in bundle.events])


class ElsewherePeer(LocalPeer):
    """Answers every fetch with the same few events, whatever was asked."""

    def __init__(self, replica: object, decoys: list[bytes]) -> None:
        super().__init__(replica)  # type: ignore[arg-type]
        self.decoys = decoys

    async def fetch(self, request: Fetch) -> Bundle:
        return Bundle(events=self.decoys)


def test_a_corrupt_peer_ends_the_session(tmp_path: Path) -> None:
    a, b = TestNode(tmp_path / "a"), TestNode(tmp_path / "b")
    founder, genesis = community()
    b.log.ingest([genesis] + [founder.event() for _ in range(50)])
    peer = CorruptPeer(b.replica)
    with pytest.raises(PeerMisbehaved):
        asyncio.run(asyncio.wait_for(synchronise(a.replica, peer), timeout=60))
    assert peer.fetches == 1
    assert a.ids() == set()
    a.close()
    b.close()


def test_a_peer_serving_what_was_not_asked_ends_the_session(tmp_path: Path) -> None:
    a, b = TestNode(tmp_path / "a"), TestNode(tmp_path / "b")
    founder, genesis = community()
    first = [genesis] + [founder.event() for _ in range(5)]
    a.log.ingest(first)
    b.log.ingest(first + [founder.event() for _ in range(40)])
    with pytest.raises(PeerMisbehaved):
        asyncio.run(
            asyncio.wait_for(synchronise(a.replica, ElsewherePeer(b.replica, first)), timeout=60)
        )
    a.close()
    b.close()
