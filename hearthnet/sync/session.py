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

MAX_ROUNDS = 64
MAX_PASSES = 16


class SyncError(RuntimeError):
    """A session that could not finish (peer unreachable, misbehaving, or too chatty)."""


class Peer(Protocol):
    """The other side of a session, however it is reached."""

    async def reconcile(self, message: bytes) -> ReconcileReply:
        """Send a negentropy message, get the reply."""
        ...

    async def fetch(self, request: Fetch) -> Bundle:
        """Get events and proofs by id."""
        ...

    async def push(self, bundle: Bundle) -> PushReply:
        """Give events and proofs."""
        ...


class Replica(Protocol):
    """This node's side: its reconciled set, and the way into and out of its log."""

    async def storage(self) -> Storage:
        """The current reconciled set."""
        ...

    async def take(self, bundle: Bundle) -> PushReply:
        """Check and store what a peer sent."""
        ...

    def waiting(self) -> int:
        """Events held back until their missing predecessors arrive."""
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


def respond(storage: Storage, message: bytes) -> ReconcileReply:
    """Answer one negentropy message from a session's initiator (differences as prefixes)."""
    step = Negentropy(storage, protocol.RECONCILE_LIMIT).reconcile(message)
    short = protocol.PREFIX
    return ReconcileReply(
        step.reply, [i[:short] for i in step.have], [i[:short] for i in step.need]
    )


async def synchronise(replica: Replica, peer: Peer) -> SyncStats:
    """Run one session as initiator; return its statistics.

    Events held back for a missing predecessor are in neither set, so an author whose feed
    is scattered over both sides can need several passes: the session repeats while a pass
    moved events and either side still holds some back.
    """
    stats = SyncStats()
    for _ in range(MAX_PASSES):
        moved, peer_waiting = await _pass(replica, peer, stats)
        if not moved or not (peer_waiting or replica.waiting()):
            break
    return stats


async def _pass(replica: Replica, peer: Peer, stats: SyncStats) -> tuple[int, int]:
    """Reconcile once and move the difference; return (events moved, peer's waiting count)."""
    moved_before = stats.fetched + stats.pushed
    peer_waiting = 0
    party = Negentropy(await replica.storage(), protocol.RECONCILE_LIMIT)
    to_fetch: dict[bytes, None] = {}  # in the responder's (lamport, id) order: parents first
    to_push: dict[bytes, None] = {}
    message: bytes | None = party.initiate()
    while message is not None:
        if stats.round_trips >= MAX_ROUNDS:
            raise SyncError(f"no agreement after {MAX_ROUNDS} round trips")
        stats.round_trips += 1
        stats.bytes_sent += len(message)
        reply = await peer.reconcile(message)
        stats.bytes_received += len(protocol.encode(reply))
        to_fetch.update(dict.fromkeys(reply.have))
        to_push.update(dict.fromkeys(reply.need))
        if reply.message is None:
            break
        step = party.reconcile(reply.message)
        to_push.update(dict.fromkeys(step.have))
        to_fetch.update(dict.fromkeys(i[: protocol.PREFIX] for i in step.need))
        message = step.reply
    wanted = list(to_fetch)
    for i in range(0, len(wanted), protocol.MAX_IDS):
        request = Fetch(ids=wanted[i : i + protocol.MAX_IDS])
        stats.bytes_sent += len(protocol.encode(request))
        bundle = await peer.fetch(request)
        stats.bytes_received += len(protocol.encode(bundle))
        stats.fetched += len(bundle.events) + len(bundle.proofs)
        stats.stored += (await replica.take(bundle)).stored
    for bundle in await replica.give(list(to_push)):
        stats.bytes_sent += len(protocol.encode(bundle))
        stats.pushed += len(bundle.events) + len(bundle.proofs)
        peer_waiting = (await peer.push(bundle)).waiting
    return stats.fetched + stats.pushed - moved_before, peer_waiting
