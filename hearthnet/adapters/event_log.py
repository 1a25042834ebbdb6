"""The signed community log on a recorder: what is stored, and the one way in.

Arriving events are checked outside any transaction (`verification`), placed in their
authors' feeds (`placement`) and committed in one transaction per batch; the writer thread
(`log_writer`) gives asyncio callers that one way in. Readers may use the log at any time.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError, PersistenceError

from hearthnet.adapters.early_events import EarlyEvents
from hearthnet.adapters.fork_proofs import fork_item_id
from hearthnet.adapters.placement import Batch, Minting, StoreError
from hearthnet.adapters.recorders import feed_uuid, fork_uuid
from hearthnet.adapters.verification import Checked, Refusals, Verifier
from hearthnet.domain import admission, envelope
from hearthnet.domain.chain import Head
from hearthnet.domain.community import MEMBER_INVITED

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from hearthnet.adapters.recorders import LogRecorder, RawRow
    from hearthnet.domain.ports import Hash, Signer, Verify
    from hearthnet.domain.records import ForkRecord, Recorded

WRITERS_PAGE = 5000


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
        self.hash = hash
        self.verifier = Verifier(verify, hash, community, verify_threads)
        self.early = EarlyEvents()
        """Verified events waiting for a missing predecessor."""
        self.members_only = members_only
        """Store only the events of the founder and of nodes a stored invitation names."""
        self._heads: dict[bytes, Head | None] = {}
        self._frozen: dict[bytes, int | None] = {}
        self._writers: set[bytes] | None = None
        self.max_lamport = recorder.max_lamport()

    @property
    def community(self) -> bytes | None:
        """The community whose events this log takes (None until founded or joined)."""
        return self.verifier.community

    @community.setter
    def community(self, community: bytes | None) -> None:
        self.verifier.community = community

    @property
    def verify(self) -> Verify:
        """The one Ed25519 verification policy."""
        return self.verifier.verify

    def close(self) -> None:
        """Stop the verification threads and close the store."""
        self.verifier.close()
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
        return self.early.total_bytes()

    def buffered_count(self) -> int:
        """Return how many verified events wait for a missing predecessor."""
        return self.early.count

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

    # -- checking and writing (one writer) ---------------------------------------------------

    def check(self, raws: Sequence[bytes]) -> tuple[list[Checked], Refusals]:
        """Decode, admit and verify events, in parallel; return the good and the refused."""
        return self.verifier.check(raws)

    def check_proofs(
        self, raws: Sequence[bytes]
    ) -> tuple[list[tuple[Checked, Checked, int]], Refusals]:
        """Check fork proofs from peers: both events, and that they do fork."""
        return self.verifier.check_proofs(raws)

    def ingest(self, raws: Sequence[bytes]) -> IngestReport:
        """Check and store a batch of events from anywhere (peer, import, benchmark)."""
        good, bad = self.check(raws)
        report = self.write(good)
        report.rejected[:0] = bad
        report.invalid = len(bad)
        return report

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
            batch = Batch(self, IngestReport())
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

    def advance(
        self,
        heads: dict[bytes, Head],
        frozen: dict[bytes, int],
        max_lamport: int,
        writers: set[bytes],
    ) -> None:
        """Take in what a committed batch changed: heads, frozen feeds, the Lamport high-water
        mark and the keys newly named by invitations."""
        self._heads.update(heads)
        self._frozen.update(frozen)
        self.max_lamport = max_lamport
        if self._writers is not None:
            self._writers |= writers

    def forget_cached(self) -> None:
        """A batch failed: read heads and fork state from the store again."""
        self._heads.clear()
        self._frozen.clear()
