"""Our reconciliation against nostr-tools' (npm, nip77) through a small Node bridge."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hearthnet.sync.negentropy import Negentropy, Reconciliation, Storage
from tests.sync_helpers import converge

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
@pytest.mark.parametrize("we_initiate", [True, False])
def test_both_directions(
    node: subprocess.Popen[str],
    limit: int,
    seed: int,
    shared: int,
    a: int,
    b: int,
    we_initiate: bool,
) -> None:
    common, a_extra, b_extra = _sets(seed, shared, a, b)
    ours = Negentropy(Storage(common + a_extra), limit)
    theirs = NodeParty(node, common + b_extra, limit)
    if we_initiate:
        only_ours, only_theirs, _, _ = converge(ours, theirs, max_rounds=500)
    else:
        only_theirs, only_ours, _, _ = converge(theirs, ours, max_rounds=500)
    assert only_ours == {i for _, i in a_extra}
    assert only_theirs == {i for _, i in b_extra}


def test_first_messages_are_byte_identical(node: subprocess.Popen[str]) -> None:
    common, a_extra, _ = _sets(99, 3000, 10, 0)
    items = common + a_extra
    assert Negentropy(Storage(items), 4096).initiate() == NodeParty(node, items, 4096).initiate()
