"""The Ask and Library pages in a real headless Chromium with the real models: a trusted
member adds a document to a collection; a member whose node has no model asks, grounded in
that collection, and reads the streamed answer, who served it and its sources; a long answer
is stopped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.browser import chromium, open_page
from tests.e2e.cluster import community

if TYPE_CHECKING:
    from pathlib import Path

NO_MODELS = {"models": [], "embedding_model": ""}


def test_a_document_added_in_the_library_grounds_an_answer_on_another_node(
    tmp_path: Path,
) -> None:
    a, b = community(tmp_path, 2, each=[{}, NO_MODELS])
    manual = tmp_path / "pumps.md"
    manual.write_text("# Flood pumps\n\nThe two water pumps are in the fire station basement.")
    try:
        with chromium() as browser:
            library, _ = open_page(browser, a.url + "/library")
            expect(library.get_by_text("No documents yet.")).to_be_visible()
            library.get_by_label("Collection").fill("manuals")
            library.locator("input[type=file]").set_input_files(str(manual))
            expect(library.get_by_text("Added: pumps.md (1 passage)")).to_be_visible()
            expect(library.locator(".q-card", has_text="manuals")).to_contain_text("Flood pumps")

            ask, _ = open_page(browser, b.url + "/ask")
            ask.get_by_label("Ground in documents").click()
            ask.get_by_role("option", name="manuals").click()
            ask.get_by_label("Your question").fill("Where are the water pumps?")
            ask.get_by_role("button", name="Send question").click()
            expect(ask.get_by_text("[1] Flood pumps, p. 1")).to_be_visible()
            expect(ask.get_by_text("smollm2 on")).to_be_visible()
            expect(ask.get_by_role("button", name="Stop")).to_be_hidden()
            assert ask.locator(".nicegui-markdown").inner_text().strip()

            ask.get_by_label("Ground in documents").click()
            ask.get_by_role("option", name="No documents").click()
            ask.get_by_label("Your question").fill(
                "Write a very long story about a town, a river and a flood, with many chapters."
            )
            for _ in range(3):  # a short answer may end before Stop is pressed: ask again
                ask.get_by_role("button", name="Send question").click()
                expect(ask.get_by_text("smollm2 on")).to_be_visible()
                stop = ask.get_by_role("button", name="Stop")
                if stop.is_visible():
                    stop.click()
                    break
            expect(ask.get_by_text("Stopped.")).to_be_visible()
    finally:
        for node in (a, b):
            node.stop()
