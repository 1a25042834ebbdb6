"""The envelope: canonical bytes, strict decoding, size caps, signatures and ids."""

from __future__ import annotations

import msgspec
import pytest

from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.domain import envelope
from hearthnet.domain.envelope import MAX_EVENT_BYTES, MalformedEvent
from tests.factories import Author, sign, signer


def _author() -> Author:
    key = signer(1)
    return Author(key, key.public_key)


def test_round_trip_is_byte_exact_and_signature_verifies() -> None:
    raw = _author().event("market.post.created", b"\x81\xa1a\x01")
    event = envelope.decode(raw)
    assert envelope.encode(event) == raw
    assert event.seq == 1 and event.prev == b"" and event.type == "market.post.created"
    assert verify_ed25519(event.author, envelope.signing_bytes(event), event.sig)


def test_the_signature_covers_every_field() -> None:
    a = _author()
    event = envelope.decode(a.event())
    for field, value in [
        ("lamport", 99),
        ("ts", 5),
        ("type", "x.y"),
        ("body", b"\x81"),
        ("community", b"\x01" * 32),
        ("seq", 1),
    ]:
        changed = msgspec.structs.replace(event, **{field: value})
        if changed == event:
            continue
        assert not verify_ed25519(event.author, envelope.signing_bytes(changed), event.sig), field


def test_event_id_is_blake3_of_the_signed_bytes() -> None:
    raw = _author().event()
    assert blake3_256(raw).hex() == __import__("blake3").blake3(raw).hexdigest()


def test_non_canonical_encoding_is_rejected() -> None:
    raw = Author(signer(1), b"\x05" * 32).event()
    event = envelope.decode(raw)
    # Re-encode seq=1 as a uint16 (0xcd 0x00 0x01) instead of a fixint: same value, other bytes.
    fields = list(msgspec.msgpack.decode(raw))
    assert fields[3] == 1
    head = raw[: raw.index(event.author) + 32]
    tampered = head + b"\xcd\x00\x01" + raw[len(head) + 1 :]
    assert msgspec.msgpack.decode(tampered) == fields
    with pytest.raises(MalformedEvent, match="canonical"):
        envelope.decode(tampered)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00",
        b"\x9a",
        b"\xc1",
        b"garbage" * 10,
        msgspec.msgpack.encode([1, 2, 3]),
        msgspec.msgpack.encode({"v": 1}),
    ],
)
def test_garbage_is_a_clear_error(raw: bytes) -> None:
    with pytest.raises(MalformedEvent):
        envelope.decode(raw)


def test_oversized_event_is_rejected_before_decoding() -> None:
    raw = _author().event(body=b"\x00" * (MAX_EVENT_BYTES + 1))
    with pytest.raises(MalformedEvent, match="limit"):
        envelope.decode(raw)


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"seq": 2, "prev": b""}, "prev must be empty exactly at seq 1"),
        ({"seq": 1, "prev": b"\x01" * 32}, "prev must be empty exactly at seq 1"),
        ({"seq": 2, "prev": b"\x01" * 5}, "32-byte"),
        ({"type": "NoDots"}, "invalid envelope"),
        ({"seq": 0}, "invalid envelope"),
        ({"lamport": 0}, "invalid envelope"),
        ({"author": b"\x01" * 31}, "invalid envelope"),
    ],
)
def test_malformed_fields_are_rejected(over: dict[str, object], reason: str) -> None:
    key = signer(2)
    fields: dict[str, object] = dict(
        community=key.public_key,
        author=key.public_key,
        seq=1,
        prev=b"",
        lamport=1,
        ts=0,
        type="a.b",
        body=b"",
    )
    fields.update(over)
    raw = sign(key, envelope.unsigned(**fields))  # type: ignore[arg-type]
    with pytest.raises(MalformedEvent, match=reason):
        envelope.decode(raw)


def test_signing_input_is_domain_separated() -> None:
    event = envelope.decode(_author().event())
    assert envelope.signing_bytes(event).startswith(b"hearthnet/event/v1\x00")
