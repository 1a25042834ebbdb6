"""`python -m benchmarks.files [MIB]`: one file (256 MiB by default) between real nodes.

1. The same bytes from a static file server (uvicorn and Starlette's StaticFiles) on
   loopback, downloaded with httpx: the plain HTTP rate.
2. A node fetches the file from one holder, then from three at once (its copy removed after
   each fetch): each rate, and the rise of the fetching node's resident memory while it
   fetches. The three kinds of download take turns, five rounds; each rate is a median.
3. The fetching node is killed with -9 half way (its holders frozen there); started again,
   it fetches the rest: the bytes it fetched over the bytes that were missing.

The last line is `file_vs_loopback` (one holder over plain HTTP; the goal is >= 0.5).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.cluster import NodeProcess, cli, community, fetch_file, free_port, until

MIB = 2**20
ROUNDS = 5
STATIC_SERVER = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
app = Starlette(routes=[Mount("/", StaticFiles(directory=sys.argv[1]))])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


class StaticServer:
    """A static file server (uvicorn and Starlette's StaticFiles) on loopback."""

    def __init__(self, folder: Path) -> None:
        port = free_port()
        self.server = subprocess.Popen(
            [sys.executable, "-c", STATIC_SERVER, str(folder), str(port)]
        )
        self.url = f"http://127.0.0.1:{port}/"
        until(lambda: _answers(self.url + "file.bin"), "the static server answers")

    def rate(self, name: str, out: Path) -> float:
        """Bytes per second of one download, written to `out` (removed after)."""
        os.sync()
        started = time.perf_counter()
        with httpx.stream("GET", self.url + name, timeout=60) as response, out.open("wb") as sink:
            for piece in response.iter_raw():
                sink.write(piece)
        rate = out.stat().st_size / (time.perf_counter() - started)
        out.unlink()
        return rate

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.head(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


class PeakMemory:
    """The highest resident memory of a process while it runs, sampled every 20 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.base = self.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def rss(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def growth(self) -> int:
        self._stop.set()
        self._thread.join()
        return max(0, self.peak - self.base)


def fetch_round(
    node: NodeProcess, fid: str, holders: list[str]
) -> tuple[float, int, dict[str, Any]]:
    """Fetch a file on a node from these holders, then remove it there: bytes per second, the
    node's memory growth meanwhile, the figures."""
    assert node.process is not None
    os.sync()  # no writeback of earlier rounds in the way of this one
    memory = PeakMemory(node.process.pid)
    done = fetch_file(node, {"id": fid, "holders": holders})
    growth = memory.growth()
    cli(node.home, "file", "rm", fid)
    return done["size_bytes"] / done["seconds"], growth, done


def resume(
    node: NodeProcess, stall: NodeProcess, others: list[NodeProcess], fid: str, size: int
) -> float:
    """Kill a fetching node half way, start it again and fetch the rest: the bytes fetched
    over the bytes missing when it started again. One holder hangs from the start, so that
    the fetch cannot end before the others are frozen half way; should it end all the same
    (a busy machine between the check and the freeze), the round is run again."""
    for _ in range(3):
        done = _killed_and_resumed(node, stall, others, fid, size)
        missing = size - done.get("resumed_from_bytes", size)
        if missing:
            return float(done["fetched_bytes"]) / missing
        cli(node.home, "file", "rm", fid)
    raise RuntimeError("the fetch ended before it could be killed half way, three times")


def _killed_and_resumed(
    node: NodeProcess, stall: NodeProcess, others: list[NodeProcess], fid: str, size: int
) -> dict[str, Any]:
    assert node.process is not None and stall.process is not None
    chunks = node.home / "files" / "chunks"
    stall.process.send_signal(signal.SIGSTOP)
    fetching = threading.Thread(target=_fetch_until_killed, args=(node, fid), daemon=True)
    fetching.start()
    until(lambda: sum(p.is_file() for p in chunks.rglob("*")) * MIB >= size // 2, "half way")
    for other in others:
        assert other.process is not None
        other.process.send_signal(signal.SIGSTOP)
    node.process.send_signal(signal.SIGKILL)
    fetching.join(60)
    node.process.wait()
    node.process = None
    node.log.close()
    for frozen in (stall, *others):
        assert frozen.process is not None
        frozen.process.send_signal(signal.SIGCONT)
    node.start()
    until(lambda: any(p["state"] == "connected" for p in node.peers()), "the node is back")
    return fetch_file(node, {"id": fid})


def _fetch_until_killed(node: NodeProcess, fid: str) -> None:
    with contextlib.suppress(httpx.HTTPError, AssertionError):
        fetch_file(node, {"id": fid})


def main() -> None:
    """Print the rates, memory and resume figures; the last line is the ratio. The rounds of
    plain HTTP, one holder and three holders take turns, so that a busy moment of the
    machine falls on all three alike; each rate is the median of its rounds."""
    size = int(sys.argv[1]) * MIB if len(sys.argv) > 1 else 256 * MIB
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "static"
        folder.mkdir()
        source = folder / "file.bin"
        with source.open("wb") as out:
            for _ in range(0, size, 16 * MIB):
                out.write(os.urandom(min(16 * MIB, size - out.tell())))
        static = StaticServer(folder)
        nodes = community(Path(tmp) / "nodes", 4)
        a, b, c, d = nodes
        try:
            fid = json.loads(cli(a.home, "file", "put", str(source), "--json").stdout)["id"]
            for holder in (b, c):
                until(lambda n=holder: _known(n, fid), "the file is known")
                fetch_file(holder, {"id": fid})
            until(lambda: _known(d, fid).count(",") >= 2, "d knows the three holders")
            ids = [n.call("node.status", {})["node_id"] for n in (a, b, c)]
            plain, one, three, memory = [], [], [], 0
            for _ in range(ROUNDS):
                plain.append(static.rate("file.bin", Path(tmp) / "plain.bin"))
                rate, growth, _ = fetch_round(d, fid, ids[:1])
                one.append(rate)
                rate, more, figures = fetch_round(d, fid, ids)
                three.append(rate)
                memory = max(memory, growth, more)
            extra = resume(d, c, [a, b], fid, size)
        finally:
            static.stop()
            for node in nodes:
                node.stop()
    plain_rate, one_rate, three_rate = (statistics.median(r) for r in (plain, one, three))
    shares = " ".join(f"{n[8:14]}={v // MIB}MiB" for n, v in figures["by_holder"].items())
    print(f"size_mib={size // MIB} rounds={ROUNDS} plain_http_mib_s={plain_rate / MIB:.0f}")
    print(f"one_holder_mib_s={one_rate / MIB:.0f} three_holders_mib_s={three_rate / MIB:.0f}")
    print(f"three_vs_one={three_rate / one_rate:.2f} shares: {shares}")
    print(f"rss_growth_mib={memory / MIB:.1f}")
    print(f"resume_fetched_over_missing={extra:.3f}")
    print(f"file_vs_loopback={one_rate / plain_rate:.2f}")


def _known(node: NodeProcess, fid: str) -> str:
    """The holders a node knows of a file, comma separated."""
    files = node.call("file.list", {"prefix": fid})["files"]
    return ",".join(h for f in files if f["id"] == fid for h in f["holders"])


if __name__ == "__main__":
    main()
