"""`hearthnet log verify` against its ceiling: `python -m benchmarks.verify [N]`.

The full audit (every signature, every chain, the recorded ids) of an N-event SQLite log
(built once under .bench/ and reused, default 1,000,000), in as many processes as there are
cores. The ceiling is the raw Ed25519 verify rate of one core times the cores used; the last
line is the audit's rate divided by that ceiling.
"""

from __future__ import annotations

import itertools
import os
import sys
import time

from benchmarks.corpus import generate
from benchmarks.ingest import raw_verify_rate
from benchmarks.replay import build_store
from hearthnet.adapters.audit import audit
from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.store import open_recorder

SAMPLE = 20_000


def main() -> None:
    """Print the raw rate, the audit's rate, and last their ratio."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    cores = os.cpu_count() or 1
    url = build_store(n)
    raw = raw_verify_rate(list(itertools.islice(generate(n), SAMPLE)))
    log = EventLog(open_recorder(url), verify_ed25519, blake3_256)
    started = time.perf_counter()
    report = audit(log, url=url, workers=cores)
    seconds = time.perf_counter() - started
    log.close()
    if report.problems:
        raise SystemExit(f"audit found problems: {report.problems[:3]}")
    rate = report.events / seconds
    print(f"events={report.events} cores={cores} store={url}")
    print(f"raw_verify_per_s={raw:.0f} (one core) ceiling_per_s={raw * cores:.0f}")
    print(f"verify_s={seconds:.2f} verify_per_s={rate:.0f}")
    print(f"verify_vs_limit={rate / (raw * cores):.2f}")


if __name__ == "__main__":
    main()
