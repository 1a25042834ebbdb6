"""Checking arriving events before any transaction: decoding, admission and signatures.

Signatures are verified in parallel chunks on a thread pool (libsodium releases the GIL), so a
batch costs about the raw Ed25519 rate of the cores given; nothing here touches the store.
"""

from __future__ import annotations

import concurrent.futures
import os
from typing import TYPE_CHECKING, NamedTuple, TypeVar

import msgspec

from hearthnet.domain import admission, envelope
from hearthnet.domain.admission import Refused
from hearthnet.domain.chain import ForkProof, proves_fork
from hearthnet.domain.envelope import Event, MalformedEvent

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from hearthnet.domain.ports import Hash, Verify

CHUNK = 256
T = TypeVar("T")
R = TypeVar("R")


class Checked(NamedTuple):
    """A decoded, admitted event whose signature is valid, ready for the chain check."""

    raw: bytes
    event: Event
    id: bytes


Refusals = list[tuple[str, str]]
"""(hex event id, reason) of what was refused."""


class Verifier:
    """Decodes, admits and verifies events for one community on a pool of threads."""

    def __init__(
        self, verify: Verify, hash: Hash, community: bytes | None, threads: int | None = None
    ) -> None:
        self.verify, self.hash, self.community = verify, hash, community
        self._pool = concurrent.futures.ThreadPoolExecutor(threads or os.cpu_count() or 1)

    def close(self) -> None:
        """Stop the threads."""
        self._pool.shutdown()

    def map_chunks(
        self, work: Callable[[Sequence[T]], R], items: Sequence[T], size: int = CHUNK
    ) -> Iterable[R]:
        """Run work over chunks of items on the pool, results in order."""
        return self._pool.map(work, [items[i : i + size] for i in range(0, len(items), size)])

    def check(self, raws: Sequence[bytes]) -> tuple[list[Checked], Refusals]:
        """Decode, admit and verify events, in parallel chunks; return the good and the refused."""
        good: list[Checked] = []
        bad: Refusals = []
        for g, b in self.map_chunks(self.check_chunk, raws):
            good += g
            bad += b
        return good, bad

    def check_chunk(self, raws: Sequence[bytes]) -> tuple[list[Checked], Refusals]:
        """Check events one after the other, on the calling thread."""
        good, bad = [], []
        for raw in raws:
            eid = self.hash(raw)
            try:
                event = envelope.decode(raw)
                if self.community is not None and event.community != self.community:
                    raise Refused("event belongs to another community")
                admission.check(event)
            except (MalformedEvent, Refused) as exc:
                bad.append((eid.hex(), str(exc)))
                continue
            if self.verify(event.author, envelope.signing_bytes(event), event.sig):
                good.append(Checked(raw, event, eid))
            else:
                bad.append((eid.hex(), "invalid signature"))
        return good, bad

    def check_proofs(
        self, raws: Sequence[bytes]
    ) -> tuple[list[tuple[Checked, Checked, int]], Refusals]:
        """Decode fork proofs from peers and check both events and that they do fork."""
        good, bad = [], []
        for raw in raws:
            try:
                proof = msgspec.msgpack.decode(raw, type=ForkProof)
                pair, refused = self.check_chunk([proof.first, proof.second])
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                bad.append((self.hash(raw).hex(), f"not a fork proof: {exc}"))
                continue
            if refused or len(pair) != 2:
                bad.append((self.hash(raw).hex(), "fork proof with a bad event"))
                continue
            first, second = pair
            seq = proves_fork(first.event, first.id, second.event, second.id)
            if seq is None:
                bad.append((self.hash(raw).hex(), "the two events do not fork a feed"))
            else:
                good.append((first, second, seq))
        return good, bad
