"""The dashboard in a real headless Chromium against real `hearthnet run` processes."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser import chromium, open_page
from tests.e2e.cluster import NodeProcess, cli, free_port

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

SECONDS = 1000


def post_from_the_board(page: Page, title: str) -> None:
    page.get_by_role("button", name="New post").click()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Text").fill("Im Keller, bitte abholen")
    page.get_by_role("button", name="Publish").click()


def test_post_in_the_browser_shows_on_the_board_and_in_the_log(tmp_path: Path) -> None:
    home = tmp_path / "a"
    cli(home, "init", "--name", "Browserdorf")
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    try:
        with chromium() as browser:
            page, outside = open_page(browser, node.url + "/board")
            expect(page.get_by_text("Browserdorf").first).to_be_visible()
            post_from_the_board(page, "Saatkartoffeln")
            expect(page.get_by_text("Posted: Saatkartoffeln")).to_be_visible()
            expect(page.get_by_text("Saatkartoffeln", exact=True)).to_be_visible()
            page.get_by_role("button", name="Log").click()
            expect(page.get_by_role("cell", name="market.post.created")).to_be_visible()
            page.get_by_role("cell", name="market.post.created").click()
            expect(page.get_by_text("Saatkartoffeln").last).to_be_visible()
            expect(
                page.get_by_text("canonical: valid, signature: valid, chain: valid")
            ).to_be_visible()
            manifest = page.request.get(node.url + "/manifest.webmanifest").json()
            assert manifest["display"] == "standalone"
            assert page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!r)")
            assert outside == []
            night, _ = open_page(browser, node.url + "/log", dark=True, phone=True)
            expect(night.locator("body.body--dark")).to_have_count(1)
            expect(night.get_by_text("market.post.created")).to_be_visible()  # a card per row
            width = night.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is {width} px wide on a 390 px phone"
            day, _ = open_page(browser, node.url + "/log")
            expect(day.locator("body.body--light")).to_have_count(1)
        board = json.loads(cli(home, "market", "list", "--json").stdout)
        assert [p["title"] for p in board] == ["Saatkartoffeln"]
    finally:
        node.stop()


def test_two_nodes_onboard_invite_post_and_message_from_the_browser(tmp_path: Path) -> None:
    """Two fresh nodes: found, invite, join, post, write, all in the browser; a post made on
    B appears on A's open board without a reload."""
    a = NodeProcess(tmp_path / "a", free_port(), "--no-discovery").start(onboarding=True)
    b = NodeProcess(tmp_path / "b", free_port(), "--no-discovery").start(onboarding=True)
    try:
        with chromium() as browser:
            page_a, outside_a = open_page(browser, a.url)
            page_a.get_by_label("Community name").fill("Deichdorf")
            page_a.get_by_label("Your name", exact=True).fill("Anke")
            page_a.get_by_role("button", name="Create").click()
            expect(page_a.get_by_text("Deichdorf").first).to_be_visible()

            page_b, outside_b = open_page(browser, b.url, lang="de")
            b_id = page_b.locator(".hn-mono").first.inner_text()
            assert b_id.startswith("ed25519:")

            page_a.get_by_role("button", name="Community").click()
            page_a.get_by_label("Their node id").fill(b_id)  # (or none: a one-time link)
            page_a.get_by_label("Their name").fill("Berta")
            page_a.get_by_role("button", name="Create invite").click()
            link = page_a.get_by_label("Invite link")
            expect(link).to_have_value(re.compile("^hearthnet://v1/"))
            invite = link.input_value()
            assert page_a.locator("svg").count() >= 1

            page_b.get_by_label("Einladungslink").fill(invite)
            page_b.get_by_label("Dein Name in der Gemeinschaft").fill("Berta")
            page_b.get_by_role("button", name="Beitreten").click()
            expect(page_b.get_by_text("Deichdorf").first).to_be_visible()

            page_a.get_by_role("button", name="Board").click()
            expect(page_a.get_by_text("Nothing on the board.")).to_be_visible()
            page_b.get_by_role("button", name="Brett").click()
            page_b.get_by_role("button", name="Neuer Beitrag").click()
            page_b.get_by_label("Titel").fill("Sandsäcke")
            page_b.get_by_role("button", name="Veröffentlichen").click()
            expect(page_a.get_by_text("Sandsäcke")).to_be_visible()

            page_a.get_by_role("button", name="Messages").click()
            page_a.get_by_label("Write to").click()
            page_a.get_by_role("option", name="Berta").click()
            composer = page_a.get_by_label("Message")
            composer.fill("Danke")
            composer.press("Shift+Enter")
            expect(composer).to_have_value("Danke\n")  # Shift+Enter: a new line, not sent
            composer.fill("Danke für die Säcke!")
            composer.press("Enter")  # Enter sends
            expect(composer).to_have_value("")
            page_b.get_by_role("button", name="Nachrichten").click()
            expect(page_b.get_by_text("1 ungelesen")).to_be_visible()
            page_b.get_by_text("1 ungelesen").click()
            expect(page_b.locator(".hn-thread").get_by_text("Danke für die Säcke!")).to_be_visible()
            expect(page_a.get_by_text("· read")).to_be_visible()
            assert outside_a == [] and outside_b == []
    finally:
        a.stop()
        b.stop()


