"""How fast the command line answers: `python -m benchmarks.cli [RUNS]`.

Wall time of `hearthnet --help` and of `hearthnet status` against a running node, each divided
by the wall time of `python -c pass` measured in the same run (medians of RUNS each,
interleaved so that all three meet the same load).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.cluster import NodeProcess, cli, free_port


def _wall(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    """Print the medians and ratios; the last line is `--help` against `python -c pass`."""
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "node"
        cli(home, "init", "--name", "Schnell", "--display-name", "Bench")
        node = NodeProcess(home, free_port(), "--no-discovery", "--no-ui").start()
        env = {**os.environ, "HEARTHNET_HOME": str(home)}
        commands = {
            "python": [sys.executable, "-c", "pass"],
            "help": [sys.executable, "-m", "hearthnet", "--help"],
            "status": [sys.executable, "-m", "hearthnet", "status"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        try:
            for _ in range(runs):
                for name, args in commands.items():
                    times[name].append(_wall(args, env))
        finally:
            node.stop()
    median = {name: statistics.median(values) * 1000 for name, values in times.items()}
    print(
        f"runs={runs} python_ms={median['python']:.0f} help_ms={median['help']:.0f} "
        f"status_ms={median['status']:.0f}"
    )
    print(f"cli_status_vs_python={median['status'] / median['python']:.2f}")
    print(f"cli_help_vs_python={median['help'] / median['python']:.2f}")


if __name__ == "__main__":
    main()
