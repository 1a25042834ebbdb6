"""Ed25519 through libsodium (PyNaCl) and BLAKE3: the one verification policy of every node."""

from __future__ import annotations

import blake3
import nacl.bindings
import nacl.exceptions
import nacl.signing


def blake3_256(data: bytes) -> bytes:
    """Return the 32-byte BLAKE3 digest of data."""
    return blake3.blake3(data).digest()


def verify_ed25519(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Check a detached signature with libsodium's strict rules (canonical S, no small order)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    try:
        nacl.bindings.crypto_sign_open(signature + message, public_key)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError):
        return False
    return True


class NaclSigner:
    """Signs with an Ed25519 key held in memory."""

    def __init__(self, seed: bytes) -> None:
        self._key = nacl.signing.SigningKey(seed)
        self._public = bytes(self._key.verify_key)

    @classmethod
    def generate(cls) -> NaclSigner:
        """Create a signer with a fresh random key."""
        return cls(bytes(nacl.signing.SigningKey.generate()))

    @property
    def seed(self) -> bytes:
        """The 32-byte private seed."""
        return bytes(self._key)

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte signature of message."""
        return bytes(self._key.sign(message).signature)
