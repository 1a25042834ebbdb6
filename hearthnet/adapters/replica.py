"""This node's side of a sync session: its reconciled set and the way in and out of its log."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hearthnet.adapters.fork_proofs import fork_item_id
from hearthnet.domain import envelope
from hearthnet.domain.alerts import PRIORITY_TYPES
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
        self._cached: dict[bool, tuple[int, Storage]] = {}
        self._priority_items: dict[int, tuple[int, bytes, bytes, int]] = {}
        self._lock = asyncio.Lock()

    async def storage(self, *, priority: bool = False) -> Storage:
        """The reconciled set (or its events that travel first), rebuilt off the event loop
        when the log has changed."""
        async with self._lock:
            version = await asyncio.to_thread(self.log.recorder.max_notification_id) or 0
            cached = self._cached.get(priority)
            if cached is None or cached[0] != version:
                read = self._read_priority if priority else self.log.sync_items
                items = await asyncio.to_thread(read)
                self._cached[priority] = (version, await asyncio.to_thread(Storage, items))
            return self._cached[priority][1]

    def _read_priority(self) -> list[tuple[int, bytes]]:
        """The (lamport, id) of the stored events of PRIORITY_TYPES outside frozen feeds, read
        incrementally from the last position seen."""
        after = max(self._priority_items, default=0)
        for position, _, _, _, raw in self.log.recorder.topic_rows(PRIORITY_TYPES, after):
            event = envelope.decode_stored(raw)
            self._priority_items[position] = (
                event.lamport,
                self.log.hash(raw),
                event.author,
                event.seq,
            )
        frozen = {author: seq for author, seq in self.log.recorder.forks()}
        return [
            (lamport, eid)
            for lamport, eid, author, seq in self._priority_items.values()
            if seq < frozen.get(author, seq + 1)
        ]

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
