"""Driving two reconciliation parties to the end, whoever implements them."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class Party(Protocol):
    def initiate(self) -> bytes: ...
    def reconcile(self, message: bytes) -> tuple[bytes | None, list[bytes], list[bytes]]: ...


def converge(a: Party, b: Party, max_rounds: int = 50) -> tuple[set[bytes], set[bytes], int, int]:
    """Run a reconciliation; return (ids only a has, ids only b has, round trips, bytes sent)."""
    only_a: set[bytes] = set()
    only_b: set[bytes] = set()
    message: bytes | None = a.initiate()
    sent, rounds = len(message), 0
    while message is not None and rounds < max_rounds:
        rounds += 1
        reply, have, need = b.reconcile(message)
        only_b.update(have)
        only_a.update(need)
        if reply is None:
            break
        sent += len(reply)
        message, have, need = a.reconcile(reply)
        only_a.update(have)
        only_b.update(need)
        if message is not None:
            sent += len(message)
    assert rounds < max_rounds, "reconciliation did not terminate"
    return only_a, only_b, rounds, sent


class Learned(NamedTuple):
    """What one party learned from the messages it received: ids only it has, ids it lacks."""

    have: set[bytes]
    need: set[bytes]


def learned(a: Party, b: Party, max_rounds: int = 50) -> tuple[Learned, Learned]:
    """Run a reconciliation with a initiating; return what each side learned on its own."""
    of_a, of_b = Learned(set(), set()), Learned(set(), set())
    message: bytes | None = a.initiate()
    for _ in range(max_rounds):
        assert message is not None
        reply, have, need = b.reconcile(message)
        of_b.have.update(have)
        of_b.need.update(need)
        if reply is None:
            return of_a, of_b
        message, have, need = a.reconcile(reply)
        of_a.have.update(have)
        of_a.need.update(need)
        if message is None:
            return of_a, of_b
    raise AssertionError("reconciliation did not terminate")
