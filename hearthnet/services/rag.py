"""Retrieval over the community's documents: ingest a stored file into a corpus, query a
corpus by meaning, list the corpora.

The node's operator ingests (a node signs only for its operator), and only the ingestions
of trusted members' nodes count. Ingesting is recorded on the log (`rag.document.ingested`),
so every node builds its own index from the log and the files: a reaction indexes each
document a trusted member ingested that this node has not indexed with its current
embedding model (fetching the file from its holders if need be). Changing the embedding
model therefore re-indexes. Embeddings
come from `embed.text`, this node's model or the mesh's.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import rag
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.services.bus import Capability
from hearthnet.services.context import own_level

if TYPE_CHECKING:
    from hearthnet.domain.files import Files
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

log = logging.getLogger("hearthnet")
RETRY_S = 60.0
"""How long a document that could not be indexed waits before the next try."""
INGESTERS = "SELECT node_id FROM members WHERE status = 'active' AND level IN ('trusted', 'anchor')"
"""Whose ingestions count: trusted members' (the trust `rag.ingest` asks of its callers)."""


def _library(node: NodeContext) -> rag.Library:
    library: rag.Library | None = getattr(node, "library", None)
    if library is None:
        raise BusError("not_found", "this node keeps no document index")
    return library


def _files(node: NodeContext) -> Files:
    files: Files | None = getattr(node, "files", None)
    if files is None:
        raise BusError("not_found", "this node keeps no files")
    return files


async def _fetched(node: NodeContext, doc_cid: str) -> None:
    """Have a document's file here whole, from the members who hold it."""
    files = _files(node)
    if any(f["id"] == doc_cid and f["complete"] for f in await files.stored(doc_cid)):
        return
    rows = await node.query(
        "SELECT holder FROM file_holders WHERE file_id = :id AND held = 1 AND holder != :me",
        {"id": doc_cid, "me": node.me},
    )
    if not rows:
        raise BusError("not_found", f"no member advertises {doc_cid}")
    await files.fetch(doc_cid, [r["holder"] for r in rows], "", lambda _: None)


async def _embedding_model(node: NodeContext) -> str:
    """The model embeddings come from: this node's, else the first the mesh offers."""
    models = (await node.call("llm.models", {"everywhere": True}))["models"]
    found = [str(m["name"]) for m in models if m["kind"] == "embed"]
    if not found:
        raise BusError("not_found", "no node of the mesh serves embeddings")
    return found[0]


async def _embed(node: NodeContext, texts: list[str]) -> tuple[str, list[list[float]]]:
    """Vectors of the texts from `embed.text` (here or on the mesh), batch by batch."""
    model, vectors = "", []
    for batch in rag.batches(texts):
        output = await node.call("embed.text", {"texts": batch})
        model = str(output["model"])
        vectors += output["embeddings"]
    return model, vectors


async def _index(
    node: NodeContext, corpus: str, doc_cid: str, media_type: str, title: str
) -> dict[str, Any]:
    """Read, cut, embed and index a document; the title given, else its own."""
    library = _library(node)
    own_title, pages = await library.read(doc_cid, media_type)
    title = title or own_title
    found = rag.passages(pages)
    model, vectors = await _embed(node, [p.text for p in found]) if found else ("", [])
    await library.add(corpus, doc_cid, title, model, found, vectors)
    tokens = sum(len(p.text.split()) for p in found)
    return {"title": title, "chunks": len(found), "tokens": tokens, "model": model}


async def _documents(node: NodeContext, corpus: str = "") -> list[dict[str, Any]]:
    """Each (corpus, document) trusted members ingested, by its first ingestion."""
    rows = await node.query(
        "SELECT * FROM rag_documents WHERE author IN (" + INGESTERS + ") "
        "AND (:corpus = '' OR corpus = :corpus) ORDER BY lamport, event_id",
        {"corpus": corpus},
    )
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        first.setdefault((r["corpus"], r["doc_cid"]), r)
    return list(first.values())


