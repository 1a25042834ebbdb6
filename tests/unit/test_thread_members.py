"""A thread's members and generation, decided by its membership events alone."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hearthnet.domain import chat as c
from hearthnet.domain import e2e

CREATOR, ANNA, BERT, CARL = "creator", "anna", "bert", "carl"
THREAD = "t" * 64


def change(lamport: int, author: str, added: bool, member: str) -> c.Change:
    return c.Change(lamport, f"{lamport:064x}", author, added, member)


def test_members_add_the_creator_removes_anyone_leaves() -> None:
    changes = [
        change(1, ANNA, True, CARL),
        change(2, BERT, False, ANNA),  # not the creator: does not count
        change(3, CREATOR, False, BERT),
        change(4, CARL, False, CARL),  # leaves
    ]
    members, generation = c.thread_members(CREATOR, [ANNA, BERT], THREAD, changes)
    assert members == {CREATOR, ANNA}
    assert generation == f"{4:064x}", "every change that counted starts a generation"


def test_outsiders_and_removed_members_change_nothing() -> None:
    changes = [
        change(1, CARL, True, CARL),  # an outsider adds itself
        change(2, CREATOR, False, BERT),
        change(3, BERT, True, CARL),  # removed, then tries to add
        change(4, BERT, False, ANNA),
    ]
    members, generation = c.thread_members(CREATOR, [ANNA, BERT], THREAD, changes)
    assert members == {CREATOR, ANNA}
    assert generation == f"{2:064x}"


def test_a_thread_holds_at_most_its_limit() -> None:
    invited = [f"m{i}" for i in range(c.MAX_THREAD_MEMBERS - 1)]
    members, _ = c.thread_members(CREATOR, invited, THREAD, [change(1, CREATOR, True, CARL)])
    assert len(members) == c.MAX_THREAD_MEMBERS and CARL not in members


Changes = st.lists(
    st.builds(
        change,
        st.integers(1, 20),
        st.sampled_from([CREATOR, ANNA, BERT, CARL]),
        st.booleans(),
        st.sampled_from([CREATOR, ANNA, BERT, CARL]),
    ),
    max_size=12,
    unique_by=lambda ch: ch.event_id,
)


@settings(max_examples=200, deadline=None)
@given(changes=Changes, order=st.randoms())
def test_every_node_decides_alike_whatever_order_the_events_arrived_in(
    changes: list[c.Change], order: object
) -> None:
    shuffled = list(changes)
    order.shuffle(shuffled)  # type: ignore[attr-defined]
    assert c.thread_members(CREATOR, [ANNA], THREAD, shuffled) == c.thread_members(
        CREATOR, [ANNA], THREAD, changes
    )


def test_padding_hides_the_length_within_a_size_class() -> None:
    sizes = {len(e2e.pad(b"x" * n)) for n in range(0, 191)}
    assert sizes == {192}
    assert e2e.unpad(e2e.pad(b"ends with \x80\x00")) == b"ends with \x80\x00"
    for bad in (b"", b"\x00" * 10, b"abc"):
        try:
            e2e.unpad(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} unpadded")
