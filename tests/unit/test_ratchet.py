"""X3DH, the Double Ratchet and sender keys: what a replicated log does to them (reordering,
duplication, loss), tampering, and the bounds."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hearthnet.adapters import ratchet
from hearthnet.adapters.crypto import SealError, x25519_public
from hearthnet.domain.ports import Bundle


def test_hkdf_matches_rfc_5869_case_1() -> None:
    okm = ratchet.hkdf(bytes(range(13)), b"\x0b" * 22, bytes(range(0xF0, 0xFA)), 42)
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def pair(one_time: bool = True) -> tuple[ratchet.Session, ratchet.Session, ratchet.Header]:
    """Alice opens a session to Bob and sends one message; Bob takes it up."""
    alice_ik, bob_ik, bob_spk, bob_opk = (os.urandom(32) for _ in range(4))
    bundle = Bundle(
        identity=x25519_public(bob_ik),
        signed_prekey_id=1,
        signed_prekey=x25519_public(bob_spk),
        one_time_id=7 if one_time else 0,
        one_time=x25519_public(bob_opk) if one_time else b"",
    )
    alice = ratchet.initiate(alice_ik, bundle)
    alice, header, ct = ratchet.encrypt(alice, b"hello")
    assert header.init is not None
    bob = ratchet.respond(
        bob_ik, bob_spk, bob_opk if one_time else None, x25519_public(alice_ik), header.init
    )
    bob, plaintext = ratchet.decrypt(bob, header, ct)
    assert plaintext == b"hello"
    return alice, bob, header


@pytest.mark.parametrize("one_time", [True, False])
def test_both_sides_agree_and_talk_both_ways(one_time: bool) -> None:
    alice, bob, _ = pair(one_time)
    bob, header, ct = ratchet.encrypt(bob, b"hi alice")
    alice, plaintext = ratchet.decrypt(alice, header, ct)
    assert plaintext == b"hi alice"
    assert alice.init is None, "an answered session stops sending X3DH's first message"
    alice, header, ct = ratchet.encrypt(alice, b"again")
    assert header.init is None
    assert ratchet.decrypt(bob, header, ct)[1] == b"again"


def test_a_wrong_one_time_prekey_opens_nothing() -> None:
    alice_ik, bob_ik, bob_spk, bob_opk = (os.urandom(32) for _ in range(4))
    bundle = Bundle(
        identity=x25519_public(bob_ik),
        signed_prekey_id=1,
        signed_prekey=x25519_public(bob_spk),
        one_time_id=7,
        one_time=x25519_public(bob_opk),
    )
    _, header, ct = ratchet.encrypt(ratchet.initiate(alice_ik, bundle), b"x")
    assert header.init is not None
    bob = ratchet.respond(bob_ik, bob_spk, None, x25519_public(alice_ik), header.init)
    with pytest.raises(SealError):
        ratchet.decrypt(bob, header, ct)


def test_a_tampered_message_is_refused_and_changes_nothing() -> None:
    alice, bob, _ = pair()
    alice, header, ct = ratchet.encrypt(alice, b"pay 10")
    tampered = ct[:-1] + bytes([ct[-1] ^ 1])
    with pytest.raises(SealError, match="altered"):
        ratchet.decrypt(bob, header, tampered)
    forged = ratchet.Header(session=header.session, dh=header.dh, previous=0, n=header.n + 1)
    with pytest.raises(SealError):
        ratchet.decrypt(bob, forged, ct)
    assert ratchet.decrypt(bob, header, ct)[1] == b"pay 10"


def test_a_replayed_message_is_refused() -> None:
    alice, bob, _ = pair()
    alice, header, ct = ratchet.encrypt(alice, b"once")
    bob, _ = ratchet.decrypt(bob, header, ct)
    with pytest.raises(SealError, match="opened already"):
        ratchet.decrypt(bob, header, ct)


def test_the_forward_jump_and_the_skipped_keys_are_bounded() -> None:
    alice, bob, _ = pair()
    far = alice
    for _ in range(ratchet.MAX_SKIP + 2):
        far, header, ct = ratchet.encrypt(far, b"lost")
    with pytest.raises(SealError, match="ahead"):
        ratchet.decrypt(bob, header, ct)
    for _ in range(3):  # three chains of lost messages, each within the jump
        for _ in range(ratchet.MAX_SKIP - 1):
            alice, _, _ = ratchet.encrypt(alice, b"lost")
        alice, header, ct = ratchet.encrypt(alice, b"seen")
        bob, _ = ratchet.decrypt(bob, header, ct)
        bob, header, ct = ratchet.encrypt(bob, b"reply")
        alice, _ = ratchet.decrypt(alice, header, ct)
    assert len(bob.skipped) == ratchet.MAX_STORED, "the oldest skipped keys were dropped"


def test_compromise_recovery_a_stolen_state_reads_nothing_after_a_round_trip() -> None:
    alice, bob, _ = pair()
    stolen = ratchet.Session(**{f: getattr(bob, f) for f in bob.__struct_fields__})
    bob, header, ct = ratchet.encrypt(bob, b"1")
    alice, _ = ratchet.decrypt(alice, header, ct)
    alice, header, ct = ratchet.encrypt(alice, b"after healing")
    bob, _ = ratchet.decrypt(bob, header, ct)
    bob, header, ct = ratchet.encrypt(bob, b"x")
    alice, _ = ratchet.decrypt(alice, header, ct)
    alice, header, ct = ratchet.encrypt(alice, b"secret")
    assert ratchet.decrypt(bob, header, ct)[1] == b"secret"
    with pytest.raises(SealError):
        ratchet.decrypt(stolen, header, ct)


Plan = st.lists(st.tuples(st.sampled_from("ab"), st.integers(0, 3)), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(plan=Plan, data=st.data())
def test_every_delivered_message_opens_exactly_once(
    plan: list[tuple[str, int]], data: st.DataObject
) -> None:
    """Both sides write in turns (`plan`: who, how many); what they write reaches the other
    reordered, duplicated and partly lost. Each message that arrives opens once, and only
    once, with the text it was sent with."""
    alice, bob, _ = pair()
    sides = {"a": alice, "b": bob}
    outbox: dict[str, list[tuple[ratchet.Header, bytes, bytes]]] = {"a": [], "b": []}
    for who, count in plan:
        for _ in range(count):
            text = os.urandom(8)
            sides[who], header, ct = ratchet.encrypt(sides[who], text)
            outbox[who].append((header, ct, text))
        other = "b" if who == "a" else "a"
        mail = outbox[who]
        delivered = data.draw(
            st.lists(st.sampled_from(mail), max_size=2 * len(mail)) if mail else st.just([])
        )
        opened: set[bytes] = set()
        for header, ct, text in delivered:
            try:
                sides[other], plaintext = ratchet.decrypt(sides[other], header, ct)
            except SealError as exc:
                assert text in opened, f"a first delivery did not open: {exc}"
                continue
            assert plaintext == text and text not in opened
            opened.add(text)
        outbox[who] = []


def test_sender_keys_open_out_of_order_once_each() -> None:
    chain = ratchet.new_sender_chain()
    copy = ratchet.SenderChain(chain=chain.chain, n=chain.n)
    sealed = []
    for i in range(5):
        chain, n, ct = ratchet.sender_encrypt(chain, f"m{i}".encode(), b"ad")
        sealed.append((n, ct))
    for n, ct in [sealed[3], sealed[0], sealed[4], sealed[1]]:
        copy, plaintext = ratchet.sender_decrypt(copy, n, ct, b"ad")
        assert plaintext == f"m{n}".encode()
    with pytest.raises(SealError, match="opened already"):
        ratchet.sender_decrypt(copy, *sealed[3], b"ad")
    with pytest.raises(SealError, match="altered"):
        ratchet.sender_decrypt(copy, sealed[2][0], sealed[2][1], b"other ad")
    assert ratchet.sender_decrypt(copy, *sealed[2], b"ad")[1] == b"m2"


@settings(max_examples=60, deadline=None)
@given(count=st.integers(1, 30), data=st.data())
def test_every_delivered_thread_message_opens_exactly_once(count: int, data: st.DataObject) -> None:
    """A member's sender chain, its messages reordered, duplicated and partly lost."""
    chain = ratchet.new_sender_chain()
    copy = ratchet.SenderChain(chain=chain.chain, n=chain.n)
    sent = []
    for _ in range(count):
        text = os.urandom(8)
        chain, n, ct = ratchet.sender_encrypt(chain, text, b"thread")
        sent.append((n, ct, text))
    opened: set[bytes] = set()
    for n, ct, text in data.draw(st.lists(st.sampled_from(sent), max_size=2 * count)):
        try:
            copy, plaintext = ratchet.sender_decrypt(copy, n, ct, b"thread")
        except SealError:
            assert text in opened, "a first delivery did not open"
            continue
        assert plaintext == text and text not in opened
        opened.add(text)
