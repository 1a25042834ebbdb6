"""The vocabulary: node ids, event ids and their text forms."""

from __future__ import annotations

import base64
import binascii
import functools
import unicodedata
import urllib.parse
from datetime import UTC, datetime
from typing import Annotated, NewType

import msgspec

PublicKey = NewType("PublicKey", bytes)
"""A raw 32-byte Ed25519 public key: the identity of a node."""

EventId = NewType("EventId", bytes)
"""BLAKE3-256 of an event's encoded bytes (32 bytes)."""

MAX_TS_MS = 253_402_300_799_999
"""9999-12-31T23:59:59.999Z: every wall-clock time a node shows or computes with fits."""
TimeMs = Annotated[int, msgspec.Meta(ge=0, le=MAX_TS_MS)]
"""A wall-clock time in ms since the epoch, within the calendar every node can show."""
Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
"""A small non-negative number (thresholds, lifetimes in seconds)."""
FileId = Annotated[str, msgspec.Meta(pattern=r"^blake3:[0-9a-f]{64}$")]
"""A file named by its content: `blake3:` and the BLAKE3 of its manifest."""

NODE_ID_PREFIX = "ed25519:"
KEY_BYTES = 32
ID_BYTES = 32
SIG_BYTES = 64


class InvalidIdentifier(ValueError):
    """A node id or event id in text form that does not parse."""


def b64url(data: bytes) -> str:
    """Encode bytes as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Decode base64url with or without padding; raise InvalidIdentifier on bad input."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidIdentifier(f"not base64url: {text[:40]!r}") from exc


@functools.lru_cache(maxsize=65536)
def node_id(key: bytes) -> str:
    """Return the full node id `ed25519:<base64url 32 bytes>` of a public key (cached: folds
    name the same few authors over and over)."""
    return NODE_ID_PREFIX + b64url(key)


def parse_node_id(text: str) -> PublicKey:
    """Return the public key of a full node id, or raise InvalidIdentifier."""
    if not text.startswith(NODE_ID_PREFIX):
        raise InvalidIdentifier(f"node id must start with {NODE_ID_PREFIX!r}: {text[:60]!r}")
    key = unb64url(text[len(NODE_ID_PREFIX) :])
    if len(key) != KEY_BYTES or node_id(key) != text:
        raise InvalidIdentifier(f"node id must carry exactly 32 bytes: {text[:60]!r}")
    return PublicKey(key)


def short_node_id(key: bytes) -> str:
    """Return the display form `ed25519:XXXX-XXXX-XXXX-X` (base32 of the first 8 bytes)."""
    text = base64.b32encode(key[:8]).decode("ascii").rstrip("=")
    return NODE_ID_PREFIX + "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def event_id_hex(eid: bytes) -> str:
    """Return the 64-hex-digit text form of an event id."""
    return eid.hex()


def parse_event_id_prefix(text: str) -> bytes:
    """Return the bytes of a full or abbreviated hex event id (at least 4 hex digits)."""
    text = text.removeprefix("blake3:").lower()
    if not 4 <= len(text) <= 2 * ID_BYTES or len(text) % 2:
        raise InvalidIdentifier("an event id is 4 to 64 hex digits, an even number")
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise InvalidIdentifier(f"not hex: {text!r}") from exc


def _host_ok(host: str) -> bool:
    """Letters, digits and marks (any script), dots, hyphens; IPv6 brackets and colons."""
    return bool(host) and all(
        (c.isascii() and (c.isalnum() or c in ".-_:[]"))
        or (not c.isascii() and unicodedata.category(c)[0] in "LMN")
        for c in host
    )


def parse_peer_url(text: str) -> str:
    """Return a peer's base URL (`http[s]://host[:port]`, no trailing slash) or raise
    InvalidIdentifier: peers, invites and manifests hand us URLs we must not trust."""
    text = text.strip().rstrip("/")
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
        host = parts.hostname or ""
        host.encode("idna")
    except (ValueError, UnicodeError) as exc:
        raise InvalidIdentifier(f"not a peer URL: {text[:80]!r}") from exc
    if parts.scheme not in ("http", "https") or not _host_ok(host) or len(text) > 300:
        raise InvalidIdentifier(f"a peer URL is http(s)://host[:port]: {text[:80]!r}")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise InvalidIdentifier(f"a peer URL is http(s)://host[:port], no path: {text[:80]!r}")
    if port == 0:
        raise InvalidIdentifier(f"a peer URL is http(s)://host[:port]: {text[:80]!r}")
    return text


def format_ms(ts: int, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Show a wall-clock time in UTC; one outside the calendar shows as its raw number."""
    try:
        return datetime.fromtimestamp(ts / 1000, UTC).strftime(pattern)
    except (ValueError, OverflowError, OSError):
        return f"{ts} ms"
