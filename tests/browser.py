"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Chromium is started without its background services, which would otherwise try the internet;
every page records the requests that left 127.0.0.1, so a test can prove the dashboard loads
nothing from outside.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from playwright.sync_api import expect, sync_playwright

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
expect.set_options(timeout=30_000)  # a page may be slow on a busy machine: wait on it, generously
DESKTOP = {"width": 1280, "height": 900}


@contextlib.contextmanager
def chromium(microphone: Path | None = None) -> Iterator[Browser]:
    """Start Chromium; close it after. With a WAV file, its microphone plays that file over
    and over (and the page may use it without asking)."""
    flags = FLAGS
    if microphone is not None:
        flags = [
            *FLAGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}",
        ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            yield browser
        finally:
            browser.close()


def open_page(
    browser: Browser, url: str, *, dark: bool = False, phone: bool = False, lang: str = "en"
) -> tuple[Page, list[str]]:
    """Open url in a fresh context; return the page and the list it fills with outside requests."""
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        color_scheme="dark" if dark else "light",
        locale="de-DE" if lang == "de" else "en-GB",
    )
    context.set_default_timeout(60_000)  # actions too wait generously on a busy machine
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url)
            if not r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
            else None
        ),
    )
    page.goto(url)
    if url.startswith("http"):
        connected(page)
    return page, outside


def connected(page: Page) -> None:
    """Wait until the page's connection to the node is up: until then the page holds what a
    person does, and sends it on in an order of its own once connected."""
    page.wait_for_function("window.did_handshake === true", timeout=120_000)
