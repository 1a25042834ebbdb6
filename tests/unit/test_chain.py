"""Where an event fits in its author's feed, and what proves a fork."""

from __future__ import annotations

from hearthnet.adapters.crypto import blake3_256
from hearthnet.domain import envelope
from hearthnet.domain.chain import Head, Verdict, place, proves_fork
from tests.factories import Author, signer


def _feed(n: int) -> tuple[Author, list[bytes]]:
    key = signer(3)
    a = Author(key, key.public_key)
    return a, [a.event() for _ in range(n)]


def _parts(raw: bytes) -> tuple[envelope.Event, bytes]:
    return envelope.decode(raw), blake3_256(raw)


def test_verdicts() -> None:
    _, raws = _feed(3)
    e1, i1 = _parts(raws[0])
    e2, i2 = _parts(raws[1])
    e3, i3 = _parts(raws[2])
    assert place(e1, i1, None, None) is Verdict.APPEND
    assert place(e2, i2, None, None) is Verdict.EARLY
    assert place(e2, i2, Head(1, i1, e1.lamport), None) is Verdict.APPEND
    assert place(e1, i1, Head(1, i1, e1.lamport), None) is Verdict.BEHIND_HEAD
    assert place(e3, i3, Head(1, i1, e1.lamport), None) is Verdict.EARLY
    assert place(e2, i2, Head(1, b"\x00" * 32, e1.lamport), None) is Verdict.FORK
    assert place(e2, i2, Head(1, i1, e2.lamport), None) is Verdict.STALE_LAMPORT
    assert place(e2, i2, Head(1, i1, e1.lamport), 2) is Verdict.FROZEN
    assert place(e1, i1, None, 2) is Verdict.APPEND


def test_fork_proofs() -> None:
    a, raws = _feed(2)
    e1, i1 = _parts(raws[0])
    e2, i2 = _parts(raws[1])
    other1, o1 = _parts(a.fork(1, b""))
    other2, o2 = _parts(a.fork(2, b"\x07" * 32))
    assert proves_fork(e1, i1, other1, o1) == 1  # same seq, different events
    assert proves_fork(e1, i1, other2, o2) == 1  # seq 2 that does not follow our seq 1
    assert proves_fork(e1, i1, e2, i2) is None  # an honest chain
    assert proves_fork(e1, i1, e1, i1) is None  # the same event twice
    stranger, s1 = _parts(Author(signer(9), a.community).event())
    assert proves_fork(e1, i1, stranger, s1) is None  # two authors never fork each other
