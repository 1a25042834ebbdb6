"""What a hostile member tries against the AI services of a node, with the real models: to
queue up the node's model for everyone, to have it ask the mesh on the member's behalf, to
sign an ingestion in its name, to plant documents in a corpus, to reach the Ollama API from
another machine. Each is refused; the node serves on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import running
from tests.integration.test_governance import join

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator
    from pathlib import Path

LONG = {"messages": [{"role": "user", "content": "Tell a long story."}], "max_tokens": 2000}


async def first_frame(frames: AsyncGenerator[tuple[str, Any], None]) -> tuple[str, Any]:
    async for frame in frames:
        return frame
    raise AssertionError("no frame")


async def test_a_member_cannot_queue_up_the_model_or_route_through_the_node(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        mallory = await join(runtime, 66, "Mallory")
        bus = runtime.bus

        def as_mallory(
            params: dict[str, Any] | None = None,
        ) -> AsyncGenerator[tuple[str, Any], None]:
            return bus.stream("llm.chat", mallory.id, "member", params or {}, LONG)

        held = [as_mallory(), as_mallory()]
        for stream in held:
            assert (await first_frame(stream))[0] == "start"
        third = [f async for f in as_mallory()]
        assert third == [("error", third[0][1])] and third[0][1]["error"] == "rate_limited"
        await held[0].aclose()
        again = as_mallory()
        assert (await first_frame(again))[0] == "start", "a slot is free once a call ends"
        await again.aclose()
        await held[1].aclose()

        elsewhere = [f async for f in as_mallory({"model": "llama3:70b"})]
        assert elsewhere[-1][1]["error"] == "not_found", "a peer's call is never routed on"
        everywhere = await bus.call("llm.models", mallory.id, "member", {}, {"everywhere": True})
        assert {m["node"] for m in everywhere["output"]["models"]} == {runtime.me}
        own = [f async for f in runtime.local_bus().stream("llm.chat", {**LONG, "max_tokens": 4})]
        assert own[-1][0] == "done", "the operator is served all along"


async def test_a_member_cannot_ingest_through_the_node(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        mallory = await join(runtime, 66, "Mallory", "trusted")
        doc = tmp_path / "doc.md"
        doc.write_text("# Notice\n\nThe water is safe to drink.")
        put = await runtime.local_bus().call("file.put", {"path": str(doc)})
        with pytest.raises(BusError) as refused:
            await runtime.bus.call(
                "rag.ingest", mallory.id, "trusted", {"corpus": "notices"}, {"doc_cid": put["id"]}
            )
        assert refused.value.code == "unauthorized"
        rows = await runtime.reader.query("SELECT count(*) AS n FROM rag_documents", {})
        assert rows[0]["n"] == 0
