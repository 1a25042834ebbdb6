"""OCR on a running node with the real Tesseract (English and German): images the test renders
from known text, a PDF whose first page has a text layer and whose second is a scan, the text
of a scanned PDF kept and ingested into a corpus, and the photo of a board post found by a
search for a word that is only in the photo."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfWriter

from tests.integration.test_e2e_keys import eventually, running
from tests.transcripts import cer

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
ENGLISH = [
    "The water pumps are in the fire station basement.",
    "Bring blankets to the school hall.",
]
GERMAN = ["Die Straße nach Issum ist gesperrt.", "Bitte Umleitung über Größenweg nutzen."]


def rendered(lines: list[str], size: int = 32) -> Image.Image:
    """A white page with the lines in black, as a phone photo of a notice would be after
    cropping."""
    font = ImageFont.truetype(FONT, size)
    image = Image.new("L", (1400, 120 + 110 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 50 + 110 * i), line, fill=0, font=font)
    return image


async def put(runtime: NodeRuntime, path: Path, **extra: Any) -> str:
    stored = await runtime.local_bus().call("file.put", {"path": str(path), **extra})
    return str(stored["id"])


def scanned_pdf(path: Path) -> None:
    """Page 1 has a text layer (written with fpdf2); page 2 is a scan (an image only)."""
    text = FPDF()
    text.add_page()
    text.set_font("helvetica", size=14)
    text.cell(text="Generator manual: check the oil level before every start.")
    scan = io.BytesIO()
    rendered(ENGLISH).convert("RGB").save(scan, "PDF", resolution=150)
    writer = PdfWriter()
    writer.append(io.BytesIO(bytes(text.output())))
    writer.append(scan)
    with path.open("wb") as out:
        writer.write(out)


async def test_images_in_english_and_german_are_read_with_their_boxes(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        for lines, languages in ((ENGLISH, ["eng"]), (GERMAN, ["deu"])):
            path = tmp_path / f"{languages[0]}.png"
            rendered(lines).save(path)
            read = await runtime.local_bus().call(
                "ocr.image", {"image_cid": await put(runtime, path)}, {"languages": languages}
            )
            assert cer("\n".join(lines), read["text"]) <= 0.03, read["text"]
            assert [b["text"] for b in read["blocks"]] == lines
            assert all(b["bbox"][2] > 300 and b["confidence"] > 0.8 for b in read["blocks"])
            assert read["node"] == runtime.me and read["backend"] == "tesseract"
        assert "ß" in read["text"] and "ö" in read["text"] and "ü" in read["text"]


async def test_a_pdf_takes_its_text_layer_and_reads_its_scanned_page(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        path = tmp_path / "manual.pdf"
        scanned_pdf(path)
        doc = await put(runtime, path)
        bus = runtime.local_bus()
        frames = [f async for f in bus.stream("ocr.pdf", {"doc_cid": doc, "store_text": True})]
        pages = [data for name, data in frames if name == "page"]
        assert [(p["page"], p["source"]) for p in pages] == [(1, "text_layer"), (2, "ocr")]
        assert "oil level" in pages[0]["text"]
        assert cer("\n".join(ENGLISH), pages[1]["text"]) <= 0.03
        progress = [data for name, data in frames if name == "progress"]
        assert progress[-1] == {"current": 2, "total": 2, "stage": "ocr"}
        done = frames[-1]
        assert done[0] == "done" and done[1]["pages"] == 2 and done[1]["node"] == runtime.me

        stored = done[1]["stored_cid"]
        indexed = await runtime.reader.query("SELECT * FROM ocr_texts", {})
        assert [(r["doc_cid"], r["text_cid"], r["pages"]) for r in indexed] == [(doc, stored, 2)]
        ingested = await bus.call(
            "rag.ingest", {"doc_cid": stored, "title": "Generator manual"}, {"corpus": "manuals"}
        )
        assert ingested["chunks_indexed"] >= 1
        hits = await bus.call("rag.query", {"query": "where are the pumps"}, {"corpus": "manuals"})
        assert "basement" in hits["chunks"][0]["text"]

        only_two = [f async for f in bus.stream("ocr.pdf", {"doc_cid": doc, "page_range": [2, 2]})]
        assert [d["page"] for n, d in only_two if n == "page"] == [2]
        assert only_two[-1][1]["stored_cid"] is None


async def test_the_text_of_a_photo_on_a_post_is_found_by_a_search(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        path = tmp_path / "notice.png"
        rendered(["Sandbags at the Kolpinghaus from noon"]).save(path)
        stored = await runtime.local_bus().call("file.put", {"path": str(path)})
        photo = {"cid": stored["id"], "name": "notice.png", "media_type": "image/png"}
        post = {"client_id": "p1", "category": "info", "title": "Notice", "body": "See photo"}
        await runtime.local_bus().call("market.post", {**post, "attachments": [photo]})

        async def found() -> list[Any]:
            hits = await runtime.local_bus().call("market.search", {"query": "kolpinghaus"})
            return list(hits["posts"])

        [hit] = await eventually(found, "the photo's text is searchable")
        assert hit["title"] == "Notice" and "Kolpinghaus" in hit["photo_text"]
