"""The projection runner on real SQLite files: tracking, restart, rebuild, forks."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.bootstrap import PROJECTIONS
from tests.conftest import open_log
from tests.factories import community

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.event_log import EventLog


def _runner(tmp: Path, name: str = "test") -> tuple[ProjectionRunner, EventLog]:
    log = open_log(f"sqlite:///{tmp / 'log.sqlite'}")
    return ProjectionRunner(log, tmp / "views.sqlite", PROJECTIONS, name), log


def test_incremental_restart_and_rebuild_agree(tmp_path: Path) -> None:
    founder, genesis = community()
    runner, log = _runner(tmp_path)
    log.ingest([genesis] + [founder.event() for _ in range(10)])
    assert runner.catch_up() == 11
    assert runner.catch_up() == 0
    log.ingest([founder.event() for _ in range(5)])
    assert runner.catch_up() == 5
    incremental = runner.digests()
    runner.close()
    again, log2 = _runner(tmp_path)
    assert again.position("feeds") == again.position("membership") == 16
    assert again.catch_up() == 0 and again.digests() == incremental
    log2.ingest([founder.event()])
    again.catch_up()
    assert again.db.execute("SELECT events, head_seq FROM feeds").fetchone() == (17, 17)
    digests = again.digests()
    assert again.rebuild(["feeds"]) == 17 and again.digests() == digests
    assert again.rebuild() == 17 and again.digests() == digests


def test_a_late_fork_proof_withdraws_folded_events(tmp_path: Path) -> None:
    founder, genesis = community()
    runner, log = _runner(tmp_path)
    raws = [genesis] + [founder.event() for _ in range(4)]
    log.ingest(raws)
    runner.catch_up()
    assert runner.db.execute("SELECT events FROM feeds").fetchone() == (5,)
    log.ingest([founder.fork(3, blake3_256(raws[1]))])
    runner.catch_up()
    assert runner.db.execute("SELECT events, head_seq FROM feeds").fetchone() == (2, 2)
    assert runner.db.execute("SELECT frozen_at FROM forks").fetchone() == (3,)


def test_views_follow_the_store_they_were_built_from(tmp_path: Path) -> None:
    _, genesis = community()
    runner, log = _runner(tmp_path, "store-a")
    log.ingest([genesis])
    runner.catch_up()
    runner.close()
    other, _ = _runner(tmp_path, "store-b")
    assert other.position("feeds") == 0, "views of another store are dropped, not reused"


def test_tracking_and_rows_commit_together(tmp_path: Path) -> None:
    founder, genesis = community()
    runner, log = _runner(tmp_path)
    log.ingest([genesis, founder.event()])
    runner.catch_up()
    db = sqlite3.connect(tmp_path / "views.sqlite")
    (position,) = db.execute("SELECT position FROM tracking WHERE projection='feeds'").fetchone()
    (events,) = db.execute("SELECT events FROM feeds").fetchone()
    assert position == events == 2


CLOSE_DURING_FOLD = """
import sys, threading, time
from pathlib import Path
from benchmarks.corpus import generate
from hearthnet.bootstrap import PROJECTIONS
from hearthnet.adapters.projection_runner import ProjectionRunner
from tests.conftest import open_log
tmp = Path(sys.argv[1])
url = f"sqlite:///{tmp / 'log.sqlite'}"
log = open_log(url)
log.ingest(list(generate(20_000)))
runner = ProjectionRunner(log, tmp / "views.sqlite", PROJECTIONS, url)
folding = threading.Thread(target=runner.catch_up)
folding.start()
time.sleep(0.05)
runner.close()
folding.join()
print("closed after the fold")
"""


def test_closing_the_views_waits_for_a_fold_in_flight(tmp_path: Path) -> None:
    """A node stopping while its views catch up on another thread must not pull the
    connection out from under the fold (that crashed the process)."""
    import subprocess
    import sys

    from tests.e2e.cluster import ROOT

    done = subprocess.run(
        [sys.executable, "-c", CLOSE_DURING_FOLD, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "closed after the fold"
