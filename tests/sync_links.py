"""In-process nodes and links for deterministic sync tests: no sockets, a loss pattern."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.adapters.replica import LocalReplica
from hearthnet.bootstrap import PROJECTIONS
from hearthnet.sync.local import LocalPeer
from hearthnet.sync.protocol import Bundle, Fetch, PushReply, ReconcileReply
from hearthnet.sync.session import SyncError
from tests.conftest import open_log

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.event_log import EventLog


class TestNode:
    """A log, its writer, its replica and its views, in one directory."""

    __test__ = False

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.log: EventLog = open_log(f"sqlite:///{path / 'log.sqlite'}")
        self.writer = LogWriter(self.log)
        self.replica = LocalReplica(self.log, self.writer)
        self.views = ProjectionRunner(self.log, path / "views.sqlite", PROJECTIONS, "test")

    def ids(self) -> set[bytes]:
        return {i for _, i in self.log.sync_items()}

    def digests(self) -> dict[str, str]:
        self.views.catch_up()
        return self.views.digests()

    def close(self) -> None:
        self.views.close()
        self.writer.close()
        self.log.close()


@dataclass
class Link:
    """A connection to a node that may drop, duplicate or reorder what crosses it."""

    to: TestNode
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    drop: float = 0.0
    duplicate: float = 0.0
    reorder: bool = False

    def __post_init__(self) -> None:
        self.peer = LocalPeer(self.to.replica)

    def _maybe_drop(self) -> None:
        if self.rng.random() < self.drop:
            raise SyncError("link dropped the frame")

    async def reconcile(self, message: bytes, *, priority: bool = False) -> ReconcileReply:
        self._maybe_drop()
        return await self.peer.reconcile(message, priority=priority)

    async def fetch(self, request: Fetch) -> Bundle:
        self._maybe_drop()
        bundle = await self.peer.fetch(request)
        if self.reorder:
            events = list(bundle.events)
            self.rng.shuffle(events)
            bundle = Bundle(events=events, proofs=bundle.proofs)
        return bundle

    async def push(self, bundle: Bundle) -> PushReply:
        self._maybe_drop()
        if self.reorder:
            events = list(bundle.events)
            self.rng.shuffle(events)
            bundle = Bundle(events=events, proofs=bundle.proofs)
        reply = await self.peer.push(bundle)
        if self.rng.random() < self.duplicate:
            await self.peer.push(bundle)
        return reply
