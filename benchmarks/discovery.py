"""Time until a node that appears on the LAN is discovered and synced:
`python -m benchmarks.discovery [ROUNDS]`. Zeroconf on the loopback interface."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.cluster import NodeProcess, cli, free_port, new_key


def main() -> None:
    """Start a member next to a running node, several times; the last line is the median."""
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        a_home, b_home = Path(tmp) / "a", Path(tmp) / "b"
        cli(a_home, "init", "--name", "Discovery")
        a = NodeProcess(a_home, free_port()).start()
        try:
            link = cli(
                a_home, "invite", "create", "--node-id", new_key(b_home), "--endpoint", a.url
            ).stdout.strip()
            cli(b_home, "join", link)
            config = b_home / "config.toml"
            config.write_text(config.read_text().replace(f'peers = ["{a.url}"]', "peers = []"))
            for _ in range(rounds):
                b = NodeProcess(b_home, free_port()).start()
                started = time.perf_counter()
                while not any(
                    p["state"] == "connected" and p["source"] == "discovered" for p in b.peers()
                ):
                    if time.perf_counter() - started > 30:
                        raise SystemExit("not discovered within 30 s")
                    time.sleep(0.05)
                times.append((time.perf_counter() - started) * 1000)
                b.stop()
        finally:
            a.stop()
    print(
        f"rounds={rounds} discovery_ms={[round(t) for t in times]} "
        f"(node ready -> peer discovered and synced; includes a CLI poll of ~0.5 s)"
    )
    print(f"discovery_ms={statistics.median(times):.0f}")


if __name__ == "__main__":
    main()
