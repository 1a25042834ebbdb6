"""Event bodies: msgpack maps, so that any node can show a body it has no schema for."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from hearthnet.domain.community import EVENTS

T = TypeVar("T", bound=msgspec.Struct)

_encoder = msgspec.msgpack.Encoder()


def encode_body(body: msgspec.Struct) -> bytes:
    """Return the msgpack bytes of a body struct."""
    return _encoder.encode(body)


def decode_body(raw: bytes, body_type: type[T]) -> T | None:
    """Decode a body into its struct, or None when it does not fit (projections skip it)."""
    try:
        return msgspec.msgpack.decode(raw, type=body_type)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def body_for_display(event_type: str, raw: bytes) -> Any:
    """Return a body as plain data: through its schema when known, else as generic msgpack."""
    known = EVENTS.get(event_type)
    if known is not None:
        body = decode_body(raw, known)
        if body is not None:
            return msgspec.to_builtins(body)
    try:
        return msgspec.to_builtins(msgspec.msgpack.decode(raw), enc_hook=repr)
    except (msgspec.DecodeError, TypeError):
        return {"_undecodable_bytes": len(raw)}
