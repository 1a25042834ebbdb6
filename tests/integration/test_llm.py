"""Language models and embeddings on one running node, with the real SmolLM2-135M and
all-MiniLM-L6-v2: streamed answers, cancelling, the catalogue the mesh routes by, and the
Ollama and OpenAI APIs spoken to the official clients. The tiny model gets facts wrong: these
tests check the shape of what it says, never its truth."""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import TYPE_CHECKING, Any

import ollama
import openai
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request

from hearthnet.adapters.routes_models import ModelApi
from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import eventually, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime

QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Name three things to keep in an emergency kit."},
]


async def frames(runtime: NodeRuntime, ref: str, data: dict[str, Any], **params: str) -> list[Any]:
    return [f async for f in runtime.local_bus().stream(ref, data, params)]


@contextlib.asynccontextmanager
async def serving(home: Path) -> AsyncIterator[NodeRuntime]:
    """A running node answering HTTP on its port."""
    async with running(home) as runtime:
        port = int(runtime.url.rsplit(":", 1)[1])
        config = uvicorn.Config(Starlette(routes=runtime.routes), port=port, log_level="error")
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())

        async def started() -> bool:
            return server.started

        try:
            await eventually(started, "the node answers HTTP")
            yield runtime
        finally:
            server.should_exit = True
            await task


async def catalogue(runtime: NodeRuntime) -> dict[str, dict[str, Any]]:
    found = await runtime.local_bus().call("llm.models", {})
    return {m["name"]: m for m in found["models"]}


