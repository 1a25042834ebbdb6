"""Cost of one anti-entropy round between nodes already in sync:
`python -m benchmarks.sync_probe`. Sets of 100k and 1M (lamport, id) items."""

from __future__ import annotations

import random
import time

from hearthnet.sync import protocol
from hearthnet.sync.negentropy import Negentropy, Storage
from hearthnet.sync.session import respond


def probe(n: int) -> tuple[int, int]:
    """Return (bytes both ways, round trips) of one in-sync session over n items."""
    rng = random.Random(n)
    storage = Storage((i // 3 + 1, rng.randbytes(32)) for i in range(n))
    initiator = Negentropy(storage, protocol.RECONCILE_LIMIT)
    message: bytes | None = initiator.initiate()
    sent, rounds = 0, 0
    while message is not None:
        rounds += 1
        reply = respond(storage, message)
        sent += len(message) + len(protocol.encode(reply))
        if reply.message is None or reply.have or reply.need:
            break
        message = initiator.reconcile(reply.message).reply
    return sent, rounds


def main() -> None:
    """Print both sizes; the last line is the 1M case."""
    result = 0
    for n in (100_000, 1_000_000):
        started = time.perf_counter()
        result, rounds = probe(n)
        print(
            f"items={n} in_sync_bytes={result} round_trips={rounds} "
            f"seconds={time.perf_counter() - started:.1f}"
        )
    print(f"in_sync_probe_bytes={result}")


if __name__ == "__main__":
    main()
