"""The node's own appends against the raw Ed25519 sign rate: `python -m benchmarks.append [N]`.

A founded community on a fresh SQLite log; the node appends N market posts of its own through
its single writer thread, queued all at once so that they commit in groups of up to a
thousand: mint (Lamport, chain), admit, sign, hash, durable group commit. The raw rate is
libsodium signing the same kind of envelope on one core in a tight loop; the last line is
the ratio.
"""

from __future__ import annotations

import concurrent.futures
import sys
import tempfile
import time
from pathlib import Path

from hearthnet.adapters.crypto import NaclSigner, blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.store import open_recorder
from hearthnet.domain import community as c
from hearthnet.domain import envelope
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.types import node_id

BODY = encode_body(m.PostCreated(client_id="c", title="Leiter zu verleihen", body="x" * 300))


def raw_sign_rate(signer: NaclSigner, n: int) -> float:
    """Signatures per second on one core over envelopes like the node's own."""
    messages = [
        envelope.signing_bytes(
            envelope.unsigned(
                community=signer.public_key,
                author=signer.public_key,
                seq=i + 1,
                prev=b"\x01" * 32 if i else b"",
                lamport=i + 1,
                ts=1_790_000_000_000,
                type=m.POST_CREATED,
                body=BODY,
            )
        )
        for i in range(n)
    ]
    started = time.perf_counter()
    for message in messages:
        signer.sign(message)
    return n / (time.perf_counter() - started)


def append_rate(signer: NaclSigner, n: int) -> float:
    """The node's own appends per second through its writer, all queued at once."""
    with tempfile.TemporaryDirectory() as tmp:
        log = EventLog(
            open_recorder(f"sqlite:///{Path(tmp) / 'log.sqlite'}"),
            verify_ed25519,
            blake3_256,
            community=signer.public_key,
            members_only=True,
        )
        genesis = c.CommunityCreated(name="Bench", founder_node_id=node_id(signer.public_key))
        log.append_local(signer, c.COMMUNITY_CREATED, encode_body(genesis))
        writer = LogWriter(log)
        started = time.perf_counter()
        futures = [writer.submit_local(signer, m.POST_CREATED, BODY) for _ in range(n)]
        concurrent.futures.wait(futures)
        seconds = time.perf_counter() - started
        writer.close()
        if log.recorder.count_events() != n + 1:
            raise SystemExit("not every append was stored")
        log.close()
    return n / seconds


def main() -> None:
    """Print both rates; the last line is their ratio."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    signer = NaclSigner(blake3_256(b"benchmark signer"))
    sign = raw_sign_rate(signer, n)
    appends = append_rate(signer, n)
    print(f"appends={n} body_bytes={len(BODY)} batch<=1000 store=sqlite")
    print(f"raw_sign_per_s={sign:.0f} (one core)")
    print(f"append_per_s={appends:.0f}")
    print(f"append_vs_sign={appends / sign:.2f}")


if __name__ == "__main__":
    main()
