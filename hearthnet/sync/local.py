"""A peer in the same process: sessions between replicas without a network in between."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.sync import protocol
from hearthnet.sync.protocol import Bundle, Fetch, PushReply, ReconcileReply
from hearthnet.sync.session import respond

if TYPE_CHECKING:
    from hearthnet.sync.session import Replica


class LocalPeer:
    """Another replica reached by direct calls; frames are still encoded to count bytes."""

    def __init__(self, replica: Replica) -> None:
        self.replica = replica

    async def reconcile(self, message: bytes, *, priority: bool = False) -> ReconcileReply:
        """Answer as the responder."""
        storage = await self.replica.storage(priority=priority)
        reply = respond(storage, message, compact=True)
        return protocol.decode(protocol.encode(reply), ReconcileReply)

    async def fetch(self, request: Fetch) -> Bundle:
        """Hand out events and proofs."""
        return await self.replica.answer(protocol.split_keys(request.keys))

    async def push(self, bundle: Bundle) -> PushReply:
        """Take events and proofs."""
        return await self.replica.take(bundle)
