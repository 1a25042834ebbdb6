"""A member's name and post titles are whatever the member chose. Written as markup, they stay
text in the dashboard of every other node: nothing of them runs, even where a chart library
would render HTML (the mesh graph's tooltip), nor in a toast or a browser notification."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser import chromium, open_page
from tests.e2e.cluster import NodeProcess, cli, free_port

if TYPE_CHECKING:
    from pathlib import Path

HOSTILE = "<img src=x onerror=window.hnOwned=1>"
SHOW_TIP = """
() => {
  const el = document.querySelector('[_echarts_instance_]');
  if (!el) return -1;
  const chart = getElement(parseInt(el.id.slice(1))).chart;
  const index = chart.getOption().series[0].data.findIndex((d) => d.name === URL);
  chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: index});
  return index;
}
"""
TWO_FRAMES = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def test_a_name_written_as_markup_runs_nowhere(tmp_path: Path) -> None:
    a_home, b_home = tmp_path / "a", tmp_path / "b"
    cli(a_home, "init", "--name", "Namensdorf", "--display-name", "Anke")
    a = NodeProcess(a_home, free_port(), "--no-discovery", "--sync-interval", "1").start()
    b = NodeProcess(b_home, free_port(), "--no-discovery", "--sync-interval", "1")
    try:
        link = cli(a_home, "invite", "create", "--endpoint", a.url).stdout.strip()
        cli(b_home, "join", link, "--name", HOSTILE)
        b.start()
        deadline = time.monotonic() + 60
        while not any(p["url"] == b.url and p["state"] == "connected" for p in a.peers()):
            assert time.monotonic() < deadline, "B never connected to A"
            time.sleep(0.2)
        with chromium() as browser:
            for path in ("/", "/community", "/log"):
                page, _ = open_page(browser, a.url + path)
                expect(page.get_by_text(HOSTILE).first).to_be_visible()  # shown as text
                if path == "/":
                    script = SHOW_TIP.replace("URL", json.dumps(b.url))
                    deadline = time.monotonic() + 30
                    while page.evaluate(script) < 0:
                        assert time.monotonic() < deadline, "B never drawn on the graph"
                        time.sleep(0.2)
                    page.evaluate(TWO_FRAMES)  # the tooltip is drawn by then
                if path == "/log":
                    cli(b_home, "market", "post", "--title", HOSTILE, "--category", "emergency")
                    toast = page.locator(".q-notification").get_by_text(f"EMERGENCY: {HOSTILE}")
                    expect(toast).to_be_visible()
                assert page.locator("img[src='x']").count() == 0
                assert page.evaluate("window.hnOwned") is None, f"markup ran as code on {path}"
                page.context.close()
    finally:
        b.stop()
        a.stop()
