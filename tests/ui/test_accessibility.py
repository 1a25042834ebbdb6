"""Every dashboard page in the real Chromium, in both themes and at both widths: axe-core
finds no serious or critical violation, and Tab reaches every control on the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import expect

from tests.browser import chromium, open_page
from tests.e2e.cluster import NodeProcess, cli, free_port, give_role, trust_root

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).parents[1] / "interop" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "/": "Peers",
    "/board": "Wasser im Keller",
    "/alerts": "Deich bei Issum",
    "/files": "No files yet.",
    "/ask": "It can be wrong",
    "/library": "No documents yet.",
    "/messages": "New group",
    "/community": "Members",
    "/log": "Feeds",
    "/settings": "Appearance",
}
"""Each page and a text that shows once it has loaded."""
SERIOUS = ("serious", "critical")
CONTROLS = """
() => [...document.querySelectorAll(
  'button, a[href], input, textarea, select, [role=button], [role=switch], [role=combobox],' +
  '[role=checkbox], [role=radio], [role=tab], [role=link]')]
  .filter((e) => e.offsetParent !== null && !e.closest('[aria-hidden=true]') && !e.disabled)
  .map((e) => { e.dataset.hnControl = e.dataset.hnControl || Math.random().toString(36).slice(2);
                return e.dataset.hnControl; })
"""
"""Every visible control, each tagged so that focus can be matched to it."""
FOCUSED = """
() => { let e = document.activeElement;
        while (e && !e.dataset.hnControl) e = e.parentElement;
        return e ? e.dataset.hnControl : null; }
"""


def violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html.slice(0, 120) + ' ' + "
        "JSON.stringify((n.any[0] || {}).data || ''))})))"
    )
    return [v for v in found if v["impact"] in SERIOUS]


def unreachable(page: Page) -> set[str]:
    """The controls that Tab never focuses (Tab pressed until focus comes round again)."""
    controls = set(page.evaluate(CONTROLS))
    page.locator("body").focus()
    reached: list[str] = []
    for _ in range(3 * len(controls) + 20):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if now is not None and reached and now == reached[0] and len(reached) > 1:
            break
        if now is not None:
            reached.append(now)
    return controls - set(reached)


def names_of(page: Page, tags: set[str]) -> list[str]:
    return [
        page.locator(f"[data-hn-control='{tag}']").evaluate("e => e.outerHTML.slice(0, 160)")
        for tag in sorted(tags)
    ]


def alerts(home: Path, tmp_path: Path) -> None:
    """Alerts of every colour: a pending Extreme one, an Actual Moderate one, an exercise."""
    root = tmp_path / "root.key"
    trust_root(home, root)
    me = json.loads(cli(home, "id", "--json").stdout)["node_id"]
    give_role(
        home,
        root,
        me,
        "Minor",
        "Moderate",
        "Extreme",
        statuses=("Actual", "Exercise"),
        role="DE.NRW.Kleve.KatS",
    )
    for severity, status, headline in (
        ("Extreme", "Actual", "Deich bei Issum gebrochen"),
        ("Moderate", "Actual", "Starkregen"),
        ("Minor", "Exercise", "Probealarm"),
    ):
        cli(
            home,
            "alert",
            "publish",
            "--event",
            headline,
            "--headline",
            headline,
            "--severity",
            severity,
            "--status",
            status,
            "--area",
            "Issum",
            "--region",
            "DE.NRW.Kleve.Issum",
        )


def test_every_page_passes_axe_and_is_usable_by_keyboard(tmp_path: Path) -> None:
    home = tmp_path / "a"
    cli(home, "init", "--name", "Barrierefrei", "--display-name", "Bea")
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    fresh = NodeProcess(tmp_path / "fresh", free_port(), "--no-discovery")
    try:
        fresh.start(onboarding=True)
        for category in ("offer", "request", "info"):
            cli(home, "market", "post", "--title", f"Beitrag {category}", "--category", category)
        cli(home, "market", "post", "--title", "Wasser im Keller", "--category", "emergency")
        cli(home, "invite", "create", "--display-name", "Nina", "--endpoint", node.url)
        alerts(home, tmp_path)
        problems: dict[str, Any] = {}
        with chromium() as browser:
            for dark in (False, True):
                for phone in (False, True):
                    for path, loaded in [*PAGES.items(), ("onboarding", "Welcome")]:
                        url = fresh.url if path == "onboarding" else node.url + path
                        page, _ = open_page(browser, url, dark=dark, phone=phone)
                        expect(page.get_by_text(loaded).first).to_be_visible()
                        where = f"{path} {'dark' if dark else 'light'} {'phone' if phone else 'pc'}"
                        if found := violations(page):
                            problems[f"axe {where}"] = found
                        if not phone and (missed := unreachable(page)):
                            problems[f"keyboard {where}"] = names_of(page, missed)
                        page.context.close()
        assert problems == {}, problems
    finally:
        node.stop()
        fresh.stop()
