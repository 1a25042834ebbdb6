"""The dashboard's goals, in a real headless Chromium: `python -m benchmarks.ui [POSTS]`.

First paint: from the moment `hearthnet run` prints `ready` until the dashboard shows the
community's name (the browser is already running with a blank tab open; repeated over fresh
starts). Page switch:
from a click on a navigation button until that page shows, round all pages. Live update:
two real nodes in one community; A's board is open; each post is appended on B through B's
API, timed from B's answer (the event is durable there) until A's open page shows it, with no
reload.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import founder_home
from tests.browser import chromium, open_page
from tests.e2e.cluster import ROOT, NodeProcess, cli, free_port, new_key

STARTS = 3
LARGE = 100_000
SWITCHES = 5
PAGES = {
    "Mesh": "Peers",
    "Board": "New post",
    "Messages": "New group",
    "Log": "Feeds",
    "Community": "Members",
    "Settings": "Appearance",
}
"""Each navigation button and a text its page shows once built."""


def _shown(page: object, text: str) -> None:
    """Wait until the page shows text, checked on every frame (a locator's wait polls at up to
    one second, which would be measured instead of the page)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        f"document.body && document.body.textContent.includes({text!r})", polling="raf"
    )


def _cell(page: object, text: str) -> None:
    """Wait until a table cell reads exactly text, checked on every frame."""
    page.wait_for_function(  # type: ignore[attr-defined]
        f"[...document.querySelectorAll('td')].some(c => c.textContent.trim() === {text!r})",
        polling="raf",
    )


def _first_paint(browser: object, home: Path, port: int) -> float:
    page, _ = open_page(browser, "about:blank")  # type: ignore[arg-type]
    env = {**os.environ, "HEARTHNET_HOME": str(home)}
    with subprocess.Popen(
        [sys.executable, "-m", "hearthnet", "run", "--port", str(port), "--no-discovery"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("ready http"):
                break
        ready = time.perf_counter()
        page.goto(f"http://127.0.0.1:{port}/", wait_until="commit")
        _shown(page, "Paintdorf")
        painted = time.perf_counter()
        page.context.close()
        process.terminate()
        process.wait(30)
    return (painted - ready) * 1000


def _large_log(browser: object, home: Path) -> tuple[float, float]:
    """Milliseconds until the log page shows its newest 50 of LARGE events, and one page on."""
    founder_home(home, LARGE)
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    try:
        page, _ = open_page(browser, node.url + "/board")  # type: ignore[arg-type]
        page.get_by_text("Corpus").first.wait_for()
        started = time.perf_counter()
        page.get_by_role("button", name="Log").click()
        _cell(page, str(LARGE))
        first = time.perf_counter() - started
        started = time.perf_counter()
        page.get_by_role("button", name="Older").click()
        _cell(page, str(LARGE - 50))
        older = time.perf_counter() - started
        page.context.close()
    finally:
        node.stop()
    return first * 1000, older * 1000


def _page_switches(page: object) -> list[float]:
    """Milliseconds from a click on a navigation button until its page shows, round the pages."""
    times = []
    for _ in range(SWITCHES):
        for button, shown in PAGES.items():
            started = time.perf_counter()
            page.get_by_role("button", name=button, exact=True).click()  # type: ignore[attr-defined]
            _shown(page, shown)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        paint_home = Path(tmp) / "paint"
        cli(paint_home, "init", "--name", "Paintdorf")
        paints = [_first_paint(browser, paint_home, free_port()) for _ in range(STARTS)]
        log_first, log_older = _large_log(browser, Path(tmp) / "large")

        a_home, b_home = Path(tmp) / "a", Path(tmp) / "b"
        cli(a_home, "init", "--name", "Livedorf")
        a = NodeProcess(a_home, free_port(), "--no-discovery").start()
        link = cli(
            a_home, "invite", "create", "--node-id", new_key(b_home), "--endpoint", a.url
        ).stdout.strip()
        cli(b_home, "join", link)
        b = NodeProcess(b_home, free_port(), "--no-discovery").start()
        try:
            page, outside = open_page(browser, a.url + "/board")
            page.get_by_text("Livedorf").first.wait_for()
            switches = sorted(_page_switches(page))
            page.get_by_role("button", name="Board", exact=True).click()
            b.call("market.post", {"client_id": "warm-up", "title": "warm-up"})
            page.get_by_text("warm-up").wait_for(timeout=10_000)
            delays = []
            for i in range(posts):
                title = f"live-{i}"
                b.call("market.post", {"client_id": title, "title": title})
                appended = time.perf_counter()
                _shown(page, title)
                delays.append((time.perf_counter() - appended) * 1000)
            assert outside == [], outside
        finally:
            b.stop()
            a.stop()
    delays.sort()
    p95 = delays[min(len(delays) - 1, int(len(delays) * 0.95))]
    print(f"first paint after ready: {[round(p) for p in paints]} ms over {STARTS} starts")
    print(f"first_paint_ms={statistics.median(paints):.0f}")
    switch_p95 = switches[int(len(switches) * 0.95)]
    print(f"page switch over {len(switches)} clicks: p50 {statistics.median(switches):.0f} ms")
    print(f"page_switch_p95_ms={switch_p95:.0f}")
    print(f"log page over {LARGE} events: newest {log_first:.0f} ms, older {log_older:.0f} ms")
    print(f"remote post on A's open board: {posts} posts appended on B")
    print(f"p50 {statistics.median(delays):.0f} ms, p95 {p95:.0f} ms, max {delays[-1]:.0f} ms")
    print(f"ui_live_update_ms={p95:.0f}")


if __name__ == "__main__":
    main()
