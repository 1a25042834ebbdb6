"""The text of a document, page by page: plain text and Markdown as they are, HTML without
its markup, PDF through `pypdf` (its text layer; scanned pages come out empty)."""

from __future__ import annotations

import io
import logging
from html.parser import HTMLParser

MAX_DOCUMENT_BYTES = 64 * 2**20
MAX_PAGES = 2000
READABLE = ("text/plain", "text/markdown", "text/html", "application/pdf")


class Unreadable(ValueError):
    """A document of a type, or in a state, that gives no text."""


class _Text(HTMLParser):
    """The visible text of an HTML page, and its title."""

    SKIPPED = frozenset({"script", "style", "template", "noscript"})
    BREAKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "section", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(tag)
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open and self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "title":
            self.title += data.strip()
        elif not self.SKIPPED.intersection(self._open):
            self.parts.append(data)


def media_type_of(name: str, given: str) -> str:
    """The media type to read a document as: the given one, else by its name's ending."""
    if given in READABLE:
        return given
    ending = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    by_ending = {"md": "text/markdown", "markdown": "text/markdown", "txt": "text/plain"}
    by_ending |= {"html": "text/html", "htm": "text/html", "pdf": "application/pdf"}
    return by_ending.get(ending, given)


def read_pages(data: bytes, media_type: str) -> tuple[str, list[str]]:
    """(title found in the document or "", the text of each page)."""
    if media_type == "application/pdf":
        return _pdf(data)
    if media_type == "text/html":
        parser = _Text()
        parser.feed(data.decode("utf-8", errors="replace"))
        parser.close()
        return parser.title, ["".join(parser.parts)]
    if media_type in ("text/plain", "text/markdown") or media_type.startswith("text/"):
        text = data.decode("utf-8", errors="replace")
        first = text.lstrip().split("\n", 1)[0]
        title = first.lstrip("# ").strip() if first.startswith("#") else ""
        return title[:200], text.split("\f")
    raise Unreadable(f"cannot read {media_type or 'a file of unknown type'} (reads {READABLE})")


def _pdf(data: bytes) -> tuple[str, list[str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged PDF is reported, not logged
    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PAGES:
            raise Unreadable(f"a PDF of {len(reader.pages)} pages (at most {MAX_PAGES})")
        title = str(reader.metadata.get("/Title") or "") if reader.metadata else ""
        return title[:200], [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError) as exc:
        if isinstance(exc, Unreadable):
            raise
        raise Unreadable(f"not a readable PDF: {type(exc).__name__}: {exc}"[:300]) from None
