"""The event store contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import concurrent.futures
from typing import TYPE_CHECKING

import pytest

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.placement import Minting
from hearthnet.adapters.recorders import FORK_TOPIC
from hearthnet.domain import envelope
from hearthnet.domain.envelope import LAMPORT_HORIZON
from tests.conftest import open_log
from tests.factories import Author, community, signer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hearthnet.adapters.event_log import EventLog


class EventStoreContract:
    """Every store backend must pass these; subclasses provide the `url` fixture."""

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def log(self, url: str) -> Iterator[EventLog]:
        log = open_log(url)
        yield log
        log.close()

    def test_append_scan_and_reopen(self, url: str, log: EventLog) -> None:
        founder, genesis = community()
        raws = [genesis] + [founder.event() for _ in range(4)]
        report = log.ingest(raws)
        assert [r.event.seq for r in report.stored] == [1, 2, 3, 4, 5]
        assert [state for _, _, state in log.scan()] == raws
        assert log.max_lamport == 5 and log.recorder.count_events() == 5
        log.close()
        again = open_log(url)
        head = again.head(founder.key.public_key)
        assert head is not None and head.seq == 5 and head.id == blake3_256(raws[-1])
        assert again.max_lamport == 5
        assert again.ingest([founder.event()]).stored[0].event.seq == 6
        again.close()

    def test_duplicates_are_idempotent(self, log: EventLog) -> None:
        founder, genesis = community()
        raws = [genesis, founder.event(), founder.event()]
        log.ingest(raws)
        report = log.ingest(raws + raws)
        assert not report.stored and len(report.duplicates) == 6 and not report.rejected
        assert log.recorder.count_events() == 3

    def test_early_arrivals_wait_for_their_predecessor(self, log: EventLog) -> None:
        founder, genesis = community()
        raws = [genesis] + [founder.event() for _ in range(5)]
        report = log.ingest(raws[3:])
        assert not report.stored and len(report.buffered) == 3
        assert log.buffered_count() == 3
        report = log.ingest(raws[:3])
        assert [r.event.seq for r in report.stored] == [1, 2, 3, 4, 5, 6]
        assert log.buffered_count() == 0

    def test_a_long_chain_arriving_backwards(self, log: EventLog) -> None:
        founder, genesis = community()
        raws = [genesis] + [founder.event() for _ in range(3000)]
        for i in range(len(raws), 1, -500):
            log.ingest(list(reversed(raws[max(1, i - 500) : i])))
        assert log.buffered_count() == 3000
        report = log.ingest([genesis])
        assert len(report.stored) == 3001 and log.buffered_count() == 0

    def test_fork_is_proven_stored_and_freezes_the_feed(self, log: EventLog) -> None:
        founder, genesis = community()
        first = [genesis, founder.event(), founder.event()]
        log.ingest(first)
        twin = founder.fork(2, blake3_256(genesis))
        report = log.ingest([twin])
        assert not report.stored and len(report.forks) == 1
        assert report.forks[0].seq == 2
        assert log.frozen_at(founder.key.public_key) == 2
        assert [t for _, t, _ in log.scan()].count(FORK_TOPIC) == 1
        # Later events of the author are refused; the same proof twice adds nothing.
        report = log.ingest([founder.event(), twin])
        assert not report.stored and not report.forks
        assert any("frozen" in reason for _, reason in report.rejected)
        assert [t for _, t, _ in log.scan()].count(FORK_TOPIC) == 1

    def test_fork_against_head_by_wrong_prev(self, log: EventLog) -> None:
        founder, genesis = community()
        log.ingest([genesis, founder.event()])
        bad_next = founder.fork(3, b"\x09" * 32)
        report = log.ingest([bad_next])
        assert report.forks and report.forks[0].seq == 2

    def test_bad_input_loses_nothing(self, log: EventLog) -> None:
        founder, genesis = community()
        good = [genesis, founder.event()]
        log.ingest(good)
        forged = bytearray(founder.event())
        forged[-1] ^= 1
        stranger = Author(signer(7), b"\x01" * 32)
        far = founder.event(lamport=log.max_lamport + LAMPORT_HORIZON + 10)
        report = log.ingest([b"junk", bytes(forged), far])
        reasons = [r for _, r in report.rejected]
        assert len(reasons) == 3 and "invalid signature" in reasons
        assert any("too far" in r for r in reasons)
        assert [s for _, _, s in log.scan()] == good
        log.community = founder.key.public_key
        report = log.ingest([stranger.event()])
        assert report.rejected[0][1] == "event belongs to another community"

    def test_find_by_id_prefix(self, log: EventLog) -> None:
        _, genesis = community()
        log.ingest([genesis])
        eid = blake3_256(genesis)
        assert log.find(eid[:3]) == [genesis]
        assert log.find(eid) == [genesis]
        assert log.find(bytes(b ^ 0xFF for b in eid[:4])) == []

    def test_local_appends_chain_on_the_feed(self, log: EventLog) -> None:
        founder, genesis = community()
        log.ingest([genesis])
        log.community = founder.key.public_key
        recorded = log.append_local(founder.key, "test.note", b"\x80")
        assert recorded.event.seq == 2 and recorded.event.prev == blake3_256(genesis)
        assert recorded.event.lamport == 2
        fut: concurrent.futures.Future = concurrent.futures.Future()  # type: ignore[type-arg]
        log.write([], [Minting(founder.key, "test.big", b"\x00" * 9000, fut)])
        with pytest.raises(Exception, match="limit"):
            fut.result()

    def test_group_commit_writer(self, log: EventLog) -> None:
        founder, genesis = community()
        log.ingest([genesis])
        log.community = founder.key.public_key
        writer = LogWriter(log)
        futures = [writer.submit_local(founder.key, "test.note", b"\x80") for _ in range(300)]
        seqs = sorted(f.result(timeout=30).event.seq for f in futures)
        writer.close()
        assert seqs == list(range(2, 302))
        assert [envelope.decode(s).seq for _, _, s in log.scan()] == list(range(1, 302))

    def test_reconciled_set_and_fetch(self, log: EventLog) -> None:
        founder, genesis = community()
        liar = Author(signer(8), founder.community, clock=founder.clock)
        honest = [genesis, founder.event()]
        lies = [liar.event(), liar.event(), liar.event()]
        log.ingest(honest + lies)
        log.ingest([liar.fork(2, blake3_256(lies[0]))])
        items = dict((i, t) for t, i in log.sync_items())
        ids = [blake3_256(r) for r in honest + lies]
        assert set(ids[:3]) <= set(items) and not set(ids[3:]) & set(items)
        fork_items = [i for i, t in items.items() if t == 0]
        assert len(fork_items) == 1
        events, proofs = log.fetch([ids[0][:8], ids[1], fork_items[0][:8]])
        assert sorted(events) == sorted(honest) and len(proofs) == 1
        assert log.fetch([b"\xff" * 8]) == ([], [])


class TestSqliteStore(EventStoreContract):
    @pytest.fixture
    def url(self, sqlite_url: str) -> str:
        return sqlite_url


@pytest.mark.postgres
class TestPostgresStore(EventStoreContract):
    @pytest.fixture
    def url(self, pg_url: str) -> str:
        return pg_url
