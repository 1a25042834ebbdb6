"""This node's side of a sync session: its reconciled set and the way in and out of its log."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hearthnet.adapters.fork_proofs import fork_item_id
from hearthnet.domain import envelope
from hearthnet.sync import protocol
from hearthnet.sync.negentropy import Storage
from hearthnet.sync.protocol import Bundle, PushReply

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hearthnet.adapters.event_log import EventLog, IngestReport
    from hearthnet.adapters.log_writer import LogWriter


class LocalReplica:
    """The log behind a node's writer, as sessions see it; the set is cached per log version."""

    def __init__(self, log: EventLog, writer: LogWriter) -> None:
        self.log = log
        self.writer = writer
        self._cached: tuple[int, Storage] | None = None
        self._lock = asyncio.Lock()

    async def storage(self) -> Storage:
        """The reconciled set, rebuilt off the event loop when the log has changed."""
        async with self._lock:
            version = await asyncio.to_thread(self.log.recorder.max_notification_id) or 0
            if self._cached is None or self._cached[0] != version:
                items = await asyncio.to_thread(self.log.sync_items)
                self._cached = (version, await asyncio.to_thread(Storage, items))
            return self._cached[1]

    async def take(self, bundle: Bundle) -> PushReply:
        """Verify and store what a peer sent."""
        report = await self.ingest(bundle)
        return PushReply(
            len(report.stored),
            len(report.duplicates),
            len(report.rejected),
            self.log.buffered_count(),
        )

    def waiting(self) -> int:
        """Events held back until their missing predecessors arrive."""
        return self.log.buffered_count()

    async def ingest(self, bundle: Bundle) -> IngestReport:
        """Verify and store a bundle, returning the full report."""
        return await self.writer.ingest(bundle.events, bundle.proofs)

    async def give(self, ids: Sequence[bytes]) -> list[Bundle]:
        """Bundle the stored events and proofs with these ids."""
        events, proofs = await asyncio.to_thread(self.log.fetch, ids)
        return protocol.bundles(events, proofs)

    async def answer(self, keys: Sequence[bytes]) -> Bundle:
        """Answer a fetch: the events and proofs these keys name, as many as fit in a frame."""
        events, proofs = await asyncio.to_thread(self.log.fetch, keys)
        events.sort(key=lambda raw: envelope.decode_stored(raw).lamport)
        return protocol.first_frame(events, proofs)

    def keys_of(self, bundle: Bundle) -> set[bytes]:
        """The keys that a bundle's events and proofs answer."""
        short = protocol.PREFIX
        keys = {self.log.hash(raw)[:short] for raw in bundle.events}
        for first, _, seq in self.log.check_proofs(bundle.proofs)[0]:
            keys.add(fork_item_id(first.event.author, seq)[:short])
        return keys
