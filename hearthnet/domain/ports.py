"""Ports: the roles the domain needs from the outside world."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple, Protocol

import msgspec

if TYPE_CHECKING:
    from collections.abc import Iterable

    from hearthnet.domain.cap import Alert


class Signer(Protocol):
    """Holds a node's private key and signs on its behalf."""

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of message."""
        ...


class Verify(Protocol):
    """Checks one Ed25519 signature under the single verification policy of every node."""

    def __call__(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Return True iff signature is valid for message under public_key."""
        ...


class Hash(Protocol):
    """BLAKE3-256 of a byte string."""

    def __call__(self, data: bytes) -> bytes:
        """Return the 32-byte digest of data."""
        ...


class Bundle(msgspec.Struct, frozen=True, kw_only=True):
    """A member's published keys as a writer opens a session with them (`one_time_id` 0:
    none)."""

    identity: bytes
    signed_prekey_id: int
    signed_prekey: bytes
    one_time_id: int = 0
    one_time: bytes = b""


class Unreadable(ValueError):
    """A private message that does not open; `broken` names a session that cannot be taken
    up, so that its sender must open another."""

    def __init__(self, reason: str, *, broken: bytes = b"") -> None:
        super().__init__(reason)
        self.broken = broken


class PrivateBody(NamedTuple):
    """A private body as this node keeps it: sent by it, or opened (`error` when it did not
    open). `kind` is 'message', 'thread' or 'key'; `payload` the padded-free plaintext."""

    sender: str
    client_id: str
    kind: str
    peer: str
    thread: str
    session: bytes
    payload: bytes | None
    error: str | None


class Keyring(Protocol):
    """A node's end-to-end secrets, kept on the node only: its X25519 keys, its sessions and
    sender keys, and the private bodies it sent or opened."""

    def identity_public(self) -> bytes:
        """The node's X25519 identity key (the X25519 form of its Ed25519 key)."""
        ...

    async def create(self, kind: str, count: int, after: int = 0) -> list[tuple[int, bytes]]:
        """Make `count` new prekeys of a kind ('signed' or 'one_time'), numbered above `after`,
        store their private halves durably, and return their (id, public key)."""
        ...

    async def holding(self, kind: str, ids: list[int]) -> set[int]:
        """Which of these prekeys this keyring holds the private half of."""
        ...

    async def consumed(self) -> list[int]:
        """One-time prekeys used up and not yet retired on the log."""
        ...

    async def retired(self, ids: list[int]) -> None:
        """Note that these one-time prekeys are retired on the log."""
        ...

    async def seal(
        self, peer: str, bundle: Bundle | None, plaintext: bytes
    ) -> tuple[bytes, bytes, bytes]:
        """Seal to a peer: (header, ciphertext, session id). LookupError without a session
        and without keys to open one."""
        ...

    async def open(self, peer: str, header: bytes, ciphertext: bytes) -> bytes:
        """Open a peer's sealed message, or raise Unreadable."""
        ...

    async def break_session(self, peer: str, session: bytes) -> bool:
        """Record that a peer's session cannot be used; True the first time."""
        ...

    async def sender_chain(self, thread: str, generation: str, me: str) -> tuple[bytes, int, bool]:
        """This node's sender key for a thread's generation: (chain, next n, is new)."""
        ...

    async def group_seal(
        self, me: str, thread: str, generation: str, plaintext: bytes, ad: bytes
    ) -> tuple[int, bytes]:
        """Seal a thread message with this node's sender key: (n, ciphertext)."""
        ...

    async def accept_chain(
        self, author: str, thread: str, generation: str, chain: bytes, n: int
    ) -> None:
        """Keep a member's sender key shared with this node."""
        ...

    async def group_open(
        self, author: str, thread: str, generation: str, n: int, ciphertext: bytes, ad: bytes
    ) -> bytes:
        """Open a thread message: Unreadable, or LookupError while no key is here."""
        ...

    async def keep(self, body: PrivateBody, event_id: str = "") -> None:
        """Keep a private body sent or opened; mark its event handled."""
        ...

    async def unhandled(self, event_ids: Iterable[str]) -> set[str]:
        """Which of these events are not handled yet."""
        ...

    async def bodies(
        self, sender_client_ids: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], PrivateBody]:
        """The kept bodies of these (sender, client id) pairs."""
        ...

    async def sent_in(self, me: str, peer: str, session: bytes) -> list[PrivateBody]:
        """What this node sealed to a peer in a session."""
        ...


class CapCodec(Protocol):
    """CAP 1.2 XML in and out (the edge's hardened parser and schema-checked writer)."""

    def parse(self, data: bytes, *, validate: bool = True) -> Alert:
        """Read one CAP message; ValueError with the reason when refused."""
        ...

    def parse_packed(self, packed: bytes) -> Alert:
        """Read an event's compressed CAP message; ValueError when refused."""
        ...

    def write(self, message: Alert) -> bytes:
        """The message as CAP 1.2 XML."""
        ...

    def check_written(self, xml: bytes) -> None:
        """ValueError unless the XML passes the schema and the rules."""
        ...

    def pack(self, xml: bytes) -> bytes:
        """Compress CAP XML for an event body."""
        ...


class LanguageGuess(Protocol):
    """Language identification of a text."""

    def guess(self, text: str, among: list[str]) -> str:
        """The most likely of these languages (ISO 639-1)."""
        ...
