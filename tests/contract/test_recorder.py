"""The storage port's contract, method by method, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.fork_proofs import proof_row
from hearthnet.adapters.recorders import FORK_TOPIC, feed_uuid
from hearthnet.adapters.store import open_recorder
from hearthnet.domain import envelope
from tests.factories import Author, community, signer

if TYPE_CHECKING:
    from collections.abc import Iterator

    from hearthnet.adapters.recorders import LogRecorder


def _rows(raws: list[bytes]) -> tuple[list[StoredEvent], list[tuple[bytes, int, object, int]]]:
    events, index = [], []
    for raw in raws:
        e = envelope.decode(raw)
        events.append(StoredEvent(feed_uuid(e.author), e.seq, e.type, raw))
        index.append((blake3_256(raw), e.lamport, feed_uuid(e.author), e.seq))
    return events, index


class RecorderContract:
    """Every recorder must pass these; subclasses provide the `url` fixture."""

    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def recorder(self, url: str) -> Iterator[LogRecorder]:
        recorder = open_recorder(url)
        yield recorder
        recorder.close()

    @pytest.fixture
    def feed(self, recorder: LogRecorder) -> list[bytes]:
        founder, genesis = community()
        raws = [genesis, *(founder.event(f"x.n{i}") for i in range(5))]
        events, index = _rows(raws)
        recorder.insert_events(events, index=index, forks=[])
        return raws

    def test_an_empty_store(self, recorder: LogRecorder) -> None:
        recorder.create_table()  # again: nothing happens
        assert recorder.max_notification_id() in (None, 0)
        assert (recorder.max_lamport(), recorder.count_events()) == (0, 0)
        assert recorder.scan(1, 10) == [] and recorder.sync_items() == []
        assert recorder.forks() == [] and recorder.known([b"\x01" * 32]) == set()
        assert recorder.states_of([]) == [] and recorder.states_by_prefix([]) == []

    def test_events_by_feed_and_in_local_order(
        self, recorder: LogRecorder, feed: list[bytes]
    ) -> None:
        author = envelope.decode(feed[0]).author
        stored = recorder.select_events(feed_uuid(author))
        assert [s.state for s in stored] == feed
        newest = recorder.select_events(feed_uuid(author), desc=True, limit=1)
        assert [s.originator_version for s in newest] == [6]
        middle = recorder.select_events(feed_uuid(author), gt=2, lte=4)
        assert [s.originator_version for s in middle] == [3, 4]
        rows = recorder.scan(2, 3)
        assert [r[4] for r in rows] == feed[1:4] and rows[0][3] == "x.n0"
        assert recorder.max_notification_id() == rows[0][0] + 4
        ids = recorder.recorded_ids([r[0] for r in rows])
        assert list(ids.values()) == [blake3_256(raw) for raw in feed[1:4]]
        only = recorder.select_notifications(1, 10, topics=["x.n2", "x.n4"])
        assert [n.state for n in only] == [feed[3], feed[5]]

    def test_ids_lamports_and_prefixes(self, recorder: LogRecorder, feed: list[bytes]) -> None:
        ids = [blake3_256(raw) for raw in feed]
        assert recorder.count_events() == 6 and recorder.max_lamport() == 6
        assert recorder.known([ids[2], b"\x00" * 32]) == {ids[2]}
        assert sorted(recorder.sync_items()) == sorted(zip(range(1, 7), ids, strict=True))
        assert set(recorder.states_of([ids[1], ids[4], b"\x00" * 32])) == {feed[1], feed[4]}
        assert recorder.states_by_prefix([ids[3][:6]]) == [feed[3]]
        found = recorder.locate(ids[5][:3])
        assert found and found[0][0] == ids[5] and found[0][2] == 6

    def test_a_taken_version_stores_nothing_of_its_batch(
        self, recorder: LogRecorder, feed: list[bytes]
    ) -> None:
        founder = Author(signer(0), envelope.decode(feed[0]).community)
        again = founder.event("x.clash")  # seq 1 again: its (originator, version) is taken
        fresh = Author(signer(4), founder.community).event("x.fresh")
        events, index = _rows([fresh, again])
        with pytest.raises(IntegrityError):
            recorder.insert_events(events, index=index, forks=[])
        assert recorder.count_events() == 6
        assert recorder.known([blake3_256(fresh)]) == set()

    def test_a_fork_proof_freezes_the_reconciled_set(
        self, recorder: LogRecorder, feed: list[bytes]
    ) -> None:
        first = envelope.decode(feed[3])
        liar = Author(signer(0), first.community)
        other = liar.fork(first.seq, first.prev)
        recorder.insert_events(
            [proof_row(first.author, first.seq, feed[3], other)],
            index=[],
            forks=[(first.author, first.seq)],
        )
        assert recorder.forks() == [(first.author, first.seq)]
        assert recorder.count_events() == 6, "a proof is not an event"
        kept = {i for _, i in recorder.sync_items()}
        assert kept == {blake3_256(raw) for raw in feed[:3]}
        proofs = recorder.select_notifications(1, 20, topics=[FORK_TOPIC])
        assert len(proofs) == 1


class TestSqliteRecorder(RecorderContract):
    @pytest.fixture
    def url(self, sqlite_url: str) -> str:
        return sqlite_url


@pytest.mark.postgres
class TestPostgresRecorder(RecorderContract):
    @pytest.fixture
    def url(self, pg_url: str) -> str:
        return pg_url
