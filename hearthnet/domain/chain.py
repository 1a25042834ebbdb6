"""Per-author hash chains: where an arriving event fits in its author's feed.

A feed is contiguous: seq 1, 2, 3 ... each naming the id of the one before. An event is
appended only right after its author's head, so every stored event has its whole past
stored too. Two signed events that cannot both sit in one feed prove that the author
equivocated; such a fork proof freezes the feed at the fork's seq on every node.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, NamedTuple

import msgspec

if TYPE_CHECKING:
    from hearthnet.domain.envelope import Event


class Head(NamedTuple):
    """The last stored event of an author's feed."""

    seq: int
    id: bytes
    lamport: int


class Verdict(enum.Enum):
    """What to do with an arriving, validly signed event."""

    APPEND = "append"
    BEHIND_HEAD = "behind_head"
    EARLY = "early"
    FORK = "fork"
    FROZEN = "frozen"
    STALE_LAMPORT = "stale_lamport"


def place(event: Event, event_id: bytes, head: Head | None, frozen_at: int | None) -> Verdict:
    """Place an event against its author's head.

    BEHIND_HEAD means the author already has an event at this seq: the caller compares ids,
    equal is a duplicate to ignore, different is a fork.
    """
    if frozen_at is not None and event.seq >= frozen_at:
        return Verdict.FROZEN
    head_seq = head.seq if head else 0
    if event.seq <= head_seq:
        return Verdict.BEHIND_HEAD
    if event.seq > head_seq + 1:
        return Verdict.EARLY
    if head is not None and event.prev != head.id:
        return Verdict.FORK
    if head is not None and event.lamport <= head.lamport:
        return Verdict.STALE_LAMPORT
    return Verdict.APPEND


class ForkProof(msgspec.Struct, frozen=True, array_like=True):
    """Two events by one author that no single feed can hold: `first` at the fork's seq."""

    first: bytes
    second: bytes


def proves_fork(first: Event, first_id: bytes, second: Event, second_id: bytes) -> int | None:
    """Return the seq at which the two events fork the author's feed, or None if they don't."""
    if first.author != second.author or first_id == second_id:
        return None
    if first.seq == second.seq:
        return first.seq
    if second.seq == first.seq + 1 and second.prev != first_id:
        return first.seq
    return None
