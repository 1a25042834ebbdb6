"""The peer loops: an event written while the first session with a peer is under way still
reaches that peer at once, not a sync interval later."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hearthnet.sync.driver import PeerManager, PeerState
from hearthnet.sync.protocol import Bundle
from tests.factories import community
from tests.sync_links import Link, TestNode

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.sync.protocol import ReconcileReply


class SlowFirstSession(Link):
    """A peer whose first full reconcile answer waits until the test lets it go."""

    def __init__(self, to: TestNode) -> None:
        super().__init__(to)
        self.started, self.release = asyncio.Event(), asyncio.Event()

    async def describe(self) -> tuple[str, str, list[str]]:
        return "node-b", "community", []

    async def reconcile(self, message: bytes, *, priority: bool = False) -> ReconcileReply:
        if not priority and not self.started.is_set():
            self.started.set()
            await self.release.wait()
        return await super().reconcile(message, priority=priority)


def test_an_event_written_during_the_first_session_is_not_left_for_the_next_round(
    tmp_path: Path,
) -> None:
    a, b = TestNode(tmp_path / "a"), TestNode(tmp_path / "b")
    founder, genesis = community()
    a.log.ingest([genesis])
    b.log.ingest([genesis])
    remote = SlowFirstSession(b)

    async def on_change(state: PeerState, change: str) -> None:
        pass

    async def scenario() -> None:
        peers = PeerManager(
            a.replica,
            lambda url: remote,
            me="node-a",
            community="community",
            on_change=on_change,
            interval=3600.0,
        )
        peers.add("http://127.0.0.1:9")
        await peers.start()
        await asyncio.wait_for(remote.started.wait(), 30)
        late = founder.event()
        a.log.ingest([late])
        assert await peers.push(Bundle(events=[late])) == 0  # not connected yet
        remote.release.set()
        async with asyncio.timeout(30):
            while len(b.ids()) < 2:
                await asyncio.sleep(0.05)
        await peers.stop()

    asyncio.run(scenario())
    assert a.ids() == b.ids()
    a.close()
    b.close()
