"""Text read from images and scanned documents (SPEC M17): the calls, what a reading is, and
the event that makes a document's text findable by every node."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Protocol

import msgspec

from hearthnet.domain.types import FileId

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

INDEXED = "ocr.document.indexed"

MAX_PAGES = 50
"""Pages one `ocr.pdf` call reads."""
LOW_QUALITY = 0.6
"""Below this mean confidence a page is flagged as poorly read."""
EXCERPT_CHARS = 3000
"""The text carried on the log, for search; the whole text is a file."""

Lang = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{3}$")]
"""An ISO 639-2 code, as Tesseract names its languages (eng, deu)."""


class Indexed(msgspec.Struct, frozen=True, kw_only=True):
    """`ocr.document.indexed`: the text a node read from a file it shared."""

    doc_cid: FileId
    text_cid: FileId | None = None
    """The whole text as a file (a photo's short text is whole in `excerpt`)."""
    pages: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    languages: Annotated[list[Lang], msgspec.Meta(max_length=8)] = []
    ocr_backend: Annotated[str, msgspec.Meta(max_length=40)] = ""
    ocr_node: Annotated[str, msgspec.Meta(max_length=80)] = ""
    excerpt: Annotated[str, msgspec.Meta(max_length=EXCERPT_CHARS)] = ""


EVENTS: dict[str, type[msgspec.Struct]] = {INDEXED: Indexed}


class Languages(msgspec.Struct, frozen=True, kw_only=True):
    """The params of an OCR call: the languages of the text (empty: the serving node's own)."""

    languages: Annotated[list[Lang], msgspec.Meta(max_length=8)] = []
    here_only: bool = False
    """Read on this node or not at all (a private photo)."""


class Image(msgspec.Struct, frozen=True, kw_only=True):
    """`ocr.image@1.0`: read the text of a stored image (`key` opens a sealed one, a private
    message's photo: it is read on this node only)."""

    image_cid: FileId
    key: Annotated[bytes, msgspec.Meta(max_length=32)] = b""


class Pdf(msgspec.Struct, frozen=True, kw_only=True):
    """`ocr.pdf@1.0`: read a stored PDF, its text layer where it has one (unless `force_ocr`),
    through OCR where not; `store_text` keeps the text as a file and records it on the log."""

    doc_cid: FileId
    page_range: (
        tuple[Annotated[int, msgspec.Meta(ge=1)], Annotated[int, msgspec.Meta(ge=1)]] | None
    ) = None
    store_text: bool = False
    force_ocr: bool = False


class Block(msgspec.Struct, frozen=True):
    """A paragraph of read text, its box (left, top, width, height) in pixels, its confidence."""

    text: str
    bbox: tuple[int, int, int, int]
    confidence: float


class Reading(msgspec.Struct, frozen=True):
    """What OCR read on one image or page."""

    text: str
    blocks: list[Block]
    confidence: float
    """Mean word confidence, 0..1 (1.0 for a page's own text layer)."""


class Page(msgspec.Struct, frozen=True):
    """One page of a PDF as read: from its text layer, or through OCR."""

    page: int
    total: int
    reading: Reading
    source: str
    """"text_layer" or "ocr"."""


class Reader(Protocol):
    """An OCR engine with the languages it reads."""

    backend: str

    def languages(self) -> list[str]:
        """The ISO 639-2 codes it reads."""
        ...

    async def image(self, path: str, languages: list[str]) -> Reading:
        """Read an image file; ValueError if it is not a readable image."""
        ...

    def pdf(
        self, path: str, first: int, last: int, languages: list[str], force_ocr: bool
    ) -> AsyncIterator[Page]:
        """Read pages first..last (1-based, clipped to the document); ValueError if it is
        not a readable PDF."""
        ...


def page_span(wanted: tuple[int, int] | None) -> tuple[int, int]:
    """The pages a call reads: its range, or the first MAX_PAGES; ValueError when reversed or
    longer than MAX_PAGES."""
    if wanted is None:
        return 1, MAX_PAGES
    first, last = wanted
    if last < first:
        raise ValueError(f"page range {first}-{last} is reversed")
    if last - first + 1 > MAX_PAGES:
        raise ValueError(f"at most {MAX_PAGES} pages per call, not {last - first + 1}")
    return first, last


def serves(languages: list[str], wanted: list[str]) -> bool:
    """Whether a node reading `languages` reads all of `wanted`."""
    return set(wanted) <= set(languages)


def excerpt(text: str) -> str:
    """The searchable excerpt of a text: whitespace folded, cut to EXCERPT_CHARS."""
    return re.sub(r"\s+", " ", text).strip()[:EXCERPT_CHARS]
