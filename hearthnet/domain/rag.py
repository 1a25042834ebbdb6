"""Retrieval over the community's documents: corpora of files, cut into overlapping passages,
embedded and searched by meaning. Ingesting a document is an event, so every node can build
its own index from the log and the files."""

from __future__ import annotations

import re
from typing import Annotated, Any, Protocol

import msgspec

from hearthnet.domain.types import FileId

INGESTED = "rag.document.ingested"

CorpusName = Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Title = Annotated[str, msgspec.Meta(max_length=200)]
Language = Annotated[str, msgspec.Meta(max_length=16)]

PASSAGE_CHARS = 1000
OVERLAP_CHARS = 200
EMBED_BATCH = 64
"""Passages embedded per call (embed.text takes 256 at most)."""


class Ingested(msgspec.Struct, frozen=True, kw_only=True):
    """`rag.document.ingested`: a stored file joined a corpus."""

    corpus: CorpusName
    doc_cid: FileId
    title: Title = ""
    language: Language = ""
    media_type: Annotated[str, msgspec.Meta(max_length=100)] = ""
    size_bytes: Annotated[int, msgspec.Meta(ge=0)] = 0
    chunks: Annotated[int, msgspec.Meta(ge=0)] = 0
    tokens: Annotated[int, msgspec.Meta(ge=0)] = 0
    embedding_model: Annotated[str, msgspec.Meta(max_length=200)] = ""


EVENTS: dict[str, type[msgspec.Struct]] = {INGESTED: Ingested}


class Corpus(msgspec.Struct, frozen=True, kw_only=True):
    """The params of the calls on one corpus."""

    corpus: CorpusName


class Ingest(msgspec.Struct, frozen=True, kw_only=True):
    """`rag.ingest@1.0`: a file this node holds, into the corpus of the params."""

    doc_cid: FileId
    title: Title = ""
    language: Language = ""
    metadata: dict[str, Annotated[str, msgspec.Meta(max_length=200)]] = {}


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """`rag.query@1.0`: the passages of the corpus nearest in meaning to a question."""

    query: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    k: Annotated[int, msgspec.Meta(ge=1, le=20)] = 5
    include_text: bool = True


class Passage(msgspec.Struct, frozen=True):
    """A stretch of a document: its page (1-based) and its number in the document."""

    page: int
    number: int
    text: str


_SPACE = re.compile(r"\s+")


def _cut(text: str) -> list[str]:
    """Windows of about PASSAGE_CHARS that overlap by about OVERLAP_CHARS, cut at spaces."""
    windows, start = [], 0
    while start < len(text):
        end = min(start + PASSAGE_CHARS, len(text))
        if end < len(text):
            space = text.rfind(" ", start + PASSAGE_CHARS // 2, end)
            end = space if space > 0 else end
        windows.append(text[start:end].strip())
        if end >= len(text):
            break
        following = end - OVERLAP_CHARS
        space = text.find(" ", following, end)
        start = space + 1 if space > 0 else following
    return [w for w in windows if w]


def passages(pages: list[str]) -> list[Passage]:
    """A document's pages as overlapping passages, numbered through the document."""
    found: list[Passage] = []
    for page, text in enumerate(pages, 1):
        for window in _cut(_SPACE.sub(" ", text).strip()):
            found.append(Passage(page, len(found), window))
    return found


def batches(items: list[str], size: int = EMBED_BATCH) -> list[list[str]]:
    """Items in runs of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


class Library(Protocol):
    """A node's document index (a port: text extraction and the vector store behind it)."""

    async def read(self, doc_cid: str, media_type: str) -> tuple[str, list[str]]:
        """(title, the text of each page) of a whole stored file (bad_request: a type it
        cannot read)."""
        ...

    async def indexed(self) -> dict[tuple[str, str], str]:
        """(corpus, document) -> the embedding model it is indexed with."""
        ...

    async def add(
        self,
        corpus: str,
        doc_cid: str,
        title: str,
        model: str,
        found: list[Passage],
        vectors: list[list[float]],
    ) -> None:
        """Index a document's passages (replacing what it had)."""
        ...

    async def search(
        self, corpus: str, model: str, vector: list[float], k: int
    ) -> list[dict[str, Any]]:
        """The k passages nearest to the vector: {score, text, doc_cid, title, page, chunk}."""
        ...


GROUNDING = (
    "You are a helpful assistant for a neighbourhood. Answer from the numbered sources below "
    "and cite them like [1]. If they do not hold the answer, say so."
)
ASSISTANT = "You are a helpful assistant for a neighbourhood. Answer briefly."
SOURCE_CHARS = 600
"""How much of each passage goes into the prompt (a small model's context is short)."""


def grounded(question: str, chunks: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The chat messages that ask a question with the retrieved passages as numbered sources
    (`rag.query`'s chunks; none: the question alone)."""
    if not chunks:
        return [{"role": "system", "content": ASSISTANT}, {"role": "user", "content": question}]
    sources = "\n\n".join(
        f"[{c['rank']}] {c['metadata']['doc_title']}, page {c['metadata']['page']}:\n"
        f"{c['text'][:SOURCE_CHARS]}"
        for c in chunks
    )
    return [
        {"role": "system", "content": f"{GROUNDING}\n\n{sources}"},
        {"role": "user", "content": question},
    ]
