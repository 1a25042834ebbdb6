"""End-to-end encryption's public keys on the log: each node's X25519 identity key, its signed
prekey and its one-time prekeys (X3DH), published as events of its own feed.

The identity key is the X25519 form of the author's Ed25519 key, so anyone can check the
binding; the event's signature signs the prekeys. Private halves never leave the node.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

import msgspec

PREKEYS_PUBLISHED = "e2e.prekeys.published"
SESSION_BROKEN = "e2e.session.broken"
MIN_ONE_TIME = 25
"""A node keeps at least this many one-time prekeys on offer."""
ONE_TIME_BATCH = 50
"""How many it offers after topping up."""
SIGNED_PREKEY_MS = 7 * 24 * 3600 * 1000
"""A signed prekey is replaced after a week."""

Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
KeyId = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class Prekey(msgspec.Struct, frozen=True, kw_only=True):
    """A public X25519 prekey and the id its private half is kept under."""

    id: KeyId
    key: Key32


class PrekeysPublished(msgspec.Struct, frozen=True, kw_only=True):
    """A node's keys for X3DH: its identity key, its current signed prekey, new one-time
    prekeys, and one-time prekeys it no longer offers (retired, still on the log)."""

    identity: Key32
    signed_prekey: Prekey
    one_time: Annotated[list[Prekey], msgspec.Meta(max_length=100)] = []
    retired: Annotated[list[KeyId], msgspec.Meta(max_length=1000)] = []


class SessionBroken(msgspec.Struct, frozen=True, kw_only=True):
    """The author could not take up a session that `peer` opened with it (its one-time
    prekey was used by another, say): the peer opens a new one and sends again."""

    peer: str
    session: Annotated[bytes, msgspec.Meta(min_length=8, max_length=8)]
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""


EVENTS: dict[str, type[msgspec.Struct]] = {
    PREKEYS_PUBLISHED: PrekeysPublished,
    SESSION_BROKEN: SessionBroken,
}


def due(signed_prekey_at: int | None, on_offer: int, now: int) -> tuple[bool, int]:
    """What a node must publish now: a new signed prekey (none yet, or a week old), and how
    many one-time prekeys to add (to ONE_TIME_BATCH, once fewer than MIN_ONE_TIME are left)."""
    rotate = signed_prekey_at is None or now - signed_prekey_at >= SIGNED_PREKEY_MS
    return rotate, ONE_TIME_BATCH - on_offer if on_offer < MIN_ONE_TIME else 0


SAFETY_ITERATIONS = 5200


def _fingerprint(node: str, identity: bytes) -> str:
    digest = hashlib.sha512(b"\x00\x00" + identity + node.encode()).digest()
    for _ in range(SAFETY_ITERATIONS - 1):
        digest = hashlib.sha512(digest + identity).digest()
    return "".join(
        f"{int.from_bytes(digest[i : i + 5], 'big') % 100000:05d}" for i in range(0, 30, 5)
    )


def safety_number(a: str, a_identity: bytes, b: str, b_identity: bytes) -> str:
    """The 60 digits two members compare in person to know that each encrypts to the other's
    real identity key (Signal's numeric fingerprint: 5,200 rounds of SHA-512 over each party's
    key and id, the lower fingerprint first, so both sides show the same number)."""
    halves = sorted([_fingerprint(a, a_identity), _fingerprint(b, b_identity)])
    digits = "".join(halves)
    return " ".join(digits[i : i + 5] for i in range(0, 60, 5))


PADDED_SIZES = (192, 512, 1536, 4096, 7040)
"""A private body's plaintext is padded to the first of these that holds it, so that its length
tells little (ISO/IEC 7816-4 padding: 0x80, then zeros)."""


class TooLong(ValueError):
    """A private body that does not fit in an event."""


def pad(plaintext: bytes) -> bytes:
    """The plaintext padded to its size class."""
    for size in PADDED_SIZES:
        if len(plaintext) < size:
            return plaintext + b"\x80" + bytes(size - len(plaintext) - 1)
    raise TooLong(f"{len(plaintext)} bytes; a private body holds at most {PADDED_SIZES[-1] - 1}")


def unpad(padded: bytes) -> bytes:
    """The plaintext of a padded body; ValueError when the padding is not well formed."""
    stripped = padded.rstrip(b"\x00")
    if not stripped.endswith(b"\x80"):
        raise ValueError("the body's padding is not well formed")
    return stripped[:-1]
