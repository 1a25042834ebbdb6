"""Findings 9 and 10: sync against a peer whose stored bytes no longer hash to the ids it
advertises never ended (now it ends, and the peer is left alone for a while); a standard
negentropy client could not learn the differences from our replies."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import msgspec
import pytest

from hearthnet.sync.local import LocalPeer
from hearthnet.sync.negentropy import Negentropy, Storage
from hearthnet.sync.protocol import Bundle, Fetch, ReconcileReply
from hearthnet.sync.session import PeerMisbehaved, synchronise
from tests.e2e.cluster import cli
from tests.factories import community
from tests.sync_links import TestNode

if TYPE_CHECKING:
    from pathlib import Path

    from tests.adversarial.conftest import Village


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


def test_a_standard_client_learns_the_differences_from_our_replies_alone(
    village: Village,
) -> None:
    """Finding 10: over HTTP, without our compact form, the node answers as the reference."""
    client = Negentropy(Storage([]), 4096)
    message: bytes | None = client.initiate()
    learned: set[bytes] = set()
    while message is not None:
        response = village.signed("/sync/v1/reconcile", message)
        assert response.status_code == 200
        reply = msgspec.msgpack.decode(response.content, type=ReconcileReply)
        assert not reply.have and not reply.need, "differences travel in the message itself"
        if reply.message is None:
            break
        step = client.reconcile(reply.message)
        learned.update(step.need)
        message = step.reply
    stats = json.loads(cli(village.anchor.home, "log", "stats", "--json").stdout)
    assert len(learned) == stats["events"]
