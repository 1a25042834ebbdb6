"""Partitions, heals, loss, duplication, reordering, an equivocating author and nodes that
restart with an empty store: after healing and a few sync rounds, every honest node holds
the same id set and the same projection digests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from hearthnet.sync.session import SyncError, synchronise
from tests.factories import Author, community, signer
from tests.sync_links import Link, TestNode

NODES = 3


class Mesh(RuleBasedStateMachine):
    """Three nodes, their authors, one liar, and who can reach whom."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp())
        self.nodes = [TestNode(self.tmp / f"n{i}") for i in range(NODES)]
        self.groups = [0] * NODES
        self.founder, genesis = community()
        self.authors = [
            Author(signer(10 + i), self.founder.community, clock=self.founder.clock)
            for i in range(NODES)
        ]
        self.liar = Author(signer(99), self.founder.community, clock=self.founder.clock)
        self.nodes[0].log.ingest([genesis])
        self.rng = random.Random(0)
        self.restarts = 0

    @initialize(seed=st.integers(0, 2**16))
    def seed(self, seed: int) -> None:
        self.rng.seed(seed)

    @rule(node=st.integers(0, NODES - 1), count=st.integers(1, 30))
    def write(self, node: int, count: int) -> None:
        self.nodes[node].log.ingest([self.authors[node].event() for _ in range(count)])

    @rule(node=st.integers(0, NODES - 1), count=st.integers(1, 5))
    def liar_writes(self, node: int, count: int) -> None:
        self.nodes[node].log.ingest([self.liar.event() for _ in range(count)])

    @rule(a=st.integers(0, NODES - 1), b=st.integers(0, NODES - 1))
    def equivocate(self, a: int, b: int) -> None:
        seq, prev = self.liar.seq + 1, self.liar.prev
        self.nodes[a].log.ingest([self.liar.event("test.branch.one")])
        self.nodes[b].log.ingest([self.liar.fork(seq, prev)])

    @rule(split=st.lists(st.integers(0, 1), min_size=NODES, max_size=NODES))
    def partition(self, split: list[int]) -> None:
        self.groups = split

    @rule()
    def heal_links(self) -> None:
        self.groups = [0] * NODES

    @rule(
        a=st.integers(0, NODES - 1),
        b=st.integers(0, NODES - 1),
        drop=st.sampled_from([0.0, 0.3]),
        duplicate=st.sampled_from([0.0, 0.5]),
        reorder=st.booleans(),
    )
    def sync(self, a: int, b: int, drop: float, duplicate: float, reorder: bool) -> None:
        if a == b or self.groups[a] != self.groups[b]:
            return
        link = Link(self.nodes[b], random.Random(self.rng.random()), drop, duplicate, reorder)
        with contextlib.suppress(SyncError):
            asyncio.run(synchronise(self.nodes[a].replica, link))

    @precondition(lambda self: self.restarts < 2)
    @rule(node=st.integers(0, NODES - 1))
    def restart_with_empty_store(self, node: int) -> None:
        self.restarts += 1
        self.nodes[node].close()
        shutil.rmtree(self.tmp / f"n{node}")
        self.nodes[node] = TestNode(self.tmp / f"n{node}")

    @rule()
    def heal_and_converge(self) -> None:
        self.groups = [0] * NODES
        for _ in range(3):
            for a in range(NODES):
                for b in range(NODES):
                    if a != b:
                        asyncio.run(synchronise(self.nodes[a].replica, Link(self.nodes[b])))
        ids = [n.ids() for n in self.nodes]
        assert ids[0] == ids[1] == ids[2], [len(i) for i in ids]
        digests = [n.digests() for n in self.nodes]
        assert digests[0] == digests[1] == digests[2]

    def teardown(self) -> None:
        self.heal_and_converge()
        for n in self.nodes:
            n.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


Mesh.TestCase.settings = settings(
    max_examples=int(os.environ.get("HEARTHNET_MESH_EXAMPLES", "15")),
    stateful_step_count=15,
    deadline=None,
)
TestMesh = Mesh.TestCase
