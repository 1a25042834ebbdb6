"""Rebuild the projections over a 1M-event log: `python -m benchmarks.replay [N]`.

Also times the hash-chain-only audit of the same log and how long a node takes to open
that store and accept one append. The store is built once under .bench/ and reused.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import authors, generate
from hearthnet.adapters.audit import audit
from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.adapters.store import open_recorder
from hearthnet.bootstrap import PROJECTIONS

BENCH = Path(os.environ.get("HEARTHNET_BENCH_DIR", Path(__file__).resolve().parents[1] / ".bench"))


def build_store(n: int) -> str:
    """Return the URL of a SQLite log holding the n-event corpus (built on first use)."""
    path = BENCH / f"log-{n}.sqlite"
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    BENCH.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial")
    log = EventLog(open_recorder(f"sqlite:///{partial}"), verify_ed25519, blake3_256)
    chunk: list[bytes] = []
    for raw in generate(n):
        chunk.append(raw)
        if len(chunk) == 5000:
            log.ingest(chunk)
            chunk = []
    log.ingest(chunk)
    log.close()
    partial.rename(path)
    return url


def main() -> None:
    """Print open, replay and audit figures; the last line is the replay rate."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    url = build_store(n)

    started = time.perf_counter()
    log = EventLog(open_recorder(url), verify_ed25519, blake3_256)
    log.community = authors(8)[0].public_key
    log.append_local(authors(8)[0], "bench.opened", b"\x80")
    open_s = time.perf_counter() - started
    stored = log.recorder.count_events()

    with tempfile.TemporaryDirectory() as tmp:
        runner = ProjectionRunner(log, Path(tmp) / "views.sqlite", PROJECTIONS, url)
        started = time.perf_counter()
        folded = runner.rebuild()
        replay_s = time.perf_counter() - started
        digests = runner.digests()
        runner.close()

    started = time.perf_counter()
    report = audit(log, signatures=False, url=url, workers=os.cpu_count() or 1)
    audit_s = time.perf_counter() - started
    log.close()
    if report.problems:
        raise SystemExit(f"audit found problems: {report.problems[:3]}")

    print(f"events={stored} store={url}")
    print(f"open_and_first_append_s={open_s:.3f}")
    print(f"replay_s={replay_s:.2f} events={folded} digests={digests}")
    print(f"chain_audit_s={audit_s:.2f} chain_audit_events_per_s={report.events / audit_s:.0f}")
    print(f"replay_events_per_s={folded / replay_s:.0f}")


if __name__ == "__main__":
    main()
