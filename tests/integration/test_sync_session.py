"""Anti-entropy sessions between in-process nodes over deterministic lossy links."""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import blake3_256
from hearthnet.domain import alerts
from hearthnet.domain.bodies import encode_body
from hearthnet.sync.session import SyncError, synchronise
from tests.factories import Author, community, signer
from tests.sync_links import Link, TestNode

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.sync.protocol import Bundle, PushReply


def _pair(tmp_path: Path) -> tuple[TestNode, TestNode]:
    return TestNode(tmp_path / "a"), TestNode(tmp_path / "b")


def test_divergent_nodes_converge_in_one_session(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    founder, genesis = community()
    other = Author(signer(5), founder.community, clock=founder.clock)
    shared = [genesis] + [founder.event() for _ in range(300)]
    a.log.ingest(shared)
    b.log.ingest(shared)
    a.log.ingest([founder.event() for _ in range(120)])
    b.log.ingest([other.event() for _ in range(80)])
    stats = asyncio.run(synchronise(a.replica, Link(b)))
    assert stats.fetched == 80 and stats.pushed == 120 and stats.round_trips <= 4
    assert a.ids() == b.ids() and len(a.ids()) == 501
    assert a.digests() == b.digests()
    again = asyncio.run(synchronise(a.replica, Link(b)))
    assert again.fetched == again.pushed == 0 and again.round_trips == 2  # priority, then all
    a.close()
    b.close()


def test_lossy_duplicating_reordering_link_still_converges(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    founder, genesis = community()
    other = Author(signer(6), founder.community, clock=founder.clock)
    a.log.ingest([genesis] + [founder.event() for _ in range(400)])
    b.log.ingest([other.event() for _ in range(250)])
    link = Link(b, random.Random(3), drop=0.3, duplicate=0.5, reorder=True)
    for _ in range(40):
        try:
            asyncio.run(synchronise(a.replica, link))
        except SyncError:
            continue
        if a.ids() == b.ids():
            break
    assert a.ids() == b.ids() and len(a.ids()) == 651
    assert a.log.buffered_count() == b.log.buffered_count() == 0
    assert a.digests() == b.digests()
    a.close()
    b.close()


def test_a_fork_spreads_as_a_proof_and_both_sides_agree(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    founder, genesis = community()
    liar = Author(signer(7), founder.community, clock=founder.clock)
    base = [genesis, liar.event()]
    a.log.ingest(base)
    b.log.ingest(base)
    a.log.ingest([liar.event(), liar.event()])
    b.log.ingest([liar.fork(2, blake3_256(base[1])), founder.event()])
    asyncio.run(synchronise(a.replica, Link(b)))
    asyncio.run(synchronise(b.replica, Link(a)))
    assert a.log.frozen_at(liar.key.public_key) == b.log.frozen_at(liar.key.public_key) == 2
    assert a.ids() == b.ids()
    assert a.digests() == b.digests()
    quiet = asyncio.run(synchronise(a.replica, Link(b)))
    assert quiet.fetched == quiet.pushed == 0
    a.close()
    b.close()


def test_a_node_that_lost_its_store_syncs_again(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    founder, genesis = community()
    a.log.ingest([genesis] + [founder.event() for _ in range(50)])
    asyncio.run(synchronise(b.replica, Link(a)))
    b.close()
    for f in (tmp_path / "b").iterdir():
        f.unlink()
    fresh = TestNode(tmp_path / "b")
    stats = asyncio.run(synchronise(fresh.replica, Link(a)))
    assert stats.fetched == 51 and fresh.ids() == a.ids()
    fresh.close()
    a.close()


def test_an_alert_crosses_before_the_backlog(tmp_path: Path) -> None:
    a, b = _pair(tmp_path)
    founder, genesis = community()
    warden = Author(signer(7), founder.community, clock=founder.clock)
    a.log.ingest([genesis])
    b.log.ingest([genesis] + [founder.event() for _ in range(3000)])
    answer = alerts.AlertAcked(alert_event_id="ab" * 32, status="acting")
    alert = warden.event(alerts.ALERT_ACKED, encode_body(answer))
    b.log.ingest([alert])
    stored: list[list[bytes]] = []
    take = a.replica.take

    async def recording(bundle: Bundle) -> PushReply:
        stored.append(list(bundle.events))
        return await take(bundle)

    a.replica.take = recording  # type: ignore[method-assign]
    asyncio.run(synchronise(a.replica, Link(b)))
    assert a.ids() == b.ids()
    assert stored[0] == [alert] and len(stored) > 2
    a.close()
    b.close()
