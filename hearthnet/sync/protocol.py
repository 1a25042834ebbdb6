"""What nodes say to each other to reconcile: msgpack frames with hard limits."""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec

T = TypeVar("T")

FRAME_LIMIT = 64 * 1024
"""No sync frame, in either direction, is larger than this."""
RECONCILE_LIMIT = 48_000
"""The negentropy frame size limit we use: under FRAME_LIMIT, with room for key lists."""

COMPACT_HEADER = "x-hearthnet-reconcile"
"""A reconcile request with this header set to `compact` gets the differences as key prefixes
instead of the reference's echoed IdLists (both ends are HearthNet nodes)."""

SCOPE_HEADER = "x-hearthnet-scope"
"""A reconcile request with this header set to `priority` reconciles only the events that
travel first (alerts, their co-signatures and answers, the roles behind them)."""

PREFIX = 6
"""Differences travel as 6-byte id prefixes, packed end to end: a fifth of the bytes of whole
ids. A prefix that matches several events fetches them all; the receiver verifies each."""
Keys = Annotated[bytes, msgspec.Meta(max_length=FRAME_LIMIT - 64)]


class ReconcileReply(msgspec.Struct, array_like=True, frozen=True):
    """The responder's next negentropy message and the differences it learned this step."""

    message: bytes | None
    have: Keys
    """Keys of what the responder holds and the initiator lacks: the initiator fetches them."""
    need: Keys
    """Keys of what the initiator holds and the responder lacks: the initiator pushes them."""
    complete: bool = True
    """False when the key lists did not fit in the frame: another pass will find the rest."""


class Fetch(msgspec.Struct, array_like=True, frozen=True):
    """Ask for events (and fork proofs) by key; the answer holds what fits in one frame."""

    keys: Keys


def join_keys(keys: list[bytes]) -> bytes:
    """Pack keys end to end."""
    return b"".join(keys)


def split_keys(packed: bytes) -> list[bytes]:
    """Unpack keys, refusing a length that is not a whole number of keys."""
    if len(packed) % PREFIX:
        raise FrameError(f"key list of {len(packed)} bytes is not a multiple of {PREFIX}")
    return [packed[i : i + PREFIX] for i in range(0, len(packed), PREFIX)]


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


class FrameError(ValueError):
    """A frame that is too large or does not decode."""


def encode(message: msgspec.Struct) -> bytes:
    """Encode a frame."""
    return msgspec.msgpack.encode(message)


def decode(data: bytes, kind: type[T]) -> T:
    """Decode a frame of a known kind, refusing oversized or malformed input."""
    if len(data) > FRAME_LIMIT:
        raise FrameError(f"frame of {len(data)} bytes exceeds {FRAME_LIMIT}")
    try:
        return msgspec.msgpack.decode(data, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise FrameError(f"malformed {kind.__name__} frame: {exc}") from None


def first_frame(events: list[bytes], proofs: list[bytes]) -> Bundle:
    """Return as many events (then proofs) as fit in one frame."""
    taken: list[bytes] = []
    size = 16
    for raw in events:
        if taken and size + len(raw) + 8 > FRAME_LIMIT:
            return Bundle(events=taken)
        taken.append(raw)
        size += len(raw) + 8
    room = [p for p in proofs if size + len(p) + 8 <= FRAME_LIMIT]
    return Bundle(events=taken, proofs=room[:1] if taken else proofs[:1])


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
