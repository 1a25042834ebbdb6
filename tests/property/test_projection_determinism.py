"""The same set of events, delivered in any order, in any batches, with duplicates,
gives identical projection digests - forks and membership changes included."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.bootstrap import PROJECTIONS
from hearthnet.domain import community as c
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from tests.conftest import open_log
from tests.factories import Author, community, cosign, signer


def _scenario() -> list[bytes]:
    founder, genesis = community()
    people = [Author(signer(i), founder.community, clock=founder.clock) for i in range(1, 6)]
    raws = [genesis]
    for i, p in enumerate(people):
        inv = founder.event(
            c.MEMBER_INVITED,
            encode_body(
                c.MemberInvited(
                    invitee_node_id=p.id,
                    initial_level="trusted" if i < 3 else "member",
                    expires_at=2**42,
                )
            ),
        )
        raws += [
            inv,
            p.event(
                c.MEMBER_JOINED, encode_body(c.MemberJoined(invite_event_id=blake3_256(inv).hex()))
            ),
        ]
    for round_ in range(6):
        raws += [
            p.event(m.POST_CREATED, encode_body(m.PostCreated(client_id=str(round_), title="x")))
            for p in people
        ]
    liar = people[4]
    branch_point = liar.seq
    prev = liar.prev
    raws += [liar.event("test.branch.one") for _ in range(3)]
    liar.seq, liar.prev = branch_point, prev
    raws += [liar.event("test.branch.two") for _ in range(3)]
    target = people[3]
    body = c.MemberRevoked(target_node_id=target.id, reason="inactive")
    raws.append(
        people[0].event(
            c.MEMBER_REVOKED,
            encode_body(
                c.MemberRevoked(
                    target_node_id=target.id,
                    reason="inactive",
                    co_signers=cosign(
                        founder.community, c.MEMBER_REVOKED, body, *(p.key for p in people[:3])
                    ),
                )
            ),
        )
    )
    raws += [
        target.event(m.POST_CREATED, encode_body(m.PostCreated(client_id=f"late {n}", title="y")))
        for n in range(2)
    ]
    return raws


SCENARIO = _scenario()


def _digests(batches: list[list[bytes]], catch_up_every: int) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        log = open_log(f"sqlite:///{Path(tmp) / 'log.sqlite'}")
        runner = ProjectionRunner(log, Path(tmp) / "views.sqlite", PROJECTIONS, "test")
        for i, batch in enumerate(batches):
            log.ingest(batch)
            if i % catch_up_every == 0:
                runner.catch_up()
        runner.catch_up()
        assert log.buffered_count() == 0
        digests = runner.digests()
        replayed = runner.rebuild() and runner.digests()
        assert replayed == digests, "a rebuild from zero must give the same views"
        runner.close()
        log.close()
        return digests


REFERENCE = _digests([SCENARIO], 1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    order=st.permutations(range(len(SCENARIO))),
    dupes=st.lists(st.integers(0, len(SCENARIO) - 1), max_size=20),
    cuts=st.lists(st.integers(1, 12), min_size=1, max_size=30),
    catch_up_every=st.integers(1, 4),
)
def test_any_delivery_order_gives_identical_digests(
    order: list[int], dupes: list[int], cuts: list[int], catch_up_every: int
) -> None:
    stream = [SCENARIO[i] for i in order] + [SCENARIO[i] for i in dupes]
    batches, at = [], 0
    for size in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        if at >= len(stream):
            break
        batches.append(stream[at : at + size])
        at += size
    assert _digests(batches, catch_up_every) == REFERENCE


def test_the_scenario_exercises_forks_and_revocation() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = open_log(f"sqlite:///{Path(tmp) / 'log.sqlite'}")
        runner = ProjectionRunner(log, Path(tmp) / "views.sqlite", PROJECTIONS, "test")
        report = log.ingest(SCENARIO)
        runner.catch_up()
        assert report.forks, "the liar's two branches must be proven a fork"
        statuses = dict(runner.db.execute("SELECT node_id, status FROM members"))
        assert sorted(statuses.values()).count("revoked") == 1
        frozen = runner.db.execute("SELECT frozen_at FROM forks").fetchall()
        assert len(frozen) == 1
        runner.close()
        log.close()
