"""What nodes say to each other to reconcile: msgpack frames with hard limits."""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec

T = TypeVar("T")

FRAME_LIMIT = 64 * 1024
"""No sync frame, in either direction, is larger than this."""
MAX_IDS = 1800
"""Ids or prefixes per fetch request: 1800 x 32 bytes stay under the frame limit."""
RECONCILE_LIMIT = 60_000
"""The negentropy frame size limit we use (under FRAME_LIMIT, with room for id lists)."""

PREFIX = 8
"""Differences travel as 8-byte id prefixes: a quarter of the bytes, and the receiver checks
every event it gets against the ids it can compute itself."""
Key = Annotated[bytes, msgspec.Meta(min_length=PREFIX, max_length=32)]


class ReconcileReply(msgspec.Struct, array_like=True, frozen=True):
    """The responder's next negentropy message and the differences it learned this step."""

    message: bytes | None
    have: list[Key]
    """Ids the responder holds and the initiator lacks: the initiator fetches them."""
    need: list[Key]
    """Ids the initiator holds and the responder lacks: the initiator pushes them."""


class Fetch(msgspec.Struct, array_like=True, frozen=True):
    """Ask for events (and fork proofs) by reconciled-set id."""

    ids: Annotated[list[Key], msgspec.Meta(max_length=MAX_IDS)]


class Bundle(msgspec.Struct, array_like=True, frozen=True):
    """Signed events and fork proofs, as stored."""

    events: list[bytes] = []
    proofs: list[bytes] = []


class PushReply(msgspec.Struct, array_like=True, frozen=True):
    """What the receiver did with a bundle."""

    stored: int
    duplicates: int
    rejected: int
    waiting: int = 0
    """Events the receiver holds back until their missing predecessors arrive."""


def encode(message: msgspec.Struct) -> bytes:
    """Encode a frame."""
    return msgspec.msgpack.encode(message)


class FrameError(ValueError):
    """A frame that is too large or does not decode."""


def decode(data: bytes, kind: type[T]) -> T:
    """Decode a frame of a known kind, refusing oversized or malformed input."""
    if len(data) > FRAME_LIMIT:
        raise FrameError(f"frame of {len(data)} bytes exceeds {FRAME_LIMIT}")
    try:
        return msgspec.msgpack.decode(data, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise FrameError(f"malformed {kind.__name__} frame: {exc}") from None


def bundles(events: list[bytes], proofs: list[bytes]) -> list[Bundle]:
    """Split events and proofs into bundles that each fit in one frame."""
    out: list[Bundle] = []
    batch: list[bytes] = []
    size = 16
    for raw in events:
        if batch and size + len(raw) + 8 > FRAME_LIMIT:
            out.append(Bundle(events=batch))
            batch, size = [], 16
        batch.append(raw)
        size += len(raw) + 8
    if batch:
        out.append(Bundle(events=batch))
    out += [Bundle(proofs=[p]) for p in proofs]
    return out
