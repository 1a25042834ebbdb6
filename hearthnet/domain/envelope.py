"""The signed event envelope: canonical bytes, size caps and strict decoding.

The envelope is a msgpack array in a fixed field order. Its encoding is canonical: msgspec
writes every integer and length in its smallest form, and `decode` re-encodes what it read and
refuses any input whose bytes differ, so one event has exactly one byte string and one id.
The signature covers a context tag and the envelope encoded with an empty `sig`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

MAX_EVENT_BYTES = 8 * 1024
MAX_LAMPORT = 2**63 - 1
LAMPORT_HORIZON = 10**6
"""An event whose Lamport value is this far beyond everything seen is refused."""
SIGNING_CONTEXT = b"hearthnet/event/v1\x00"

Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
Prev = Annotated[bytes, msgspec.Meta(max_length=32)]
Signature = Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]
Counter = Annotated[int, msgspec.Meta(ge=1, le=MAX_LAMPORT)]
Millis = Annotated[int, msgspec.Meta(ge=0, le=MAX_LAMPORT)]
TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
EventType = Annotated[str, msgspec.Meta(pattern=TYPE_PATTERN, max_length=96)]
_TYPE = re.compile(TYPE_PATTERN)


class Event(msgspec.Struct, frozen=True, array_like=True):
    """One signed fact in an author's hash-chained feed."""

    v: Literal[1]
    community: Key32
    author: Key32
    seq: Counter
    prev: Prev
    lamport: Counter
    ts: Millis
    type: EventType
    body: bytes
    sig: Signature


class MalformedEvent(ValueError):
    """Bytes that are not one canonical, well-formed envelope."""


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Event)


def encode(event: Event) -> bytes:
    """Return the canonical bytes of an event."""
    return _encoder.encode(event)


def signing_bytes(event: Event) -> bytes:
    """Return what the author signs: the context tag and the envelope with an empty sig."""
    return SIGNING_CONTEXT + _encoder.encode(msgspec.structs.replace(event, sig=b""))


def decode(raw: bytes) -> Event:
    """Decode one envelope strictly: size cap, schema, canonical form and chain-link shape."""
    if len(raw) > MAX_EVENT_BYTES:
        raise MalformedEvent(f"event is {len(raw)} bytes, the limit is {MAX_EVENT_BYTES}")
    try:
        event = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise MalformedEvent(f"invalid envelope: {exc}") from None
    except msgspec.DecodeError as exc:
        raise MalformedEvent(f"not an envelope: {exc}") from None
    if _encoder.encode(event) != raw:
        raise MalformedEvent("envelope is not in canonical form")
    if (event.seq == 1) != (not event.prev):
        raise MalformedEvent("prev must be empty exactly at seq 1")
    if event.prev and len(event.prev) != 32:
        raise MalformedEvent("prev must be a 32-byte event id")
    return event


def unsigned(
    *,
    community: bytes,
    author: bytes,
    seq: int,
    prev: bytes,
    lamport: int,
    ts: int,
    type: str,
    body: bytes,
) -> Event:
    """Build an envelope with an empty signature, ready to be signed."""
    return Event(
        v=1,
        community=community,
        author=author,
        seq=seq,
        prev=prev,
        lamport=lamport,
        ts=ts,
        type=type,
        body=body,
        sig=b"",
    )


def check_own(event: Event, raw: bytes) -> None:
    """Raise MalformedEvent unless an envelope this node built could be decoded anywhere:
    the type's grammar and the size cap (the bytes are canonical by construction)."""
    if len(event.type) > 96 or not _TYPE.match(event.type):
        raise MalformedEvent(f"not an event type: {event.type[:100]!r}")
    if len(raw) > MAX_EVENT_BYTES:
        raise MalformedEvent(f"event is {len(raw)} bytes, the limit is {MAX_EVENT_BYTES}")


def decode_stored(raw: bytes) -> Event:
    """Decode bytes this node already checked on the way in (no canonical re-check)."""
    return _decoder.decode(raw)