async def ingest(call: Call, node: NodeContext) -> dict[str, Any]:
    q: rag.Ingest = call.input
    corpus = call.params_as(rag.Corpus).corpus
    done = [d for d in await _documents(node, corpus) if d["doc_cid"] == q.doc_cid]
    if done:
        d = done[0]
        return {"doc_cid": q.doc_cid, "chunks_indexed": d["chunks"], "tokens_indexed": d["tokens"]}
    if await own_level(node) not in ("trusted", "anchor"):
        raise BusError("unauthorized", "documents are ingested by trusted members' nodes")
    stored = next((f for f in await _files(node).stored(q.doc_cid) if f["id"] == q.doc_cid), None)
    if stored is None or not stored["complete"]:
        raise BusError("not_found", f"{q.doc_cid} is not held whole here: put or get it first")
    media_type = stored["media_type"]
    async with node.serial("rag"):
        indexed = await _index(node, corpus, q.doc_cid, media_type, q.title)
        body = rag.Ingested(
            corpus=corpus,
            doc_cid=q.doc_cid,
            title=indexed["title"][:200],
            language=q.language,
            media_type=media_type,
            size_bytes=stored["size_bytes"],
            chunks=indexed["chunks"],
            tokens=indexed["tokens"],
            embedding_model=indexed["model"],
        )
        recorded = await node.append(rag.INGESTED, encode_body(body))
    return {
        "doc_cid": q.doc_cid,
        "chunks_indexed": indexed["chunks"],
        "tokens_indexed": indexed["tokens"],
        "ingest_event_id": recorded.id.hex(),
    }


async def query(call: Call, node: NodeContext) -> dict[str, Any]:
    q: rag.Query = call.input
    corpus = call.params_as(rag.Corpus).corpus
    started = time.perf_counter()
    model, [vector] = await _embed(node, [q.query])
    found = await _library(node).search(corpus, model, vector, q.k)
    chunks = [
        {
            "rank": rank,
            "score": round(float(hit["score"]), 4),
            "text": hit["text"] if q.include_text else "",
            "metadata": {
                "doc_cid": hit["doc_cid"],
                "doc_title": hit["title"],
                "page": hit["page"],
                "chunk_id": f"{hit['doc_cid']}#{hit['chunk']}",
            },
        }
        for rank, hit in enumerate(found, 1)
    ]
    ms = round((time.perf_counter() - started) * 1000, 2)
    return {"chunks": chunks, "corpus": corpus, "embedding_model": model, "ms": ms}


async def list_corpora(call: Call, node: NodeContext) -> dict[str, Any]:
    corpora: dict[str, dict[str, Any]] = {}
    indexed = await _library(node).indexed() if getattr(node, "library", None) else {}
    for d in await _documents(node):
        c = corpora.setdefault(
            d["corpus"],
            {"name": d["corpus"], "docs": 0, "chunks": 0, "size_bytes": 0, "languages": {}},
        )
        c["docs"] += 1
        c["chunks"] += d["chunks"]
        c["size_bytes"] += d["size_bytes"]
        c["indexed_here"] = c.get("indexed_here", 0) + ((d["corpus"], d["doc_cid"]) in indexed)
        c.setdefault("documents", []).append(
            {k: d[k] for k in ("doc_cid", "title", "language", "media_type", "chunks", "author")}
        )
        if d["language"]:
            c["languages"][d["language"]] = c["languages"].get(d["language"], 0) + 1
    for c in corpora.values():
        languages = c.pop("languages")
        c["language_majority"] = max(languages, key=languages.get) if languages else ""
    return {"corpora": sorted(corpora.values(), key=lambda c: c["name"])}


_failed: dict[tuple[str, str, str], float] = {}


async def index_from_log(node: NodeContext) -> None:
    """Have the documents trusted members ingested indexed here, in the background."""
    library: rag.Library | None = getattr(node, "library", None)
    if library is not None and not node.serial("rag").locked() and await _documents(node):
        node.later(_index_missing(node, library))


async def _index_missing(node: NodeContext, library: rag.Library) -> None:
    """Index the documents that this node has not indexed with its embedding model; fetch a
    file from its holders first if it is not here."""
    documents = await _documents(node)
    async with node.serial("rag"):
        indexed = await library.indexed()
        try:
            model = await _embedding_model(node)
        except BusError:
            return
        for d in documents:
            key = (d["corpus"], d["doc_cid"], node.me)
            if indexed.get((d["corpus"], d["doc_cid"])) == model:
                continue
            if time.monotonic() - _failed.get(key, -RETRY_S) < RETRY_S:
                continue
            try:
                await _fetched(node, d["doc_cid"])
                await _index(node, d["corpus"], d["doc_cid"], d["media_type"], d["title"])
            except BusError as exc:
                _failed[key] = time.monotonic()
                log.warning("document %s not indexed: %s", d["doc_cid"], exc.message)


CAPABILITIES = (
    Capability("rag.ingest", "self", rag.Ingest, ingest),
    Capability("rag.query", "member", rag.Query, query, idempotent=True),
    Capability("rag.list_corpora", "member", msgspec.Struct, list_corpora, idempotent=True),
)
