"""Capability round trips: `python -m benchmarks.bus [CALLS]`.

Local: market.post through the bus on one node, in process: decide, sign, durable group
commit, projection catch-up, answer from the views (read-your-writes). Then 500 concurrent
posts from 50 clients, checked for loss and duplication. Remote: market.list on a real
`hearthnet run` process over loopback, signed, paced under the per-caller rate limit that
every node enforces (a member calls at most RATE_PER_S times a second).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.http_access import RATE_PER_S
from hearthnet.adapters.http_bus import HttpBusRemote
from hearthnet.adapters.runtime import RunOptions
from hearthnet.bootstrap import node_runtime, open_node
from tests.e2e.cluster import NodeProcess, cli, free_port


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


async def _local(home: Path, calls: int) -> tuple[list[float], float, int]:
    node = open_node(home)
    runtime = node_runtime(node, RunOptions(port=free_port(), discovery=False))
    await runtime.start()
    bus, me, reader = runtime.bus, runtime.me, runtime.reader
    latencies = []
    for i in range(calls):
        started = time.perf_counter()
        await bus.call("market.post", me, "self", {}, {"client_id": f"s{i}", "title": f"Post {i}"})
        latencies.append((time.perf_counter() - started) * 1000)

    async def client(c: int) -> None:
        for k in range(10):
            await bus.call(
                "market.post", me, "self", {}, {"client_id": f"c{c}-{k}", "title": "concurrent"}
            )

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(50)))
    seconds = time.perf_counter() - started
    rows = await reader.query(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT client_id) AS d FROM posts "
        "WHERE title = 'concurrent'",
        {},
    )
    if rows[0]["n"] != 500 or rows[0]["d"] != 500:
        raise SystemExit(f"concurrent posts lost or duplicated: {rows}")
    await runtime.stop()
    node.close()
    return latencies, 500 / seconds, rows[0]["n"]


async def _remote(node: NodeProcess, calls: int) -> list[float]:
    signer = NaclSigner((node.home / "keys" / "device.ed25519").read_bytes())
    community = cli(node.home, "id").stdout.strip()
    latencies = []
    async with httpx.AsyncClient() as client:
        remote = HttpBusRemote(node.url, signer, community, client)
        interval = 1.1 / RATE_PER_S
        for _ in range(calls):
            started = time.perf_counter()
            await remote.call("market.list@1.0", {}, {"limit": 10})
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return latencies


def main() -> None:
    """Print local and remote latencies and the concurrent run; last line the local p50."""
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "node"
        cli(home, "init", "--name", "Bus")
        local, throughput, stored = asyncio.run(_local(home, calls))
        node = NodeProcess(home, free_port(), "--no-discovery").start()
        try:
            remote = asyncio.run(_remote(node, calls))
        finally:
            node.stop()
    print(
        f"local market.post calls={calls} p50_ms={statistics.median(local):.2f} "
        f"p99_ms={_pct(local, 0.99):.2f}"
    )
    print(
        f"concurrent: 500 posts from 50 clients, stored={stored} (no loss, no duplicates), "
        f"throughput={throughput:.0f}/s"
    )
    print(
        f"remote market.list over loopback calls={len(remote)} "
        f"p50_ms={statistics.median(remote):.2f} "
        f"p99_ms={_pct(remote, 0.99):.2f}"
    )
    print(f"local_call_p50_us={statistics.median(local) * 1000:.0f}")


if __name__ == "__main__":
    main()
