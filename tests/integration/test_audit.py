"""The log audit, in one process and split across worker processes with stitched seams."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from benchmarks.corpus import generate
from hearthnet.adapters.audit import audit
from tests.conftest import open_log

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    log = open_log(url)
    log.ingest(list(generate(3000)))
    log.close()
    return url


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_a_clean_log_is_clean_however_it_is_split(store: str, workers: int) -> None:
    log = open_log(store)
    report = audit(log, url=store, workers=workers, parallel_from=0)
    assert report.problems == [] and report.events == 3000 and report.authors == 8
    log.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_problems_are_found_on_both_sides_of_a_seam(store: str, workers: int) -> None:
    path = store.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        # Swap the bytes of two events of one author just past the middle: both are then
        # stored at the wrong seq, and their chain links break.
        rows = db.execute(
            "SELECT rowid, state FROM hearthnet_events WHERE rowid IN (1505, 1513) ORDER BY rowid"
        ).fetchall()
        db.execute("UPDATE hearthnet_events SET state=? WHERE rowid=?", (rows[1][1], rows[0][0]))
        db.execute("UPDATE hearthnet_events SET state=? WHERE rowid=?", (rows[0][1], rows[1][0]))
    db.close()
    log = open_log(store)
    report = audit(log, url=store, workers=workers, parallel_from=0)
    positions = {p.position for p in report.problems}
    assert {1505, 1513} <= positions
    assert any("signed as seq" in p.problem for p in report.problems)
    assert any("chain gap" in p.problem or "prev" in p.problem for p in report.problems)
    log.close()
