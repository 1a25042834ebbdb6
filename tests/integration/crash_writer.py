"""Append the benchmark corpus as fast as possible, printing the count after each commit.

Run by test_crash.py as a real subprocess that gets SIGKILLed mid-stream.
"""

from __future__ import annotations

import sys

from benchmarks.corpus import generate
from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.store import open_recorder

FRAME = 200


def main() -> None:
    url, total = sys.argv[1], int(sys.argv[2])
    log = EventLog(open_recorder(url), verify_ed25519, blake3_256)
    writer = LogWriter(log)
    raws = list(generate(total))
    committed = 0
    print("ready", flush=True)
    for i in range(0, total, FRAME):
        good, bad = log.check(raws[i : i + FRAME])
        assert not bad
        report = writer.submit(good).result()
        committed += len(report.stored)
        print(committed, flush=True)


if __name__ == "__main__":
    main()
