"""The append path: validate, verify (outside the transaction), chain-check, group-commit.

`EventLog` is the synchronous core and assumes one writer at a time; `LogWriter` gives
asyncio callers that one writer: a thread that drains a queue and commits in one transaction
whatever piled up while the previous commit ran (up to a thousand events): an idle node
commits at once, a busy one in groups.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import blake3
import msgspec
from eventsourcing.persistence import IntegrityError, PersistenceError, StoredEvent

from hearthnet.adapters.recorders import (
    FORK_TOPIC,
    LogRecorder,
    RawRow,
    feed_uuid,
    fork_uuid,
)
from hearthnet.domain import admission, envelope
from hearthnet.domain.admission import Refused
from hearthnet.domain.chain import ForkProof, Head, Verdict, place, proves_fork
from hearthnet.domain.community import MEMBER_INVITED
from hearthnet.domain.envelope import Event, MalformedEvent
from hearthnet.domain.records import ForkRecord, Recorded

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from hearthnet.domain.ports import Hash, Signer, Verify

MAX_BUFFERED_BYTES_PER_AUTHOR = 1024 * 1024
MAX_BUFFERED_BYTES = 8 * 1024 * 1024
"""Events held back for a missing predecessor, in encoded bytes: when full, the author holding
the most loses its held-back events (sync fetches them again), never an author holding few."""
WRITERS_PAGE = 5000
VERIFY_CHUNK = 256
FORK_ITEM_CONTEXT = b"hearthnet/fork/v1\x00"


def fork_item_id(author: bytes, seq: int) -> bytes:
    """The reconciled-set id of a fork: the same on every node, whichever two events prove it."""
    return blake3.blake3(FORK_ITEM_CONTEXT + author + seq.to_bytes(8, "big")).digest()


class StoreError(RuntimeError):
    """The store could not commit a batch; nothing of that batch was stored."""


class Checked(NamedTuple):
    """A decoded event whose signature is valid, ready for the chain check."""

    raw: bytes
    event: Event
    id: bytes


@dataclass
class IngestReport:
    """What became of a batch: stored, duplicate, buffered, forked, refused (with reasons)."""

    stored: list[Recorded] = field(default_factory=list)
    duplicates: list[bytes] = field(default_factory=list)
    buffered: list[bytes] = field(default_factory=list)
    forks: list[ForkRecord] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)
    invalid: int = 0
    """Of the rejected, those no honest node would send (malformed, forged, out of bounds)."""

    def only(self, ids: set[bytes]) -> IngestReport:
        """Return the part of this report that concerns the given event ids."""
        return IngestReport(
            stored=[r for r in self.stored if r.id in ids],
            duplicates=[i for i in self.duplicates if i in ids],
            buffered=[i for i in self.buffered if i in ids],
            forks=[f for f in self.forks if f.second_id in ids],
            rejected=[r for r in self.rejected if bytes.fromhex(r[0]) in ids],
        )


class EventLog:
    """The signed community log on a recorder: one writer, any number of readers."""

    def __init__(
        self,
        recorder: LogRecorder,
        verify: Verify,
        hash: Hash,
        *,
        community: bytes | None = None,
        verify_threads: int | None = None,
        members_only: bool = False,
    ) -> None:
        self.recorder = recorder
        self.verify = verify
        self.hash = hash
        self.community = community
        self._pool = concurrent.futures.ThreadPoolExecutor(verify_threads or os.cpu_count() or 1)
        self._heads: dict[bytes, Head | None] = {}
        self._frozen: dict[bytes, int | None] = {}
        self._early: dict[bytes, dict[int, Checked]] = {}
        self._early_bytes: dict[bytes, int] = {}
        self._early_count = 0
        self.members_only = members_only
        """Store only the events of the founder and of nodes a stored invitation names."""
        self._writers: set[bytes] | None = None
        self.max_lamport = recorder.max_lamport()

    def close(self) -> None:
        """Stop the verification threads and close the store."""
        self._pool.shutdown()
        self.recorder.close()

    # -- reading ------------------------------------------------------------------------

    def head(self, author: bytes) -> Head | None:
        """Return the stored head of an author's feed (cached after the first look)."""
        if author not in self._heads:
            last = self.recorder.select_events(feed_uuid(author), desc=True, limit=1)
            if last:
                ev = envelope.decode(last[0].state)
                self._heads[author] = Head(ev.seq, self.hash(last[0].state), ev.lamport)
            else:
                self._heads[author] = None
        return self._heads[author]

    def frozen_at(self, author: bytes) -> int | None:
        """Return the seq an author's feed is frozen at by a fork proof, if any."""
        if author not in self._frozen:
            proofs = self.recorder.select_events(fork_uuid(author), limit=1)
            self._frozen[author] = proofs[0].originator_version if proofs else None
        return self._frozen[author]

    def raw_at(self, author: bytes, seq: int) -> bytes | None:
        """Return the stored bytes of an author's event at seq."""
        found = self.recorder.select_events(feed_uuid(author), gt=seq - 1, lte=seq, limit=1)
        return found[0].state if found else None

    def has_proof(self, author: bytes, seq: int) -> bool:
        """Return whether a fork proof for this (author, seq) is stored."""
        return bool(self.recorder.select_events(fork_uuid(author), gt=seq - 1, lte=seq, limit=1))

    def writers(self) -> set[bytes]:
        """Return the keys that stored invitations name (loaded on first use)."""
        if self._writers is None:
            writers, start = set(), 1
            while page := self.recorder.select_notifications(
                start, WRITERS_PAGE, topics=[MEMBER_INVITED]
            ):
                for n in page:
                    key = admission.named_writer(envelope.decode_stored(n.state))
                    if key is not None:
                        writers.add(key)
                start = page[-1].id + 1
            self._writers = writers
        return self._writers

    def buffered_bytes(self) -> int:
        """Return the encoded bytes of the events held back for a missing predecessor."""
        return sum(self._early_bytes.values())

    def buffered_count(self) -> int:
        """Return how many verified events wait for a missing predecessor."""
        return self._early_count

    def _remember_early(self, item: Checked) -> None:
        author = item.event.author
        self._early_bytes[author] = self._early_bytes.get(author, 0) + len(item.raw)
        self._early_count += 1

    def _forget_early(self, item: Checked) -> None:
        author = item.event.author
        left = self._early_bytes.get(author, 0) - len(item.raw)
        if left > 0:
            self._early_bytes[author] = left
        else:
            self._early_bytes.pop(author, None)
        self._early_count -= 1

    def find(self, id_prefix: bytes) -> list[bytes]:
        """Return the stored bytes of the events whose id starts with id_prefix."""
        out = []
        for _, originator, version in self.recorder.locate(id_prefix):
            found = self.recorder.select_events(originator, gt=version - 1, lte=version)
            out += [s.state for s in found]
        return out

    def scan(self, start: int = 1, batch: int = 5000) -> Iterator[tuple[int, str, bytes]]:
        """Yield (position, topic, state) of everything stored, in local order, from start."""
        for rows in self.scan_rows(start, batch):
            for position, _, _, topic, state in rows:
                yield position, topic, state

    def scan_rows(self, start: int = 1, batch: int = 5000) -> Iterator[list[RawRow]]:
        """Yield the stored rows in local order, a batch at a time."""
        while rows := self.recorder.scan(start, batch):
            yield rows
            start = rows[-1][0] + 1

    # -- checking -----------------------------------------------------------------------

    def check(self, raws: Sequence[bytes]) -> tuple[list[Checked], list[tuple[str, str]]]:
        """Decode and verify events, in parallel chunks; return the good and the refused."""
        chunks = [raws[i : i + VERIFY_CHUNK] for i in range(0, len(raws), VERIFY_CHUNK)]
        good: list[Checked] = []
        bad: list[tuple[str, str]] = []
        for g, b in self._pool.map(self._check_chunk, chunks):
            good += g
            bad += b
        return good, bad

    def _check_chunk(self, raws: Sequence[bytes]) -> tuple[list[Checked], list[tuple[str, str]]]:
        good, bad = [], []
        for raw in raws:
            eid = self.hash(raw)
            try:
                event = envelope.decode(raw)
            except MalformedEvent as exc:
                bad.append((eid.hex(), str(exc)))
                continue
            if self.community is not None and event.community != self.community:
                bad.append((eid.hex(), "event belongs to another community"))
                continue
            try:
                admission.check(event)
            except Refused as exc:
                bad.append((eid.hex(), str(exc)))
                continue
            if not self.verify(event.author, envelope.signing_bytes(event), event.sig):
                bad.append((eid.hex(), "invalid signature"))
            else:
                good.append(Checked(raw, event, eid))
        return good, bad

    def check_proofs(
        self, raws: Sequence[bytes]
    ) -> tuple[list[tuple[Checked, Checked, int]], list[tuple[str, str]]]:
        """Decode fork proofs from peers and check both signatures and that they do fork."""
        good, bad = [], []
        for raw in raws:
            try:
                proof = msgspec.msgpack.decode(raw, type=ForkProof)
                pair = self._check_chunk([proof.first, proof.second])
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                bad.append((self.hash(raw).hex(), f"not a fork proof: {exc}"))
                continue
            if pair[1] or len(pair[0]) != 2:
                bad.append((self.hash(raw).hex(), "fork proof with a bad event"))
                continue
            first, second = pair[0]
            seq = proves_fork(first.event, first.id, second.event, second.id)
            if seq is None:
                bad.append((self.hash(raw).hex(), "the two events do not fork a feed"))
            else:
                good.append((first, second, seq))
        return good, bad

    def sync_items(self) -> list[tuple[int, bytes]]:
        """Return the reconciled set: events outside frozen feeds, and one item per fork."""
        return self.recorder.sync_items() + [
            (0, fork_item_id(author, seq)) for author, seq in self.recorder.forks()
        ]

    def fetch(self, keys: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
        """Return the stored events and fork proofs whose reconciled-set ids start with keys.

        A key is a whole id or a prefix of one; a prefix that matches several events yields
        them all (the receiver keeps what it verifies and already has the rest).
        """
        wanted = set(keys)
        lengths = {len(k) for k in wanted}
        proofs = []
        for author, seq in self.recorder.forks():
            item = fork_item_id(author, seq)
            if any(item[:n] in wanted for n in lengths):
                found = self.recorder.select_events(fork_uuid(author), gt=seq - 1, lte=seq)
                proofs += [s.state for s in found]
        whole = [k for k in wanted if len(k) == 32]
        partial = [k for k in wanted if len(k) < 32]
        return self.recorder.states_of(whole) + self.recorder.states_by_prefix(partial), proofs

    def ingest(self, raws: Sequence[bytes]) -> IngestReport:
        """Check and store a batch of events from anywhere (peer, import, benchmark)."""
        good, bad = self.check(raws)
        report = self.write(good)
        report.rejected[:0] = bad
        return report

    # -- writing (one writer) -------------------------------------------------------------

    def append_local(self, signer: Signer, type: str, body: bytes) -> Recorded:
        """Mint, sign and durably store one event of this node's own feed."""
        future: concurrent.futures.Future[Recorded] = concurrent.futures.Future()
        self.write([], [Minting(signer, type, body, future)])
        return future.result()

    def write(
        self,
        checked: Sequence[Checked],
        mint: Sequence[Minting] = (),
        proofs: Sequence[tuple[Checked, Checked, int]] = (),
    ) -> IngestReport:
        """Chain-check verified events, mint local ones, and commit all in one transaction."""
        for attempt in (1, 2):
            batch = _Batch(self)
            try:
                behind = [
                    c.id
                    for c in checked
                    if (h := self.head(c.event.author)) and c.event.seq <= h.seq
                ]
                batch.known = self.recorder.known(behind) if behind else set()
                for item in checked:
                    batch.place(item)
                for m in mint:
                    batch.mint(m)
                for first, second, seq in proofs:
                    if batch.may_write(first.event):
                        batch.prove(first, second, seq)
                if batch.rows:
                    self.recorder.insert_events(
                        batch.rows, index=batch.index, forks=sorted(batch.proven)
                    )
            except IntegrityError:
                batch.rollback()  # another process wrote: re-read heads, retry once
                if attempt == 2:
                    raise StoreError("the store changed under this writer twice") from None
                continue
            except PersistenceError as exc:
                batch.rollback()
                raise StoreError(f"the store refused the batch: {exc}") from exc
            batch.commit()
            return batch.report
        raise AssertionError("unreachable")


class Minting(NamedTuple):
    """A local event to append to this node's own feed, and where its outcome goes."""

    signer: Signer
    type: str
    body: bytes
    future: concurrent.futures.Future[Recorded]


class _Batch:
    """One transaction's chain decisions; applied to the log's caches only after commit."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self.report = IngestReport()
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
        elif verdict is Verdict.BEHIND_HEAD:
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
            self._buffer(item)
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
        early = self.log._early.get(author)
        while early:
            nxt = early.pop(self.heads[author].seq + 1, None)
            if nxt is None:
                break
            self.log._forget_early(nxt)
            self.drained.append(nxt)
            if not self._place_one(nxt):
                break

    def _buffer(self, item: Checked) -> None:
        e, log = item.event, self.log
        early = log._early.setdefault(e.author, {})
        other = early.get(e.seq)
        if other is not None:
            if other.id == item.id:
                self.report.duplicates.append(item.id)
            else:
                self._fork(other, item)
            return
        held = log._early_bytes.get(e.author, 0)
        if held + len(item.raw) > MAX_BUFFERED_BYTES_PER_AUTHOR:
            self.report.rejected.append((item.id.hex(), "the author has too much held back"))
            return
        if log.buffered_bytes() + len(item.raw) > MAX_BUFFERED_BYTES:
            greediest = max(log._early_bytes, key=log._early_bytes.__getitem__)
            if log._early_bytes[greediest] <= held + len(item.raw):
                self.report.rejected.append((item.id.hex(), "too many early events held back"))
                return
            self._evict(greediest)
        early[e.seq] = item
        log._remember_early(item)
        self.buffered.append(item)
        self.report.buffered.append(item.id)

    def _evict(self, author: bytes) -> None:
        """Drop an author's held-back events (sync fetches them again once they fit)."""
        for item in self.log._early.pop(author, {}).values():
            self.log._forget_early(item)
            self.evicted.append(item)

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
        proof = msgspec.msgpack.encode(ForkProof(first=first.raw, second=second.raw))
        self.rows.append(StoredEvent(fork_uuid(author), seq, FORK_TOPIC, proof))
        self.proven.add((author, seq))
        frozen = self.frozen_at(author)
        if frozen is None or seq < frozen:
            self.frozen[author] = seq
        self.report.forks.append(ForkRecord(author, seq, first.id, second.id))

    def mint(self, m: Minting) -> None:
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
            admission.check(envelope.decode(raw))
        except (MalformedEvent, Refused) as exc:
            m.future.set_exception(Refused(f"this node does not sign it: {exc}"))
            return
        if not self.may_write(signed):
            m.future.set_exception(Refused("this node is not a member of its community"))
            return
        self._append(Checked(raw, signed, self.log.hash(raw)))
        self.minted.append((m, self.report.stored[-1]))

    def rollback(self) -> None:
        """The transaction failed: put the early buffer back and forget cached heads."""
        early = self.log._early
        for item in self.buffered:
            early.get(item.event.author, {}).pop(item.event.seq, None)
            self.log._forget_early(item)
        for item in self.drained + self.evicted:
            early.setdefault(item.event.author, {})[item.event.seq] = item
            self.log._remember_early(item)
        self.log._heads.clear()
        self.log._frozen.clear()

    def commit(self) -> None:
        """The transaction committed: move the log's caches forward, answer local appends."""
        self.log._heads.update(self.heads)
        self.log._frozen.update(self.frozen)
        for author, seq in self.frozen.items():  # events at or past a fork will never fit
            early = self.log._early.get(author, {})
            for doomed in [s for s in early if s >= seq]:
                self.log._forget_early(early.pop(doomed))
        for author in [a for a, early in self.log._early.items() if not early]:
            del self.log._early[author]
        self.log.max_lamport = self.max_lamport
        if self.log._writers is not None:
            self.log._writers |= self.writers
        for m, recorded in self.minted:
            m.future.set_result(recorded)


_STOP = object()


class LogWriter:
    """The single writer thread of a running node, committing in groups."""

    def __init__(self, log: EventLog, *, max_batch: int = 1000) -> None:
        self.log = log
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._max_batch = max_batch
        self._thread = threading.Thread(target=self._run, name="hearthnet-writer", daemon=True)
        self._thread.start()

    async def ingest(self, raws: Sequence[bytes], proofs: Sequence[bytes] = ()) -> IngestReport:
        """Verify events and fork proofs off the event loop, then hand them to the writer."""
        good, bad = await asyncio.to_thread(self.log.check, raws)
        good.sort(key=lambda c: c.event.lamport)  # predecessors first: less buffering
        good_proofs, bad_proofs = await asyncio.to_thread(self.log.check_proofs, proofs)
        fut: concurrent.futures.Future[IngestReport] = concurrent.futures.Future()
        self._queue.put(_Job(good, None, fut, good_proofs))
        report = await asyncio.wrap_future(fut)
        report.rejected[:0] = bad + bad_proofs
        report.invalid = len(bad) + len(bad_proofs)
        return report

    async def append(self, signer: Signer, type: str, body: bytes) -> Recorded:
        """Mint, sign and durably store a local event; return it once committed."""
        return await asyncio.wrap_future(self.submit_local(signer, type, body))

    def submit(self, checked: Sequence[Checked]) -> concurrent.futures.Future[IngestReport]:
        """Queue verified events for the next group commit."""
        fut: concurrent.futures.Future[IngestReport] = concurrent.futures.Future()
        self._queue.put(_Job(list(checked), None, fut, []))
        return fut

    def submit_local(
        self, signer: Signer, type: str, body: bytes
    ) -> concurrent.futures.Future[Recorded]:
        """Queue a local event for the next group commit."""
        fut: concurrent.futures.Future[Recorded] = concurrent.futures.Future()
        self._queue.put(_Job([], Minting(signer, type, body, fut), None, []))
        return fut

    def close(self) -> None:
        """Commit what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            jobs: list[_Job] = []
            size, item = 0, self._queue.get()
            while True:  # take what queued while the last commit ran: no waiting when idle
                if item is _STOP:
                    stop = True
                    break
                assert isinstance(item, _Job)
                jobs.append(item)
                size += len(item.checked) + 1
                if size >= self._max_batch:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            if jobs:
                self._commit(jobs)

    def _commit(self, jobs: list[_Job]) -> None:
        checked = [c for job in jobs for c in job.checked]
        mints = [job.mint for job in jobs if job.mint is not None]
        proofs = [p for job in jobs for p in job.proofs]
        try:
            report = self.log.write(checked, mints, proofs)
        except Exception as exc:  # every waiter hears of it; the writer thread lives on
            for job in jobs:
                future = job.report if job.mint is None else job.mint.future
                if future is not None and not future.done():
                    future.set_exception(exc)
            return
        submitted = {c.id for job in jobs for c in job.checked}
        minted = {
            m.future.result().id for m in mints if m.future.done() and not m.future.exception()
        }
        released = {r.id for r in report.stored} - submitted - minted  # waited for this batch
        for job in jobs:
            if job.report is not None:
                ids = {c.id for c in job.checked} | {p[1].id for p in job.proofs} | released
                released = set()
                job.report.set_result(report.only(ids))


class _Job(NamedTuple):
    checked: list[Checked]
    mint: Minting | None
    report: concurrent.futures.Future[IngestReport] | None
    proofs: list[tuple[Checked, Checked, int]]
