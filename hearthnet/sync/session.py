"""The anti-entropy session: reconcile id sets with a peer, then fetch and push the difference.

The initiator drives; the responder answers each negentropy message statelessly, so a peer
that lost its store simply syncs again. Both directions are settled in one session:
what the initiator lacks it fetches, what the responder lacks the initiator pushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from hearthnet.sync import protocol
from hearthnet.sync.negentropy import Negentropy, Storage
from hearthnet.sync.protocol import Bundle, Fetch, PushReply, ReconcileReply

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_ROUNDS = 1000
"""Round trips one session may take: bounded work even against a peer that never agrees."""
MAX_PASSES = 16
FIRST_FETCH = 128
"""Keys in the first fetch request; later ones are sized by the events seen so far."""


class SyncError(RuntimeError):
    """A session that could not finish (peer unreachable, misbehaving, or too chatty)."""


class NotAdmitted(SyncError):
    """The peer refused this node's signed requests (it is not an active member there)."""


class PeerMisbehaved(SyncError):
    """The peer answered with data no honest node sends: it is left alone for a while."""


class Peer(Protocol):
    """The other side of a session, however it is reached."""

    async def reconcile(self, message: bytes, *, priority: bool = False) -> ReconcileReply:
        """Send a negentropy message, get the reply (over the priority set when asked)."""
        ...

    async def fetch(self, request: Fetch) -> Bundle:
        """Get events and proofs by id."""
        ...

    async def push(self, bundle: Bundle) -> PushReply:
        """Give events and proofs."""
        ...


class Replica(Protocol):
    """This node's side: its reconciled set, and the way into and out of its log."""

    async def storage(self, *, priority: bool = False) -> Storage:
        """The current reconciled set (only the events that travel first, when asked)."""
        ...

    async def take(self, bundle: Bundle) -> PushReply:
        """Check and store what a peer sent."""
        ...

    def waiting(self) -> int:
        """Events held back until their missing predecessors arrive."""
        ...

    def keys_of(self, bundle: Bundle) -> set[bytes]:
        """The keys that a bundle's events and proofs answer."""
        ...

    async def answer(self, keys: Sequence[bytes]) -> Bundle:
        """The events and proofs these keys name, as many as fit in one frame."""
        ...

    async def give(self, ids: Sequence[bytes]) -> list[Bundle]:
        """Bundle the events and proofs with these ids, each bundle within one frame."""
        ...


@dataclass
class SyncStats:
    """What one session cost and achieved."""

    round_trips: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    fetched: int = 0
    pushed: int = 0
    stored: int = 0


def respond(storage: Storage, message: bytes, *, compact: bool = False) -> ReconcileReply:
    """Answer one negentropy message from a session's initiator: as the reference does, or,
    when the initiator asked for the compact form, with the differences as key prefixes."""
    step = Negentropy(storage, protocol.RECONCILE_LIMIT, echo_id_lists=not compact).reconcile(
        message
    )
    room = (protocol.FRAME_LIMIT - 1024 - len(step.reply or b"")) // protocol.PREFIX
    have = [i[: protocol.PREFIX] for i in step.have[:room]]
    need = [i[: protocol.PREFIX] for i in step.need[: room - len(have)]]
    complete = len(have) + len(need) == len(step.have) + len(step.need)
    return ReconcileReply(step.reply, protocol.join_keys(have), protocol.join_keys(need), complete)


async def synchronise(replica: Replica, peer: Peer) -> SyncStats:
    """Run one session as initiator; return its statistics.

    Events held back for a missing predecessor are in neither set, so an author whose feed
    is scattered over both sides can need several passes; so can a difference too large to
    list in one frame. The session repeats while a pass moved events and something is left.

    The events that travel first (alerts and what goes with them) are reconciled and moved
    alone before the rest, so that after a partition an alert crosses before the backlog.
    """
    stats = SyncStats()
    for priority in (True, False):
        for _ in range(MAX_PASSES):
            moved, more = await _pass(replica, peer, stats, priority=priority)
            if not moved or not (more or replica.waiting()):
                break
    return stats


async def _pass(
    replica: Replica, peer: Peer, stats: SyncStats, *, priority: bool
) -> tuple[int, bool]:
    """Reconcile once and move the difference; return (events moved, whether more is left)."""
    moved_before = stats.fetched + stats.pushed
    more = False
    party = Negentropy(await replica.storage(priority=priority), protocol.RECONCILE_LIMIT)
    to_fetch: dict[bytes, None] = {}  # in the responder's (lamport, id) order: parents first
    to_push: dict[bytes, None] = {}
    message: bytes | None = party.initiate()
    while message is not None:
        if stats.round_trips >= MAX_ROUNDS:
            raise SyncError(f"no agreement after {MAX_ROUNDS} round trips")
        stats.round_trips += 1
        stats.bytes_sent += len(message)
        reply = await peer.reconcile(message, priority=priority)
        stats.bytes_received += len(protocol.encode(reply))
        try:
            to_fetch.update(dict.fromkeys(protocol.split_keys(reply.have)))
            to_push.update(dict.fromkeys(protocol.split_keys(reply.need)))
        except protocol.FrameError as exc:
            raise SyncError(str(exc)) from None
        more = more or not reply.complete
        if reply.message is None:
            break
        step = party.reconcile(reply.message)
        to_push.update(dict.fromkeys(step.have))
        to_fetch.update(dict.fromkeys(i[: protocol.PREFIX] for i in step.need))
        message = step.reply
    keys, per_request = list(to_fetch), FIRST_FETCH
    fetches_left = len(keys) // 16 + 16
    while keys:
        if not fetches_left:
            raise PeerMisbehaved(f"{len(keys)} events still missing after every fetch allowed")
        fetches_left -= 1
        asked = keys[:per_request]
        request = Fetch(keys=protocol.join_keys(asked))
        stats.bytes_sent += len(protocol.encode(request))
        bundle = await peer.fetch(request)
        stats.bytes_received += len(protocol.encode(bundle))
        got = len(bundle.events) + len(bundle.proofs)
        if not got:
            break
        stats.fetched += got
        stats.stored += (await replica.take(bundle)).stored
        served = replica.keys_of(bundle)
        if served.isdisjoint(asked):
            raise PeerMisbehaved("the peer served none of the events asked for")
        keys = [k for k in keys if k not in served]
        size = sum(map(len, bundle.events)) / max(1, len(bundle.events))
        per_request = max(16, int(protocol.FRAME_LIMIT / max(size, 64)))
    for bundle in await replica.give(list(to_push)):
        stats.bytes_sent += len(protocol.encode(bundle))
        stats.pushed += len(bundle.events) + len(bundle.proofs)
        more = (await peer.push(bundle)).waiting > 0 or more
    return stats.fetched + stats.pushed - moved_before, more
