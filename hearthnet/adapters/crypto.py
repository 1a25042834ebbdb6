"""Ed25519 through libsodium (PyNaCl) and BLAKE3: the one verification policy of every node;
X25519 and ChaCha20-Poly1305 for what only its recipients may read."""

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


class SealError(ValueError):
    """A key agreement or a ciphertext that must not be used: say why, never return garbage."""


def x25519(private_key: bytes, public_key: bytes) -> bytes:
    """The X25519 shared secret of a private scalar and a peer's public key. A peer key of low
    order gives the all-zero secret; that is refused (SealError), as Signal's X3DH requires."""
    if len(private_key) != 32 or len(public_key) != 32:
        raise SealError("X25519 keys are 32 bytes")
    try:
        return bytes(nacl.bindings.crypto_scalarmult(private_key, public_key))
    except nacl.exceptions.RuntimeError:
        raise SealError("the peer's key has low order: no shared secret") from None


def x25519_public(private_key: bytes) -> bytes:
    """The X25519 public key of a private scalar."""
    return bytes(nacl.bindings.crypto_scalarmult_base(private_key))


def seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes = b"") -> bytes:
    """ChaCha20-Poly1305 (RFC 8439): the ciphertext with its 16-byte tag appended."""
    return bytes(
        nacl.bindings.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, nonce, key)
    )


def open_sealed(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes = b"") -> bytes:
    """The plaintext of a ChaCha20-Poly1305 ciphertext; SealError unless its tag checks."""
    if len(key) != 32 or len(nonce) != 12:
        raise SealError("ChaCha20-Poly1305 takes a 32-byte key and a 12-byte nonce")
    try:
        return bytes(
            nacl.bindings.crypto_aead_chacha20poly1305_ietf_decrypt(ciphertext, aad, nonce, key)
        )
    except nacl.exceptions.CryptoError:
        raise SealError("the ciphertext or its associated data was altered") from None
