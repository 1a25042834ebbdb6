"""Screenshots of every dashboard page, light and dark, desktop and phone width.

Run `.venv/bin/python scripts/screenshots.py` (after `bash scripts/chromium`): two real nodes in
one community with a few posts and messages, photographed in headless Chromium into
docs/screenshots/PAGE-THEME-SIZE.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import chromium, open_page  # noqa: E402
from tests.e2e.cluster import NodeProcess, cli, free_port, keys_everywhere, new_key  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = {"mesh": "/", "board": "/board", "messages": "/messages", "log": "/log"}
PAGES["community"] = "/community"
PAGES["settings"] = "/settings"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        a_home, b_home = Path(tmp) / "a", Path(tmp) / "b"
        cli(a_home, "init", "--name", "Kempen Nord", "--display-name", "Anke")
        a = NodeProcess(a_home, free_port(), "--no-discovery").start()
        b_id = new_key(b_home)
        link = cli(
            a_home,
            "invite",
            "create",
            "--node-id",
            b_id,
            "--display-name",
            "Berta",
            "--endpoint",
            a.url,
        ).stdout.strip()
        cli(b_home, "join", link, "--name", "Berta")
        b = NodeProcess(b_home, free_port(), "--no-discovery").start()
        fresh = NodeProcess(Path(tmp) / "new", free_port(), "--no-discovery").start(onboarding=True)
        try:
            posts = [
                (
                    a,
                    "offer",
                    "Leiter zu verleihen",
                    "Drei Meter, Alu. Abholen im Hof.",
                    ["werkzeug"],
                ),
                (b, "request", "Suche Sandsäcke", "Für den Keller, bis Freitag.", ["hochwasser"]),
                (b, "info", "Repair-Café am Samstag", "Gemeindehaus, 14 Uhr.", ["treffen"]),
            ]
            for node, category, title, body, tags in posts:
                node.call(
                    "market.post",
                    {
                        "client_id": title,
                        "category": category,
                        "title": title,
                        "body": body,
                        "tags": tags,
                    },
                )
            keys_everywhere([a, b])
            a_id = a.call("node.status", {})["node_id"]
            b.call(
                "chat.send", {"client_id": "m1", "recipient": a_id, "body": "Hast du noch Mehl?"}
            )
            a.call("chat.send", {"client_id": "m2", "recipient": b_id, "body": "Ja, komm vorbei!"})
            with chromium() as browser:
                for theme in ("light", "dark"):
                    for size in ("desktop", "phone"):
                        for name, path in PAGES.items():
                            page, _ = open_page(
                                browser, a.url + path, dark=theme == "dark", phone=size == "phone"
                            )
                            page.get_by_text("Kempen Nord").first.wait_for()
                            if name == "messages":
                                page.get_by_text("Berta").first.click()
                            page.wait_for_timeout(1200)
                            page.screenshot(path=str(OUT / f"{name}-{theme}-{size}.png"))
                            page.context.close()
                        page, _ = open_page(
                            browser, fresh.url, dark=theme == "dark", phone=size == "phone"
                        )
                        page.get_by_text("Welcome to HearthNet").wait_for()
                        page.screenshot(path=str(OUT / f"onboarding-{theme}-{size}.png"))
                        page.context.close()
        finally:
            fresh.stop()
            b.stop()
            a.stop()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
