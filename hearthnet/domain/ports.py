"""Ports: the roles the domain needs from the outside world."""

from __future__ import annotations

from typing import Protocol


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


class Keyring(Protocol):
    """A node's private X25519 keys for end-to-end encryption, kept on the node only."""

    def identity_public(self) -> bytes:
        """The node's X25519 identity key (the X25519 form of its Ed25519 key)."""
        ...

    async def create(self, kind: str, count: int) -> list[tuple[int, bytes]]:
        """Make `count` new prekeys of a kind ('signed' or 'one_time'), store their private
        halves durably, and return their (id, public key)."""
        ...
