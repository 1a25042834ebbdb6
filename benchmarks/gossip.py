"""Dissemination across ten real nodes on 127.0.0.1: `python -m benchmarks.gossip [EVENTS]`.

Each event is appended on one node (round robin) and timed from its durable commit there
until it is stored on all ten; payload sends per event count every copy pushed or served.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from tests.e2e.cluster import NodeProcess, cli, free_port, new_key

NODES = 10


def _admin(node: NodeProcess, method: str, path: str, body: object = None) -> object:
    token = (node.home / "admin.token").read_text()
    response = httpx.request(
        method, node.url + path, json=body, timeout=10, headers={"authorization": f"Bearer {token}"}
    )
    response.raise_for_status()
    return response.json()


def _mesh(tmp: Path) -> list[NodeProcess]:
    homes = [tmp / f"n{i}" for i in range(NODES)]
    cli(homes[0], "init", "--name", "Gossip")
    first = NodeProcess(homes[0], free_port(), "--no-discovery", "--sync-interval", "5").start()
    nodes = [first]
    for home in homes[1:]:
        link = cli(
            homes[0], "invite", "create", "--node-id", new_key(home), "--endpoint", first.url
        ).stdout.strip()
        cli(home, "join", link)
        nodes.append(NodeProcess(home, free_port(), "--no-discovery", "--sync-interval", "5"))
        nodes[-1].start()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        connected = [_connected(n) for n in nodes]
        if min(connected) >= NODES - 1:
            return nodes
        time.sleep(1)
    raise SystemExit(f"the mesh did not form: {connected}")


def _connected(node: NodeProcess) -> int:
    peers: list[dict[str, object]] = _admin(node, "GET", "/admin/v1/peers")  # type: ignore[assignment]
    return sum(p["state"] == "connected" for p in peers)


def _sends(nodes: list[NodeProcess]) -> int:
    total = 0
    for n in nodes:
        stats = _admin(n, "GET", "/admin/v1/stats")
        total += stats["pushed_events"] + stats["served_events"]  # type: ignore[index]
    return total


def main() -> None:
    """Print latency percentiles and sends; the last line is the p99 in milliseconds."""
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as tmp:
        nodes = _mesh(Path(tmp))
        try:
            stores = [
                sqlite3.connect(f"file:{n.home / 'log.sqlite'}?mode=ro", uri=True) for n in nodes
            ]
            time.sleep(6)  # let the mesh's own peer.seen events settle
            before = _sends(nodes)
            latencies = []
            for k in range(events):
                origin = nodes[k % NODES]
                body = msgspec.msgpack.encode({"k": k}).hex()
                made = _admin(
                    origin, "POST", "/admin/v1/append", {"type": "bench.gossip", "body_hex": body}
                )
                committed = time.perf_counter()
                eid = bytes.fromhex(made["event_id"])  # type: ignore[index]
                pending = set(range(NODES))
                while pending:
                    for i in list(pending):
                        if (
                            stores[i]
                            .execute("SELECT 1 FROM event_index WHERE id=?", (eid,))
                            .fetchone()
                        ):
                            pending.discard(i)
                    if time.perf_counter() - committed > 10:
                        raise SystemExit(f"event {k} did not reach nodes {sorted(pending)}")
                    time.sleep(0.001)
                latencies.append((time.perf_counter() - committed) * 1000)
            sends = _sends(nodes) - before
        finally:
            for n in nodes:
                n.stop()
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"nodes={NODES} events={events} p50_ms={p50:.1f} p99_ms={p99:.1f} "
        f"max_ms={latencies[-1]:.1f}"
    )
    print(
        f"payload_sends_per_event={sends / events:.2f} (N-1={NODES - 1}, "
        f"ratio={sends / events / (NODES - 1):.2f})"
    )
    print(f"gossip_p99_ms={p99:.0f}")


if __name__ == "__main__":
    main()
