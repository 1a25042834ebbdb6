"""Fork proofs as the log keeps and reconciles them.

A proof is two signed events that no single feed can hold, stored under the author's fork
stream at the seq where the feed freezes. In the reconciled set a fork is one item whose id
depends only on (author, seq), so every node holding any proof of that fork agrees on it.
"""

from __future__ import annotations

import blake3
import msgspec
from eventsourcing.persistence import StoredEvent

from hearthnet.adapters.recorders import FORK_TOPIC, fork_uuid
from hearthnet.domain import envelope
from hearthnet.domain.chain import ForkProof
from hearthnet.domain.records import ForkRecord

FORK_ITEM_CONTEXT = b"hearthnet/fork/v1\x00"


def fork_item_id(author: bytes, seq: int) -> bytes:
    """The reconciled-set id of a fork: the same on every node, whichever two events prove it."""
    return blake3.blake3(FORK_ITEM_CONTEXT + author + seq.to_bytes(8, "big")).digest()


def proof_row(author: bytes, seq: int, first: bytes, second: bytes) -> StoredEvent:
    """The stored row of a proof that the author's feed forks at seq."""
    proof = msgspec.msgpack.encode(ForkProof(first=first, second=second))
    return StoredEvent(fork_uuid(author), seq, FORK_TOPIC, proof)


def fork_record(state: bytes) -> ForkRecord:
    """Read a stored fork proof."""
    proof = msgspec.msgpack.decode(state, type=ForkProof)
    first = envelope.decode_stored(proof.first)
    digest = blake3.blake3
    return ForkRecord(
        first.author, first.seq, digest(proof.first).digest(), digest(proof.second).digest()
    )
