"""A child process that opens a PDF and writes, for each page of a range, its text layer or a
rendered image of it: `python -m hearthnet.adapters.pdf_pages PDF FIRST LAST OUT FORCE`.

A PDF is hostile input (a compression bomb, absurd page sizes, deep object graphs), so it is
opened here, in a process bounded in memory, never in the node. Lines on stdout: `total N`,
then `page I text` or `page I image` as each page is written to OUT/I.txt or OUT/I.png.
"""

from __future__ import annotations

import math
import resource
import sys
from pathlib import Path

MEMORY_BYTES = 1536 * 2**20
MAX_PIXELS = 12_000_000
"""A rendered page holds at most this many pixels (A4 at 300 dpi is 8.7 million)."""
DPI = 300
MIN_TEXT_CHARS = 16
"""A text layer shorter than this counts as none (a scan with a stray page number)."""


def main(pdf: str, first: int, last: int, out: str, force_ocr: bool) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        print(f"error not a readable PDF: {exc}", flush=True)
        return
    total = len(document)
    print(f"total {total}", flush=True)
    for i in range(first, min(last, total) + 1):
        page = document[i - 1]
        text = "" if force_ocr else page.get_textpage().get_text_range()
        if len(text.strip()) >= MIN_TEXT_CHARS:
            (Path(out) / f"{i}.txt").write_text(text, encoding="utf-8")
            print(f"page {i} text", flush=True)
            continue
        width, height = page.get_size()
        scale = min(DPI / 72, math.sqrt(MAX_PIXELS / max(width * height, 1.0)))
        page.render(scale=scale, grayscale=True).to_pil().save(Path(out) / f"{i}.png")
        print(f"page {i} image", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1")
