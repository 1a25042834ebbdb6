"""What every feature's handlers see of the running node, and what they share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import msgspec

from hearthnet.domain.capability import BusError
from hearthnet.domain.types import InvalidIdentifier, parse_node_id

if TYPE_CHECKING:
    from hearthnet.domain.capability import Descriptor
    from hearthnet.domain.ports import Keyring, LanguageGuess, Signer, Verify
    from hearthnet.domain.records import Recorded
    from hearthnet.services.bus import Remote

Limit = Annotated[int, msgspec.Meta(ge=1, le=500)]
Lamport = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class NodeContext(Protocol):
    """What handlers need from the running node (tests pass an in-memory fake)."""

    me: str

    @property
    def verify(self) -> Verify:
        """The one Ed25519 verification policy (co-signatures)."""
        ...

    @property
    def signer(self) -> Signer:
        """This node's key, for invite links and co-signatures."""
        ...

    @property
    def keyring(self) -> Keyring:
        """This node's private X25519 keys (end-to-end encryption)."""
        ...

    def serial(self, name: str) -> asyncio.Lock:
        """This node's lock for work done one at a time, by name (claims, thread sends)."""
        ...

    def key_backup(self) -> str:
        """This node's key as a backup text (for its operator only, to keep offline)."""
        ...

    def endpoints(self) -> list[str]:
        """Where invitees can reach this node to sync."""
        ...

    async def append(self, type_: str, body: bytes) -> Recorded:
        """Append one of this node's events; return once the read models hold it."""
        ...

    def record(self, type_: str, body: bytes, /) -> Awaitable[Recorded]:
        """Append one of this node's events and push it on, without waiting for the views
        (for reactions, which run while the views are being brought up)."""
        ...

    def query(self, sql: str, params: dict[str, Any]) -> Awaitable[list[dict[str, Any]]]:
        """Read from the views."""
        ...

    def call(self, ref: str, input: dict[str, Any]) -> Awaitable[dict[str, Any]]:
        """Call a capability as this node's operator (here, or on the mesh); its output."""
        ...

    def later(self, work: Coroutine[Any, Any, None], /) -> None:
        """Run work in the background of the node (long reactions: indexing)."""
        ...

    def remotes(self, name: str) -> Awaitable[list[Remote]]:
        """The healthy peers that offer a capability, the most reliable first."""
        ...

    def capabilities(self) -> list[Descriptor]:
        """What this node serves."""
        ...

    def events(self, since: int, limit: int) -> Awaitable[list[dict[str, Any]]]:
        """Stored events after a local position, as rows."""
        ...

    def status(self) -> dict[str, Any]:
        """Node, community, peers and log head."""
        ...


class Nothing(msgspec.Struct, kw_only=True):
    """No input."""


def valid_node(text: str, field: str) -> str:
    """A full node id, or bad_request naming the field."""
    try:
        parse_node_id(text)
    except InvalidIdentifier as exc:
        raise BusError("bad_request", f"{field}: {exc}") from None
    return text


async def guess_language(node: NodeContext, text: str, among: list[str]) -> str:
    """The most likely of these languages for a text (the first when the node cannot tell)."""
    guess: LanguageGuess | None = getattr(node, "language_guess", None)
    if guess is None or len(among) < 2:
        return among[0]
    return await asyncio.to_thread(guess.guess, text, among)


async def own_level(node: NodeContext) -> str:
    """This node's trust level in the community ('' unless an active member)."""
    rows = await node.query(
        "SELECT level FROM members WHERE node_id = :me AND status = 'active'", {"me": node.me}
    )
    return str(rows[0]["level"]) if rows else ""


ViewsReaction = Callable[[NodeContext], Awaitable[None]]
"""Runs each time the views took in new events (chat: acknowledge delivery)."""
PeerReaction = Callable[[NodeContext, str, str, bool], Awaitable[None]]
"""Runs when a peer (node id, url) is seen (True) or lost (False)."""


@dataclass(frozen=True)
class Reactions:
    """A feature's reactions to what happens on the node, as named handlers."""

    on_views_updated: tuple[ViewsReaction, ...] = ()
    on_peer_change: tuple[PeerReaction, ...] = ()
