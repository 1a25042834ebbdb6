"""Retrieval on one running node with the real all-MiniLM-L6-v2: documents in text,
Markdown, HTML and PDF ingested into a corpus and found again by meaning with their
citations; ingestions of other trusted members indexed from the log; what does not count."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from fpdf import FPDF

from hearthnet.domain import rag
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import eventually, running
from tests.integration.test_governance import join, write

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime

GENERATOR = (
    "# Generator manual\n\n"
    + (
        "The emergency generator in the community hall runs on diesel. Open the fuel valve, set "
        "the choke, and pull the starter cord twice. Let it warm up for two minutes. "
    )
    * 3
)
PUMPS = (
    "<html><head><title>Flood pumps</title><style>p{}</style></head><body><p>The two water "
    "pumps are kept in the basement of the fire station.</p><script>alert(1)</script></body></html>"
)


def pdf(path: Path) -> Path:
    doc = FPDF()
    for text in (
        "The library opens at nine on weekdays.",
        "The shelter is the school gym on Hauptstrasse.",
    ):
        doc.add_page()
        doc.set_font("helvetica", size=12)
        doc.multi_cell(0, 10, text)
    doc.output(str(path))
    return path


async def put(runtime: NodeRuntime, path: Path, text: str | bytes) -> str:
    if isinstance(text, str):
        path.write_text(text)
    elif text:
        path.write_bytes(text)
    return str((await runtime.local_bus().call("file.put", {"path": str(path)}))["id"])


async def ingest(runtime: NodeRuntime, cid: str, corpus: str = "manuals") -> dict[str, Any]:
    return await runtime.local_bus().call("rag.ingest", {"doc_cid": cid}, {"corpus": corpus})


async def ask(runtime: NodeRuntime, text: str, corpus: str = "manuals") -> list[dict[str, Any]]:
    out = await runtime.local_bus().call("rag.query", {"query": text, "k": 3}, {"corpus": corpus})
    chunks: list[dict[str, Any]] = out["chunks"]
    return chunks


async def ingestions(runtime: NodeRuntime) -> int:
    rows = await runtime.reader.query("SELECT count(*) AS n FROM rag_documents", {})
    return int(rows[0]["n"])


async def test_documents_are_found_by_meaning_with_their_citations(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        manual = await put(runtime, tmp_path / "generator.md", GENERATOR)
        pumps = await put(runtime, tmp_path / "pumps.html", PUMPS)
        shelter = await put(runtime, pdf(tmp_path / "shelter.pdf"), b"")
        first = await ingest(runtime, manual)
        assert first["chunks_indexed"] >= 1 and first["ingest_event_id"]
        await ingest(runtime, pumps)
        await ingest(runtime, shelter)
        again = await ingest(runtime, manual)
        assert "ingest_event_id" not in again and await ingestions(runtime) == 3

        [best, *_] = await ask(runtime, "Where are the water pumps kept?")
        assert best["metadata"]["doc_title"] == "Flood pumps" and best["rank"] == 1
        assert "alert(1)" not in best["text"] and "basement" in best["text"]
        [best, *_] = await ask(runtime, "How do I start the generator?")
        assert best["metadata"]["doc_cid"] == manual
        assert best["metadata"]["doc_title"] == "Generator manual"
        [best, *_] = await ask(runtime, "Where is the emergency shelter?")
        assert best["metadata"]["doc_cid"] == shelter and best["metadata"]["page"] == 2

        [corpus] = (await runtime.local_bus().call("rag.list_corpora", {}))["corpora"]
        assert corpus["name"] == "manuals" and corpus["docs"] == 3 and corpus["indexed_here"] == 3
        assert await ask(runtime, "pumps", corpus="elsewhere") == []


async def test_what_cannot_be_read_is_refused_and_nothing_is_recorded(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        image = await put(runtime, tmp_path / "photo.png", b"\x89PNG\r\n\x1a\n" + bytes(200))
        broken = await put(runtime, tmp_path / "broken.pdf", b"%PDF-1.7\n" + bytes(300))
        for cid in (image, broken):
            with pytest.raises(BusError) as refused:
                await ingest(runtime, cid)
            assert refused.value.code == "bad_request"
        with pytest.raises(BusError) as absent:
            await ingest(runtime, "blake3:" + "ab" * 32)
        assert absent.value.code == "not_found"
        with pytest.raises(BusError) as named:
            await runtime.local_bus().call("rag.query", {"query": "x"}, {"corpus": "../etc"})
        assert named.value.code == "bad_request"
        assert await ingestions(runtime) == 0


async def test_only_the_operator_ingests_and_only_trusted_nodes_count(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        bert = await join(runtime, 41, "Bert", "trusted")
        mallory = await join(runtime, 42, "Mallory", "member")
        manual = await put(runtime, tmp_path / "generator.md", GENERATOR)
        with pytest.raises(BusError) as asked:
            await runtime.bus.call(
                "rag.ingest", bert.id, "trusted", {"corpus": "manuals"}, {"doc_cid": manual}
            )
        assert asked.value.code == "unauthorized", "a node signs only for its operator"
        poison = rag.Ingested(corpus="manuals", doc_cid=manual, title="Poison", chunks=1)
        await write(runtime, mallory, rag.INGESTED, encode_body(poison))
        assert (await runtime.local_bus().call("rag.list_corpora", {}))["corpora"] == []

        given = rag.Ingested(corpus="manuals", doc_cid=manual, title="From Bert", chunks=1)
        await write(runtime, bert, rag.INGESTED, encode_body(given))

        async def indexed() -> list[dict[str, Any]]:
            return await ask(runtime, "How do I start the generator?")

        [best, *_] = await eventually(indexed, "Bert's document indexed from the log")
        assert best["metadata"]["doc_cid"] == manual


async def test_a_new_embedding_model_reindexes(tmp_path: Path) -> None:
    home = tmp_path / "node"
    async with running(home) as runtime:
        manual = await put(runtime, tmp_path / "generator.md", GENERATOR)
        await ingest(runtime, manual)
    with contextlib.closing(duckdb.connect(str(home / "rag.duckdb"))) as db:
        db.execute("UPDATE documents SET model = 'older-model'")
        db.execute("UPDATE passages SET model = 'older-model'")
    async with running(home) as runtime:

        async def reindexed() -> list[dict[str, Any]]:
            return await ask(runtime, "How do I start the generator?")

        [best, *_] = await eventually(reindexed, "the document indexed with the current model")
        assert best["metadata"]["doc_cid"] == manual
