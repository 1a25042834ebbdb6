"""Our reconciliation against nostr-tools' (npm, nip77) through a small Node bridge."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hearthnet.sync.negentropy import Negentropy, Reconciliation, Storage
from tests.sync_helpers import learned

if TYPE_CHECKING:
    from collections.abc import Iterator

BRIDGE = Path(__file__).resolve().parents[1] / "interop" / "negentropy_bridge.mjs"


class NodeParty:
    """A nostr-tools Negentropy party in a node process."""

    def __init__(
        self, process: subprocess.Popen[str], items: list[tuple[int, bytes]], limit: int
    ) -> None:
        self.process = process
        self._call({"op": "init", "items": [[t, i.hex()] for t, i in items], "limit": limit})

    def _call(self, cmd: dict[str, object]) -> dict[str, object]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(cmd) + "\n")
        self.process.stdin.flush()
        out: dict[str, object] = json.loads(self.process.stdout.readline())
        assert "error" not in out, out
        return out

    def initiate(self) -> bytes:
        return bytes.fromhex(str(self._call({"op": "initiate"})["msg"]))

    def reconcile(self, message: bytes) -> Reconciliation:
        out = self._call({"op": "reconcile", "msg": message.hex()})
        reply = out["reply"]
        return Reconciliation(
            bytes.fromhex(str(reply)) if reply is not None else None,
            [bytes.fromhex(x) for x in out["have"]],  # type: ignore[attr-defined]
            [bytes.fromhex(x) for x in out["need"]],  # type: ignore[attr-defined]
        )


@pytest.fixture(scope="module")
def node() -> Iterator[subprocess.Popen[str]]:
    with subprocess.Popen(
        ["node", str(BRIDGE)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as process:
        yield process
        assert process.stdin is not None
        process.stdin.close()


def _sets(seed: int, shared: int, a: int, b: int) -> tuple[list[tuple[int, bytes]], ...]:
    rng = random.Random(seed)
    ts = rng.choice([5, 1000, 10**9])

    def make(n: int) -> list[tuple[int, bytes]]:
        return [(rng.randrange(ts), rng.randbytes(32)) for _ in range(n)]

    common = make(shared)
    return common, make(a), make(b)


CASES = [
    (
        seed,
        *random.Random(seed).choice(
            [(0, 5, 0), (300, 40, 3), (2000, 0, 700), (5000, 200, 200), (40, 0, 0)]
        ),
    )
    for seed in range(12)
]


@pytest.mark.parametrize("limit", [4096, 60_000])
@pytest.mark.parametrize(("seed", "shared", "a", "b"), CASES)
def test_their_initiator_learns_every_difference_from_our_replies(
    node: subprocess.Popen[str], limit: int, seed: int, shared: int, a: int, b: int
) -> None:
    common, ours_only, theirs_only = _sets(seed, shared, a, b)
    ours = Negentropy(Storage(common + ours_only), limit)
    theirs = NodeParty(node, common + theirs_only, limit)
    their_view, our_view = learned(theirs, ours, max_rounds=500)
    assert their_view.have == {i for _, i in theirs_only}
    assert their_view.need == {i for _, i in ours_only}
    assert our_view == ({*()}, {*()})  # the responder answers; the initiator learns


@pytest.mark.parametrize("limit", [4096, 60_000])
@pytest.mark.parametrize(("seed", "shared", "a", "b"), CASES)
def test_our_initiator_and_their_responder_learn_the_differences_between_them(
    node: subprocess.Popen[str], limit: int, seed: int, shared: int, a: int, b: int
) -> None:
    common, ours_only, theirs_only = _sets(seed, shared, a, b)
    ours = Negentropy(Storage(common + ours_only), limit)
    theirs = NodeParty(node, common + theirs_only, limit)
    our_view, their_view = learned(ours, theirs, max_rounds=500)
    truly_ours, truly_theirs = {i for _, i in ours_only}, {i for _, i in theirs_only}
    assert our_view.have <= truly_ours and our_view.need <= truly_theirs
    assert their_view.have <= truly_theirs and their_view.need <= truly_ours
    assert our_view.have | their_view.need == truly_ours
    assert our_view.need | their_view.have == truly_theirs


def test_first_messages_are_byte_identical(node: subprocess.Popen[str]) -> None:
    common, a_extra, _ = _sets(99, 3000, 10, 0)
    items = common + a_extra
    assert Negentropy(Storage(items), 4096).initiate() == NodeParty(node, items, 4096).initiate()
