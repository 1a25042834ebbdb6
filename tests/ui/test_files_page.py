"""Files in a real headless Chromium: share from the Files page, see who holds it, pin, fetch it
back as a download; a photo on a board post shows its thumbnail on another node's board."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

from PIL import Image
from playwright.sync_api import expect

from tests.browser import chromium, open_page
from tests.e2e.cluster import cli, community, has_keys, until

if TYPE_CHECKING:
    from pathlib import Path


def _photo(path: Path) -> Path:
    image = Image.new("RGB", (1200, 800), (200, 30, 30))
    for x in range(0, 1200, 40):
        for y in range(0, 800, 40):
            image.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def test_share_pin_and_fetch_on_the_files_page_and_a_thumbnail_on_the_board(
    tmp_path: Path,
) -> None:
    a, b = community(tmp_path, 2)
    try:
        photo = _photo(tmp_path / "deich.png")
        with chromium() as browser:
            page, outside = open_page(browser, a.url + "/files")
            expect(page.get_by_text("No files yet.")).to_be_visible()
            page.locator("input[type=file]").set_input_files(str(photo))
            expect(page.get_by_text("Shared: deich.png")).to_be_visible()
            card = page.locator(".q-card").filter(has_text="deich.png").first
            expect(card.get_by_text("pinned here")).to_be_visible()
            card.get_by_role("button", name="Let go").click()
            expect(card.get_by_text("here", exact=True)).to_be_visible()

            other, _ = open_page(browser, b.url + "/files")
            card_b = other.locator(".q-card").filter(has_text="deich.png").first
            expect(card_b.get_by_text("Held by:")).to_be_visible()
            with other.expect_download() as fetched:
                card_b.get_by_role("button", name="Download").click()
            saved = tmp_path / "saved.png"
            fetched.value.save_as(saved)
            assert saved.read_bytes() == photo.read_bytes()

            page.goto(a.url + "/board")
            page.get_by_role("button", name="New post").click()
            page.get_by_label("Title").fill("Deich bei Issum")
            page.locator(".q-dialog input[type=file]").set_input_files(str(photo))
            expect(
                page.get_by_text("Shared: deich.png").or_(page.locator(".q-chip"))
            ).to_be_visible()
            page.get_by_role("button", name="Publish").click()
            other.goto(b.url + "/board")
            thumb = other.locator("img[src^='data:image/jpeg']").first
            expect(thumb).to_be_visible()

            b_id = b.call("node.status", {})["node_id"]
            until(lambda: has_keys(a, b_id), "a has b's keys")
            page.goto(f"{a.url}/messages?to={b_id}")
            page.locator("input[type=file]").set_input_files(str(photo))
            expect(page.locator(".q-chip", has_text="deich.png")).to_be_visible()
            page.get_by_label("Message").fill("Das Foto, nur für dich")
            page.get_by_role("button", name="Send").click()
            other.goto(f"{b.url}/messages?to={a.call('node.status', {})['node_id']}")
            sealed = other.get_by_role("button", name="deich.png")
            with other.expect_download() as fetched:
                sealed.click()
            private = tmp_path / "private.png"
            fetched.value.save_as(private)
            assert private.read_bytes() == photo.read_bytes()
            assert outside == []
        posts = json.loads(cli(b.home, "market", "list", "--json").stdout)
        shared = posts[0]["attachments"][0]
        assert shared["name"] == "deich.png" and shared["thumb"].startswith("blake3:")
        until(lambda: b.call("file.list", {"prefix": shared["thumb"]})["files"], "thumb known")
    finally:
        a.stop()
        b.stop()