async def test_a_chat_streams_tokens_and_says_which_model_and_node_served_it(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        got = await frames(runtime, "llm.chat", {"messages": QUESTION, "max_tokens": 24})
        names = [name for name, _ in got]
        assert names[0] == "start" and names[-1] == "done" and "token" in names
        assert got[0][1]["model"] == "smollm2" and got[0][1]["node"] == runtime.me
        text = "".join(f["text"] for name, f in got if name == "token")
        done = got[-1][1]
        assert text.strip() and 0 < done["tokens_out"] <= 24 and done["tokens_in"] > 10
        assert done["stop_reason"] in ("end", "max_tokens")
        completed = await frames(
            runtime, "llm.complete", {"prompt": "Once upon a time", "max_tokens": 8}
        )
        assert completed[-1] == ("done", completed[-1][1]) and completed[-1][1]["tokens_out"] <= 8
        model = (await catalogue(runtime))["smollm2"]
        assert model["loaded"] and model["decode_tps"] > 0 and model["prefill_tps"] > 0
        assert model["quantisation"] == "Q4_1" and model["context_length"] == 2048


async def test_closing_a_stream_stops_the_generation(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        stream = runtime.local_bus().stream("llm.chat", {"messages": QUESTION, "max_tokens": 2000})
        async for name, _ in stream:
            if name == "token":
                break
        await stream.aclose()

        async def idle() -> bool:
            return (await catalogue(runtime))["smollm2"]["queue"] == 0

        await eventually(idle, "the cancelled generation left the queue")
        after = await frames(runtime, "llm.chat", {"messages": QUESTION, "max_tokens": 4})
        assert after[-1][0] == "done"


async def test_bad_calls_get_clear_errors(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        bus = runtime.local_bus()
        with pytest.raises(BusError) as empty:
            await bus.call("llm.models", {"everywhere": "yes please"})
        assert empty.value.code == "bad_request"
        refused = await frames(runtime, "llm.chat", {"messages": []})
        assert refused[-1][0] == "error" and refused[-1][1]["error"] == "bad_request"
        missing = await frames(runtime, "llm.chat", {"messages": QUESTION}, model="gpt-9")
        assert missing[-1][1]["error"] == "not_found"
        too_long = [{"role": "user", "content": "flood " * 5000}]
        over = await frames(runtime, "llm.chat", {"messages": too_long, "max_tokens": 4})
        assert over[-1][0] == "error" and over[-1][1]["error"] == "bad_request"
        with pytest.raises(BusError) as many:
            await bus.call("embed.text", {"texts": ["x"] * 257})
        assert many.value.code == "bad_request"
        fine = await frames(runtime, "llm.chat", {"messages": QUESTION, "max_tokens": 4})
        assert fine[-1][0] == "done", "the node serves on after bad calls"


async def test_embeddings_are_normalised_and_put_like_with_like(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        texts = [
            "The river is flooding the street.",
            "Water is rising on the road.",
            "I sell apples.",
        ]
        out = await runtime.local_bus().call("embed.text", {"texts": texts})
        assert out["dim"] == 384 and out["model"] == "all-MiniLM-L6-v2"
        a, b, c = out["embeddings"]
        assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-3) for v in (a, b, c))

        def cos(u: list[float], v: list[float]) -> float:
            return sum(x * y for x, y in zip(u, v, strict=True))

        assert cos(a, b) > cos(a, c) + 0.2


async def test_the_official_ollama_and_openai_clients_use_the_node(tmp_path: Path) -> None:
    async with serving(tmp_path) as runtime:
        url = runtime.url

        def with_ollama() -> dict[str, Any]:
            with ollama.Client(host=url) as client:
                return asked_ollama(client)

        def asked_ollama(client: ollama.Client) -> dict[str, Any]:
            listed = [m.model for m in client.list().models]
            one = client.chat("smollm2", messages=QUESTION, options={"num_predict": 8})
            parts = list(
                client.chat(
                    "smollm2:latest", messages=QUESTION, stream=True, options={"num_predict": 8}
                )
            )
            made = client.generate("smollm2", "The weather today", options={"num_predict": 6})
            vectors = client.embed("all-MiniLM-L6-v2", input=["a", "b"]).embeddings
            return {"listed": listed, "one": one, "parts": parts, "made": made, "vectors": vectors}

        seen = await asyncio.to_thread(with_ollama)
        assert "smollm2" in seen["listed"] and "all-MiniLM-L6-v2" in seen["listed"]
        assert seen["one"].done and seen["one"].message.content and seen["one"].eval_count <= 8
        assert seen["parts"][-1].done and any(p.message.content for p in seen["parts"][:-1])
        assert seen["made"].done and seen["made"].response
        assert len(seen["vectors"]) == 2 and len(seen["vectors"][0]) == 384

        def with_openai() -> dict[str, Any]:
            with openai.OpenAI(base_url=f"{url}/v1", api_key="unused-here") as client:
                return asked_openai(client)

        def asked_openai(client: openai.OpenAI) -> dict[str, Any]:
            ids = [m.id for m in client.models.list()]
            one = client.chat.completions.create(model="smollm2", messages=QUESTION, max_tokens=8)  # type: ignore[arg-type]
            chunks = list(
                client.chat.completions.create(
                    model="smollm2", messages=QUESTION, max_tokens=8, stream=True
                )  # type: ignore[arg-type]
            )
            vectors = client.embeddings.create(model="all-MiniLM-L6-v2", input=["a"]).data
            return {"ids": ids, "one": one, "chunks": chunks, "vectors": vectors}

        seen = await asyncio.to_thread(with_openai)
        assert "smollm2" in seen["ids"]
        assert seen["one"].choices[0].message.content and seen["one"].usage.completion_tokens <= 8
        assert seen["chunks"][-1].choices[0].finish_reason in ("stop", "length")
        assert len(seen["vectors"][0].embedding) == 384

        def missing_model() -> Exception:
            with openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0) as client:
                try:
                    client.chat.completions.create(model="gpt-9", messages=QUESTION)  # type: ignore[arg-type]
                except openai.NotFoundError as exc:
                    return exc
            raise AssertionError("a model no node serves was answered")

        assert "gpt-9" in str(await asyncio.to_thread(missing_model))


def test_other_machines_need_the_api_token() -> None:
    def request(host: str, token: str = "") -> Request:
        headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
        return Request({"type": "http", "client": (host, 5000), "headers": headers})

    closed = ModelApi(bus=None, token=lambda: "")  # type: ignore[arg-type]
    assert closed.allowed(request("127.0.0.1")) and not closed.allowed(request("10.0.0.7"))
    assert not closed.allowed(request("10.0.0.7", "anything"))
    opened = ModelApi(bus=None, token=lambda: "s3cret")  # type: ignore[arg-type]
    assert opened.allowed(request("10.0.0.7", "s3cret"))
    assert not opened.allowed(request("10.0.0.7", "s3cre"))


async def test_the_board_search_finds_a_post_by_its_meaning(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        bus = runtime.local_bus()
        for title, body in (
            ("Firewood to give away", "Dry split logs, bring a bag."),
            ("Bicycle repair", "I fix flat tyres and brakes."),
            ("Ladder to lend", "A 4 m aluminium ladder."),
        ):
            post = {"title": title, "body": body, "client_id": title[:8].lower()}
            await bus.call("market.post", post)
        found = await bus.call("market.search", {"query": "fuel for my wood stove"})
        assert found["ranking"] == "semantic+keyword"
        assert found["posts"][0]["title"] == "Firewood to give away"
        assert "Ladder to lend" not in [p["title"] for p in found["posts"]]
        worded = await bus.call("market.search", {"query": "ladder"})
        assert worded["posts"][0]["title"] == "Ladder to lend"


async def test_a_call_that_asks_for_no_stream_gets_one_answer(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        data = {"messages": QUESTION, "max_tokens": 6, "stream": False}
        answer = await runtime.bus.call("llm.chat", runtime.me, "self", {}, data)
        assert answer["output"]["message"]["role"] == "assistant"
        assert answer["output"]["message"]["content"] and answer["output"]["tool_calls"] == []
        meta = answer["meta"]
        assert meta["model"] == "smollm2" and meta["node"] == runtime.me
        assert 0 < meta["tokens_out"] <= 6 and meta["stop_reason"] in ("end", "max_tokens")
        done = await runtime.local_bus().call("llm.complete", {"prompt": "Rain", "max_tokens": 3})
        assert set(done) == {"text"}


async def test_a_node_serves_several_models_and_a_pin_picks_one(tmp_path: Path) -> None:
    from hearthnet.adapters.llama_models import model_path
    from hearthnet.adapters.onboarding import found_community
    from hearthnet.adapters.runtime import RunOptions
    from hearthnet.bootstrap import node_runtime, open_node
    from tests.e2e.cluster import free_port

    second = tmp_path / "tiny.Q4_1.gguf"
    second.symlink_to(model_path("smollm2"))
    node = open_node(tmp_path / "node", create_key=True)
    found_community(node, "Zwei Modelle")
    node.config.models = ["smollm2", str(second)]
    runtime = node_runtime(node, RunOptions(port=free_port(), discovery=False))
    await runtime.start()
    try:
        served = await catalogue(runtime)
        assert {"smollm2", "tiny.Q4_1"} <= set(served) and served["tiny.Q4_1"][
            "quantisation"
        ] == "Q4_1"
        got = await frames(
            runtime, "llm.chat", {"messages": QUESTION, "max_tokens": 3}, model="tiny.Q4_1"
        )
        assert got[0] == ("start", got[0][1]) and got[0][1]["model"] == "tiny.Q4_1"
        manifest = runtime.manifest()
        [chat] = [d for d in manifest["capabilities"] if d["name"] == "llm.chat"]  # type: ignore[index, union-attr]
        assert {m["name"] for m in chat["params"]["models"]} == {"smollm2", "tiny.Q4_1"}
    finally:
        await runtime.stop()
        node.close()
