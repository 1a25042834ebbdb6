"""Range-based set reconciliation: exact differences, few round trips, hostile input."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearthnet.sync.negentropy import (
    INFINITY,
    Negentropy,
    NegentropyError,
    Storage,
    encode_varint,
)
from tests.sync_helpers import converge


def _items(n: int, seed: int, ts_range: int = 10**6) -> list[tuple[int, bytes]]:
    rng = random.Random(seed)
    return [(rng.randrange(ts_range), rng.randbytes(32)) for _ in range(n)]


def test_varint() -> None:
    assert encode_varint(0) == b"\x00"
    assert encode_varint(127) == b"\x7f"
    assert encode_varint(128) == b"\x81\x00"
    assert encode_varint(2**64 - 1) == b"\x81" + b"\xff" * 8 + b"\x7f"


@settings(max_examples=60, deadline=None)
@given(
    shared=st.integers(0, 400),
    only_a=st.integers(0, 60),
    only_b=st.integers(0, 60),
    seed=st.integers(0, 2**32),
    ts_range=st.sampled_from([3, 1000, 10**9]),
    limit=st.sampled_from([4096, 60_000]),
)
def test_finds_exactly_the_symmetric_difference(
    shared: int, only_a: int, only_b: int, seed: int, ts_range: int, limit: int
) -> None:
    common = _items(shared, seed, ts_range)
    a_extra = _items(only_a, seed + 1, ts_range)
    b_extra = _items(only_b, seed + 2, ts_range)
    a = Negentropy(Storage(common + a_extra), limit)
    b = Negentropy(Storage(common + b_extra), limit)
    found_a, found_b, _, _ = converge(a, b)
    assert found_a == {i for _, i in a_extra}
    assert found_b == {i for _, i in b_extra}


def test_in_sync_costs_one_small_round_whatever_the_size() -> None:
    items = _items(100_000, 7)
    a, b = Negentropy(Storage(items)), Negentropy(Storage(items))
    only_a, only_b, rounds, sent = converge(a, b)
    assert not only_a and not only_b and rounds == 1
    assert sent < 512


def test_a_missing_tail_costs_about_one_id_per_event() -> None:
    shared = [(t, random.Random(t).randbytes(32)) for t in range(1, 20_001)]
    tail = [(t, random.Random(t).randbytes(32)) for t in range(20_001, 22_001)]
    a, b = Negentropy(Storage(shared + tail)), Negentropy(Storage(shared))
    only_a, _, rounds, sent = converge(a, b)
    assert len(only_a) == 2000 and rounds <= 3
    assert sent < 2000 * 32 * 1.10


def test_frame_limit_is_respected_and_still_converges() -> None:
    a_items, b_items = _items(3000, 1), _items(3000, 2)
    a, b = Negentropy(Storage(a_items), 4096), Negentropy(Storage(b_items), 4096)
    message = a.initiate()
    assert len(message) <= 4096
    reply = b.reconcile(message).reply
    assert reply is not None and len(reply) <= 4096
    only_a, only_b, _, _ = converge(
        Negentropy(Storage(a_items), 4096), Negentropy(Storage(b_items), 4096), max_rounds=500
    )
    assert len(only_a) == len(only_b) == 3000


def test_unsupported_version_is_answered_with_ours() -> None:
    party = Negentropy(Storage([]))
    assert party.reconcile(b"\x62\x00\x00").reply == b"\x61"


@pytest.mark.parametrize(
    "message",
    [
        b"",
        b"\x00",
        b"\x61\x01",
        b"\x61\x00\x21" + b"\x00" * 40,
        b"\x61\x00\x00\x07",
        b"\x61\x00\x00\x01\x00",
        b"\x61\x00\x00\x02\xff\xff\xff\x7f",
        b"\x61" + b"\xff" * 12,
        b"\x61\x05\x00\x00\x02\x00\x00\x00",
    ],
)
def test_malformed_messages_are_clear_errors(message: bytes) -> None:
    with pytest.raises(NegentropyError):
        Negentropy(Storage(_items(50, 3))).reconcile(message)


def test_items_are_validated() -> None:
    with pytest.raises(ValueError):
        Storage([(INFINITY, b"\x00" * 32)])
    with pytest.raises(ValueError):
        Storage([(1, b"\x00" * 31)])
    with pytest.raises(ValueError):
        Negentropy(Storage([]), 1000)


def test_a_message_up_to_the_frame_cap_is_answered_and_an_id_list_with_an_id_list() -> None:
    rng = random.Random(5)
    theirs = sorted((rng.randrange(100), rng.randbytes(32)) for _ in range(600))
    ours = [(t, rng.randbytes(32)) for t, _ in theirs[:40]]
    message = bytes([0x61]) + encode_varint(0) + encode_varint(0) + encode_varint(2)
    message += encode_varint(len(theirs)) + b"".join(i for _, i in theirs)
    assert len(message) > 4 * 4096
    step = Negentropy(Storage(ours), 4096).reconcile(message)
    assert step.reply is not None and not step.have and not step.need
    answered = Negentropy(Storage(theirs), 4096)
    answered.initiate()
    back = answered.reconcile(step.reply)
    assert set(back.need) == {i for _, i in ours}