def test_an_open_tab_says_offline_and_comes_back_to_its_page_after_a_restart(
    tmp_path: Path,
) -> None:
    home = tmp_path / "a"
    cli(home, "init", "--name", "Neustart", "--display-name", "Rita")
    node = NodeProcess(home, free_port(), "--no-discovery")
    try:
        node.start()
        with chromium() as browser:
            page, _ = open_page(browser, node.url + "/board")
            expect(page.get_by_text("Nothing on the board.")).to_be_visible()
            node.stop()
            expect(page.get_by_text("offline · reconnecting…")).to_be_visible()
            node.start()
            expect(page.get_by_text("Nothing on the board.")).to_be_visible(timeout=60 * SECONDS)
            expect(page.get_by_text("Welcome to HearthNet")).to_have_count(0)
            assert page.url.endswith("/board")
    finally:
        node.stop()


def test_the_theme_chosen_in_settings_stays_with_the_browser(tmp_path: Path) -> None:
    home = tmp_path / "a"
    cli(home, "init", "--name", "Farbdorf", "--display-name", "Fritz")
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    try:
        with chromium() as browser:
            page, _ = open_page(browser, node.url + "/settings")
            expect(page.locator("body.body--light")).to_have_count(1)
            page.get_by_text("Dark", exact=True).click()
            expect(page.locator("body.body--dark")).to_have_count(1)
            page.goto(node.url + "/board")
            expect(page.get_by_text("Nothing on the board.")).to_be_visible()
            expect(page.locator("body.body--dark")).to_have_count(1)
    finally:
        node.stop()


CONTRAST = """
(el) => {
  const parts = (s) => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (s) => {
    const [r, g, b] = parts(s).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(el);
  const [hi, lo] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
"""
"""WCAG's contrast ratio of an element's text against its own background, as drawn."""


def test_the_emergency_banner_and_category_colours_meet_wcag_aa(tmp_path: Path) -> None:
    home = tmp_path / "a"
    cli(home, "init", "--name", "Kontrastdorf", "--display-name", "Klara")
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    try:
        for category in ("offer", "request", "info", "emergency"):
            cli(home, "market", "post", "--title", f"Beitrag {category}", "--category", category)
        with chromium() as browser:
            for dark in (False, True):
                page, _ = open_page(browser, node.url + "/board", dark=dark)
                theme = "body--dark" if dark else "body--light"
                expect(page.locator(f"body.{theme}")).to_have_count(1)  # drawn in its theme
                banner = page.locator(".hn-emergency").first
                expect(banner).to_be_visible()
                expect(page.locator(".q-card .q-badge").nth(3)).to_be_visible()
                ratios = [banner.evaluate(CONTRAST)]
                badges = page.locator(".q-card .q-badge")
                ratios += [badges.nth(i).evaluate(CONTRAST) for i in range(badges.count())]
                assert len(ratios) >= 5, ratios
                assert min(ratios) >= 4.5, (dark, ratios)
                colours = {
                    badges.nth(i).evaluate("e => getComputedStyle(e).backgroundColor")
                    for i in range(badges.count())
                }
                assert len(colours) == 4, "each category its own colour"
                page.context.close()
    finally:
        node.stop()
