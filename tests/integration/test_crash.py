"""kill -9 during heavy appending loses no committed event and leaves no partial one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.corpus import generate
from hearthnet.adapters.audit import audit
from tests.conftest import open_log

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 40_000


@pytest.mark.parametrize("delay", [0.4, 1.1, 2.0])
def test_sigkill_mid_append(tmp_path: Path, delay: float) -> None:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    with subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crash_writer", url, str(TOTAL)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay + random.random() * 0.2)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        reported = [int(line) for line in child.stdout.read().split()]
    acknowledged = max(reported, default=0)
    assert 0 < acknowledged < TOTAL, "the kill must land mid-stream"

    log = open_log(url)
    stored = [state for _, _, state in log.scan()]
    corpus = list(generate(len(stored)))
    assert len(stored) >= acknowledged, "an acknowledged commit was lost"
    assert stored == corpus, "the log must be an exact prefix of what was appended"
    report = audit(log)
    assert report.problems == [] and report.events == len(stored)
    assert log.ingest(list(generate(len(stored) + 10))[len(stored) :]).stored
    log.close()
