"""Eyes, ears and voice on the dashboard in a real headless Chromium, served by the other node
of the mesh (the dashboard's node has no engine): a question spoken into the browser's
microphone is written down, answered and read aloud; a Spanish post is translated and read
aloud; the text of a photographed notice shows under the photo; a scanned PDF added in the
Library becomes passages of a collection; a private message is never sent to another node to
be read aloud."""

from __future__ import annotations

import asyncio
import io
import json
import re
import wave
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from hearthnet.adapters.espeak_voice import EspeakVoice, installed_languages
from hearthnet.domain.speech import Synthesize
from tests.browser import chromium, open_page
from tests.e2e.cluster import cli, community, keys_everywhere
from tests.integration.test_ocr import ENGLISH, rendered

if TYPE_CHECKING:
    from pathlib import Path

NO_ENGINES = {"senses": []}


QUESTION = "Where can I get drinking water?"


def _question(path: Path) -> Path:
    """The question as a WAV file with a second of silence after it (the browser plays it as
    its microphone, over and over)."""
    voice = EspeakVoice(installed_languages())
    spoken = asyncio.run(voice.speak(Synthesize(text=QUESTION, speed=0.9)))
    with wave.open(io.BytesIO(spoken.audio)) as said, wave.open(str(path), "wb") as out:
        out.setparams(said.getparams())
        out.writeframes(said.readframes(said.getnframes()))
        out.writeframes(b"\0\0" * said.getframerate())
    return path


def test_a_spoken_question_is_answered_aloud_and_posts_are_translated_and_read(
    tmp_path: Path,
) -> None:
    a, b = community(tmp_path, 2, each=[NO_ENGINES, {}])
    try:
        notice = tmp_path / "notice.png"
        rendered(ENGLISH).save(notice)
        photo = a.call("file.put", {"path": str(notice)})
        a.call(
            "market.post",
            {
                "client_id": "es1",
                "category": "info",
                "title": "Aviso",
                "body": "La biblioteca está cerrada hoy.",
                "attachments": [
                    {"cid": photo["id"], "name": "notice.png", "media_type": "image/png",
                     "thumb": photo["thumbnail"]}
                ],
            },
        )  # fmt: skip
        with chromium(microphone=_question(tmp_path / "question.wav")) as browser:
            board, _ = open_page(browser, a.url + "/board")
            card = board.locator(".q-card", has_text="Aviso")
            expect(card.get_by_text("Text in the photo: The water pumps")).to_be_visible()
            card.get_by_role("button", name="Translate").click()
            expect(card.get_by_text("The library is closed today")).to_be_visible()
            expect(card.get_by_text("translated es → en")).to_be_visible()
            card.get_by_role("button", name="Read aloud").click()
            spoken = card.locator("audio")
            expect(spoken).to_have_count(1)
            assert spoken.get_attribute("src").startswith("data:audio/ogg;base64,T2dnUw")

            ask, _ = open_page(browser, a.url + "/ask")
            ask.get_by_role("button", name="Speak your question").click()
            ask.wait_for_function(
                "window.hnRecorder && performance.now() - window.hnRecordingSince > 7000",
                timeout=60_000,
            )
            ask.get_by_role("button", name="Speak your question").click()
            heard = re.compile(r"where can i get drinking water", re.IGNORECASE)
            expect(ask.get_by_label("Your question")).to_have_value(heard, timeout=60_000)
            expect(ask.get_by_text("smollm2 on")).to_be_visible()
            expect(ask.locator("audio")).to_have_count(1, timeout=60_000)
    finally:
        for node in (a, b):
            node.stop()


def test_a_scanned_pdf_joins_a_collection_and_a_message_stays_on_its_node(
    tmp_path: Path,
) -> None:
    a, b = community(tmp_path, 2, each=[NO_ENGINES, {}])
    try:
        scanned = tmp_path / "pumpen.pdf"
        rendered(ENGLISH).convert("RGB").save(scanned, "PDF", resolution=150)
        keys_everywhere([a, b])
        b.call("chat.send", {"client_id": "m1", "recipient": a.node_id, "body": "Hola vecina"})
        with chromium() as browser:
            library, _ = open_page(browser, a.url + "/library")
            library.get_by_label("Collection").fill("manuals")
            library.locator("input[type=file]").set_input_files(str(scanned))
            expect(library.get_by_text("Added: pumpen.pdf (1 passage)")).to_be_visible()
            expect(library.locator(".q-card", has_text="manuals")).to_contain_text("pumpen.pdf")

            messages, _ = open_page(browser, a.url + f"/messages?to={b.node_id}")
            expect(messages.get_by_text("Hola vecina", exact=True).last).to_be_visible()
            messages.get_by_role("button", name="Read aloud").click()
            expect(messages.get_by_text("a private text stays on this node")).to_be_visible()
            expect(messages.locator("audio")).to_have_count(0)
        asked = ("rag", "query", "where are the water pumps", "--corpus", "manuals", "--json")
        assert "basement" in json.loads(cli(a.home, *asked).stdout)["chunks"][0]["text"]
    finally:
        for node in (a, b):
            node.stop()


def test_the_text_of_a_private_photo_is_read_on_its_node_and_found(tmp_path: Path) -> None:
    a, b = community(tmp_path, 2)
    try:
        keys_everywhere([a, b])
        notice = tmp_path / "aushang.png"
        rendered(["Sandsäcke am Kolpinghaus ab Mittag"]).save(notice)
        cli(b.home, "chat", "send", a.node_id, "Schau mal", "--attach", str(notice))
        cli(b.home, "chat", "send", a.node_id, "Bis später")
        with chromium() as browser:
            page, _ = open_page(browser, a.url + f"/messages?to={b.node_id}")
            thread = page.locator(".hn-thread")
            expect(thread.get_by_text("Text in the photo: Sandsäcke am Kolpinghaus")).to_be_visible(
                timeout=60_000
            )
            expect(thread.get_by_text("Bis später")).to_be_visible()
            page.get_by_label("Find in this conversation").fill("kolpinghaus")
            page.get_by_label("Find in this conversation").press("Enter")
            expect(thread.get_by_text("Bis später")).to_have_count(0)
            expect(thread.get_by_text("Schau mal", exact=True)).to_be_visible()
    finally:
        for node in (a, b):
            node.stop()
