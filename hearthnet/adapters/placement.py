"""One transaction's chain decisions: where each checked event goes in its author's feed.

An event is appended right after its author's head; one that arrives early is held back;
one that contradicts the feed becomes a fork proof; the node's own events are minted here,
signed only if every node would admit them. Nothing reaches the log's caches until the
transaction has committed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, NamedTuple

import msgspec
from eventsourcing.persistence import StoredEvent

from hearthnet.adapters.fork_proofs import proof_row
from hearthnet.adapters.recorders import feed_uuid
from hearthnet.adapters.verification import Checked
from hearthnet.domain import admission, envelope
from hearthnet.domain.admission import Refused
from hearthnet.domain.chain import Head, Verdict, place, proves_fork
from hearthnet.domain.envelope import Event, MalformedEvent
from hearthnet.domain.records import ForkRecord, Recorded

if TYPE_CHECKING:
    import concurrent.futures

    from hearthnet.adapters.event_log import EventLog, IngestReport
    from hearthnet.domain.ports import Signer


class StoreError(RuntimeError):
    """The store could not commit a batch; nothing of that batch was stored."""


class Minting(NamedTuple):
    """A local event to append to this node's own feed, and where its outcome goes."""

    signer: Signer
    type: str
    body: bytes
    future: concurrent.futures.Future[Recorded]


