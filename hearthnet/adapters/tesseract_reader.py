"""OCR with Tesseract (`domain.ocr.Reader`): images read on a thread through `pytesseract`,
PDFs opened in a bounded child process (`adapters.pdf_pages`), their text layer taken as it
is and their scanned pages read like images."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hearthnet.domain.ocr import Block, Page, Reading

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

MAX_IMAGE_PIXELS = 40_000_000
PAGE_TIMEOUT_S = 120.0
"""The longest one PDF page may take to open or render before the document is refused."""


def installed_languages() -> list[str]:
    """The languages Tesseract has on this machine ([] without Tesseract); blocking."""
    if shutil.which("tesseract") is None:
        return []
    import pytesseract

    return sorted(lang for lang in pytesseract.get_languages(config="") if lang != "osd")


def _open_image(path: str) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(path)
        if image.width * image.height > MAX_IMAGE_PIXELS:  # before a pixel is decoded
            raise ValueError(f"the image has over {MAX_IMAGE_PIXELS} pixels")
        image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        said = str(exc).replace(f"'{path}'", "").replace(path, "").strip()  # no paths of ours
        raise ValueError(f"not a readable image: {said}") from None
    return image.convert("L") if image.mode not in ("L", "RGB") else image


def read_image(image: Any, languages: list[str]) -> Reading:
    """Tesseract's words of an image, as paragraphs with their boxes; blocking."""
    import pytesseract

    data = pytesseract.image_to_data(
        image, lang="+".join(languages), output_type=pytesseract.Output.DICT
    )
    words: dict[tuple[int, int], list[int]] = defaultdict(list)
    for i, word in enumerate(data["text"]):
        if word.strip() and float(data["conf"][i]) >= 0:
            words[(data["block_num"][i], data["par_num"][i])].append(i)
    blocks, confidences = [], []
    for indices in words.values():
        lines: dict[int, list[str]] = defaultdict(list)
        for i in indices:
            lines[data["line_num"][i]].append(data["text"][i])
        left = min(data["left"][i] for i in indices)
        top = min(data["top"][i] for i in indices)
        right = max(data["left"][i] + data["width"][i] for i in indices)
        bottom = max(data["top"][i] + data["height"][i] for i in indices)
        conf = [float(data["conf"][i]) / 100 for i in indices]
        confidences += conf
        text = "\n".join(" ".join(line) for line in lines.values())
        box = (left, top, right - left, bottom - top)
        blocks.append(Block(text, box, round(sum(conf) / len(conf), 3)))
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return Reading("\n\n".join(b.text for b in blocks), blocks, round(mean, 3))


class TesseractReader:
    """Tesseract with the languages installed; one reading at a time per core."""

    backend = "tesseract"

    def __init__(self, languages: list[str]) -> None:
        self._languages = languages

    def languages(self) -> list[str]:
        """The ISO 639-2 codes Tesseract reads here."""
        return list(self._languages)

    async def image(self, path: str, languages: list[str]) -> Reading:
        """Read an image file."""

        def read() -> Reading:
            return read_image(_open_image(path), languages)

        return await asyncio.to_thread(read)

    async def pdf(
        self, path: str, first: int, last: int, languages: list[str], force_ocr: bool
    ) -> AsyncIterator[Page]:
        """Read a PDF's pages, each as soon as the child has opened it."""
        with tempfile.TemporaryDirectory(prefix="hearthnet-pdf-") as out:
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "hearthnet.adapters.pdf_pages",
                path,
                str(first),
                str(last),
                out,
                "1" if force_ocr else "0",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
            assert child.stdout is not None
            try:
                total = 0
                while True:
                    try:
                        async with asyncio.timeout(PAGE_TIMEOUT_S):
                            line = (await child.stdout.readline()).decode().split()
                    except TimeoutError:
                        raise ValueError("a page took too long to open: PDF refused") from None
                    if not line:
                        break
                    if line[0] == "error":
                        raise ValueError(" ".join(line[1:]))
                    if line[0] == "total":
                        total = int(line[1])
                        continue
                    number, kind = int(line[1]), line[2]
                    yield await self._page(Path(out), number, total, kind, languages)
                if await child.wait() != 0:
                    raise ValueError("not a readable PDF: its reader ran out of memory or failed")
            finally:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()

    async def _page(
        self, out: Path, number: int, total: int, kind: str, languages: list[str]
    ) -> Page:
        if kind == "text":
            text = (out / f"{number}.txt").read_text(encoding="utf-8")
            return Page(number, total, Reading(text.strip(), [], 1.0), "text_layer")
        png = out / f"{number}.png"
        reading = await self.image(str(png), languages)
        png.unlink()
        return Page(number, total, reading, "ocr")
