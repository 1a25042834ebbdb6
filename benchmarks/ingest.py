"""Ingest rate against the raw Ed25519 verify rate: `python -m benchmarks.ingest [N]`.

Decode + verify + chain check + group-committed store into a fresh SQLite log, in frames of
500 events as they come from peers. The raw rate is libsodium verifying the same events on
one core in a tight loop; the ratio says how close storage comes to that ceiling.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import generate
from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.store import open_recorder
from hearthnet.domain import envelope

FRAME = 500


def raw_verify_rate(raws: list[bytes]) -> float:
    """Return signatures verified per second on one core (messages prepared beforehand)."""
    items = []
    for raw in raws:
        e = envelope.decode(raw)
        items.append((e.author, envelope.signing_bytes(e), e.sig))
    started = time.perf_counter()
    for key, message, sig in items:
        if not verify_ed25519(key, message, sig):
            raise SystemExit("corpus signature failed")
    return len(items) / (time.perf_counter() - started)


def ingest_rate(raws: list[bytes], threads: int) -> float:
    """Return events per second ingested into a fresh SQLite log with `threads` verifiers."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'log.sqlite'}"
        log = EventLog(open_recorder(url), verify_ed25519, blake3_256, verify_threads=threads)
        started = time.perf_counter()
        for i in range(0, len(raws), FRAME):
            report = log.ingest(raws[i : i + FRAME])
            if report.rejected:
                raise SystemExit(f"rejected: {report.rejected[:3]}")
        seconds = time.perf_counter() - started
        if log.recorder.count_events() != len(raws):
            raise SystemExit("not every event was stored")
        log.close()
    return len(raws) / seconds


def main() -> None:
    """Print the rates and, last, the ratio for this machine's cores."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    raws = list(generate(n))
    cores = os.cpu_count() or 1
    verify = raw_verify_rate(raws)
    one = ingest_rate(raws, 1)
    every = ingest_rate(raws, cores)
    print(f"events={n} frame={FRAME} cores={cores} mean_bytes={sum(map(len, raws)) // n}")
    print(f"raw_verify_per_s={verify:.0f} (one core)")
    print(f"ingest_per_s_1_verifier={one:.0f} ratio={one / verify:.2f}")
    print(f"ingest_per_s_{cores}_verifiers={every:.0f} ratio={every / verify:.2f}")
    print(f"ingest_vs_verify={every / verify:.2f}")


if __name__ == "__main__":
    main()
