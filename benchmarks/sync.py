"""Catch-up cost: `python -m benchmarks.sync [SHARED] [MISSING]`.

Two nodes share 100k events; one holds 10k more, first as a Lamport tail (a laptop that was
away), then scattered over the whole range (an author whose feed the other never saw). The
node that is behind runs one anti-entropy session. Bytes are the sync frames both ways.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import generate
from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.replica import LocalReplica
from hearthnet.adapters.store import open_recorder
from hearthnet.domain import envelope
from hearthnet.sync.local import LocalPeer
from hearthnet.sync.session import synchronise

AUTHORS = 11


def _store(path: Path, raws: list[bytes]) -> None:
    log = EventLog(open_recorder(f"sqlite:///{path}"), verify_ed25519, blake3_256)
    for i in range(0, len(raws), 5000):
        log.ingest(raws[i : i + 5000])
    log.close()


async def _heal(ahead: Path, behind: Path) -> tuple[float, int, int, int]:
    logs = [
        EventLog(open_recorder(f"sqlite:///{p}"), verify_ed25519, blake3_256)
        for p in (ahead, behind)
    ]
    writers = [LogWriter(log) for log in logs]
    replicas = [LocalReplica(log, w) for log, w in zip(logs, writers, strict=True)]
    await replicas[0].storage()  # the peer's set is kept warm by a running node
    started = time.perf_counter()
    stats = await synchronise(replicas[1], LocalPeer(replicas[0]))
    seconds = time.perf_counter() - started
    counts = [log.recorder.count_events() for log in logs]
    for w in writers:
        w.close()
    for log in logs:
        log.close()
    if counts[0] != counts[1]:
        raise SystemExit(f"not healed: {counts}")
    return seconds, stats.bytes_sent + stats.bytes_received, stats.round_trips, stats.stored


def main() -> None:
    """Print both cases; the last line is the tail case's overhead ratio."""
    shared = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    missing = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    raws = list(generate(shared + missing, author_count=AUTHORS))
    outsider = envelope.decode(raws[-1]).author
    cases = {
        "tail": (raws, raws[:shared]),
        "scattered": (raws, [r for r in raws if envelope.decode(r).author != outsider]),
    }
    ratio = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.sqlite"
        _store(full, raws)
        for name, (ahead_raws, behind_raws) in cases.items():
            ahead, behind = Path(tmp) / f"{name}-a.sqlite", Path(tmp) / f"{name}-b.sqlite"
            shutil.copy(full, ahead)
            _store(behind, behind_raws)
            lacking = {blake3_256(r) for r in ahead_raws} - {blake3_256(r) for r in behind_raws}
            missing_bytes = sum(len(r) for r in ahead_raws if blake3_256(r) in lacking)
            seconds, wire, rounds, stored = asyncio.run(_heal(ahead, behind))
            ratio = wire / missing_bytes
            print(
                f"{name}: shared={len(behind_raws)} missing={len(lacking)} stored={stored} "
                f"missing_bytes={missing_bytes} wire_bytes={wire} round_trips={rounds} "
                f"heal_s={seconds:.2f} ratio={ratio:.3f}"
            )
            if name == "tail":
                tail_ratio = ratio
    print(f"sync_overhead_ratio={tail_ratio:.3f}")


if __name__ == "__main__":
    main()