class Batch:
    """The decisions of one transaction, undone by `rollback` or published by `commit`."""

    def __init__(self, log: EventLog, report: IngestReport) -> None:
        self.log = log
        self.report = report
        self.rows: list[StoredEvent] = []
        self.index: list[tuple[bytes, int, object, int]] = []
        self.heads: dict[bytes, Head] = {}
        self.frozen: dict[bytes, int] = {}
        self.pending: dict[tuple[bytes, int], Checked] = {}
        self.max_lamport = log.max_lamport
        self.minted: list[tuple[Minting, Recorded]] = []
        self.drained: list[Checked] = []
        self.buffered: list[Checked] = []
        self.evicted: list[Checked] = []
        self.known: set[bytes] = set()
        self.proven: set[tuple[bytes, int]] = set()
        self.writers: set[bytes] = set()
        """Keys named by invitations stored in this batch."""

    def may_write(self, event: Event) -> bool:
        """Whether the event's author may write (always, on a log open to every author)."""
        if not self.log.members_only:
            return True
        return admission.may_write(event, self.writers) or event.author in self.log.writers()

    def head(self, author: bytes) -> Head | None:
        return self.heads.get(author) or self.log.head(author)

    def frozen_at(self, author: bytes) -> int | None:
        return self.frozen.get(author) or self.log.frozen_at(author)

    def place(self, item: Checked) -> None:
        """Place one arriving event, then any held-back successors it unblocks."""
        if self._place_one(item):
            self._drain(item.event.author)

    def _place_one(self, item: Checked) -> bool:
        """Place one event; return True if it was appended."""
        event = item.event
        if event.lamport > self.max_lamport + envelope.LAMPORT_HORIZON:
            self.report.rejected.append((item.id.hex(), "lamport too far ahead of the log"))
            return False
        if not self.may_write(event):
            self.report.rejected.append((item.id.hex(), "the author is not a member"))
            return False
        verdict = place(event, item.id, self.head(event.author), self.frozen_at(event.author))
        if verdict is Verdict.APPEND:
            self._append(item)
            return True
        if verdict is Verdict.BEHIND_HEAD:
            if item.id in self.known:
                self.report.duplicates.append(item.id)
                return False
            known = self._stored(event.author, event.seq)
            if known.id == item.id:
                self.report.duplicates.append(item.id)
            else:
                self._fork(known, item)
        elif verdict is Verdict.FORK:
            self._fork(self._stored(event.author, event.seq - 1), item)
        elif verdict is Verdict.EARLY:
            self._hold(item)
        elif verdict is Verdict.FROZEN:
            self.report.rejected.append((item.id.hex(), "author's feed is frozen by a fork"))
        else:
            self.report.rejected.append((item.id.hex(), "lamport not above the author's head"))
        return False

    def _stored(self, author: bytes, seq: int) -> Checked:
        item = self.pending.get((author, seq))
        if item is not None:
            return item
        raw = self.log.raw_at(author, seq)
        assert raw is not None, "a feed below its head is contiguous"
        return Checked(raw, envelope.decode(raw), self.log.hash(raw))

    def _append(self, item: Checked) -> None:
        e = item.event
        self.rows.append(StoredEvent(feed_uuid(e.author), e.seq, e.type, item.raw))
        self.index.append((item.id, e.lamport, feed_uuid(e.author), e.seq))
        self.heads[e.author] = Head(e.seq, item.id, e.lamport)
        self.pending[(e.author, e.seq)] = item
        self.max_lamport = max(self.max_lamport, e.lamport)
        self.report.stored.append(Recorded(item.id, e, len(item.raw)))
        named = admission.named_writer(e)
        if named is not None:
            self.writers.add(named)

    def _drain(self, author: bytes) -> None:
        early = self.log.early
        while (nxt := early.take(author, self.heads[author].seq + 1)) is not None:
            self.drained.append(nxt)
            if not self._place_one(nxt):
                break

    def _hold(self, item: Checked) -> None:
        early = self.log.early
        other = early.get(item.event.author, item.event.seq)
        if other is not None:
            if other.id == item.id:
                self.report.duplicates.append(item.id)
            else:
                self._fork(other, item)
            return
        refusal, evict = early.room_for(item)
        if refusal:
            self.report.rejected.append((item.id.hex(), refusal))
            return
        for doomed in evict:
            early.drop(doomed)
            self.evicted.append(doomed)
        early.hold(item)
        self.buffered.append(item)
        self.report.buffered.append(item.id)

    def _fork(self, first: Checked, second: Checked) -> None:
        seq = proves_fork(first.event, first.id, second.event, second.id)
        assert seq is not None
        self.report.rejected.append((second.id.hex(), f"fork of the author's feed at seq {seq}"))
        self.prove(first, second, seq)

    def prove(self, first: Checked, second: Checked, seq: int) -> None:
        """Keep a fork proof, unless one for this (author, seq) is kept already."""
        author = first.event.author
        if (author, seq) in self.proven or self.log.has_proof(author, seq):
            return
        self.rows.append(proof_row(author, seq, first.raw, second.raw))
        self.proven.add((author, seq))
        frozen = self.frozen_at(author)
        if frozen is None or seq < frozen:
            self.frozen[author] = seq
        self.report.forks.append(ForkRecord(author, seq, first.id, second.id))

    def mint(self, m: Minting) -> None:
        """Sign the node's next event, if every node would admit it."""
        author = m.signer.public_key
        head = self.head(author)
        if self.log.community is None:
            m.future.set_exception(StoreError("this node has no community yet"))
            return
        if self.frozen_at(author) is not None:
            m.future.set_exception(StoreError("this node's own feed is frozen by a fork"))
            return
        event = envelope.unsigned(
            community=self.log.community,
            author=author,
            seq=head.seq + 1 if head else 1,
            prev=head.id if head else b"",
            lamport=max(self.max_lamport, head.lamport if head else 0) + 1,
            ts=int(time.time() * 1000),
            type=m.type,
            body=m.body,
        )
        signed = msgspec.structs.replace(event, sig=m.signer.sign(envelope.signing_bytes(event)))
        raw = envelope.encode(signed)
        try:
            envelope.check_own(signed, raw)
            admission.check(signed)
        except (MalformedEvent, Refused) as exc:
            m.future.set_exception(Refused(f"this node does not sign it: {exc}"))
            return
        if not self.may_write(signed):
            m.future.set_exception(Refused("this node is not a member of its community"))
            return
        self._append(Checked(raw, signed, self.log.hash(raw)))
        self.minted.append((m, self.report.stored[-1]))

    def rollback(self) -> None:
        """The transaction failed: put the held-back events back as they were."""
        early = self.log.early
        for item in self.buffered:
            early.drop(item)
        for item in self.drained + self.evicted:
            early.hold(item)
        self.log.forget_cached()

    def commit(self) -> None:
        """The transaction committed: move the log's caches forward, answer local appends."""
        self.log.advance(self.heads, self.frozen, self.max_lamport, self.writers)
        for author, seq in self.frozen.items():  # events at or past a fork will never fit
            self.log.early.drop_from(author, seq)
        for m, recorded in self.minted:
            m.future.set_result(recorded)
