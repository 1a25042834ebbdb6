"""The language model and embedding capabilities, served by whichever node does it best.

A call from this node's operator is routed: every node serving the model (this one
included) is asked for its live catalogue, each offer is costed by its expected completion
time (`domain.llm.expected_ms`), and the call goes to the cheapest, or to the model or node
the caller pins. A node that fails before its first token is left for the next; once tokens
flow, a failure ends the stream. A call from a peer is served here or not at all, so calls
never bounce between nodes. Closing the stream cancels the generation wherever it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import llm
from hearthnet.domain.capability import ERROR_STATUS, BusError
from hearthnet.services.bus import Capability

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from hearthnet.services.bus import Call, Remote
    from hearthnet.services.context import NodeContext

CATALOGUE_TIMEOUT_S = 2.0
CALLS_PER_PEER = 2
"""Generations one peer may have running or waiting here at once: a member cannot queue the
node's models up for everyone else."""
FAIL_OVER = frozenset({"timeout", "partition", "internal_error", "rate_limited", "not_found"})
"""Failures before the first token after which the next node is tried."""


def _models(node: NodeContext) -> llm.LanguageModels | None:
    models: llm.LanguageModels | None = getattr(node, "models", None)
    return models


def _bus_error(data: Any) -> BusError:
    code = str(data.get("error", "")) if isinstance(data, dict) else ""
    message = str(data.get("message", ""))[:300] if isinstance(data, dict) else ""
    return BusError(code if code in ERROR_STATUS else "internal_error", message)


async def _catalogue_of(remote: Remote) -> tuple[Remote, list[llm.ModelInfo], float]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(CATALOGUE_TIMEOUT_S):
            answer = await remote.call("llm.models@1.0", {}, {})
        output = answer.get("output") or {}
        models = msgspec.convert(output.get("models", []), list[llm.ModelInfo], strict=False)
    except (BusError, TimeoutError, msgspec.ValidationError, AttributeError):
        return remote, [], 0.0
    return remote, models, (time.perf_counter() - started) * 1000


async def _peer_catalogues(node: NodeContext) -> list[tuple[Remote, list[llm.ModelInfo], float]]:
    remotes = await node.remotes("llm.models")
    return list(await asyncio.gather(*(_catalogue_of(r) for r in remotes)))


async def _offers(node: NodeContext, q: llm.Chat | llm.Complete) -> list[llm.Offer]:
    prompt = llm.prompt_tokens(q)
    offers: list[llm.Offer] = []
    models = _models(node)
    if models is not None:
        for m in await models.catalogue():
            if m.kind == "chat":
                offers.append(llm.Offer(node.me, m, llm.expected_ms(m, prompt, q.max_tokens, 0)))
    for remote, catalogue, rtt in await _peer_catalogues(node):
        for m in catalogue:
            if m.kind == "chat":
                cost = llm.expected_ms(m, prompt, q.max_tokens, rtt)
                offers.append(llm.Offer(remote.peer_id, m, cost))
    return offers


def _serve_here(
    node: NodeContext, model: str, q: llm.Chat | llm.Complete
) -> AsyncGenerator[tuple[str, Any], None]:
    models = _models(node)
    if models is None:
        raise BusError("not_found", "this node serves no models")
    return models.generate(model, q)


async def _routed(
    node: NodeContext, ref: str, q: llm.Chat | llm.Complete, pins: llm.Pins
) -> AsyncGenerator[tuple[str, Any], None]:
    ranked = llm.rank(await _offers(node, q), pins)
    if not ranked:
        wanted = pins.model or "a language model"
        where = f" on {pins.node}" if pins.node else ""
        raise BusError("not_found", f"no node of the mesh serves {wanted}{where}")
    remotes = {r.peer_id: r for r in await node.remotes("llm.models")}
    failed: list[dict[str, str]] = []
    for offer in ranked:
        if offer.node == node.me:
            frames = _serve_here(node, offer.model.name, q)
        elif offer.node in remotes:
            raw = msgspec.to_builtins(q)
            frames = remotes[offer.node].stream(ref, {"model": offer.model.name}, raw)
        else:
            continue
        started = False
        async with contextlib.aclosing(frames):
            try:
                async for name, data in frames:
                    if name == "error":
                        raise _bus_error(data)
                    if name == "start":
                        continue
                    if not started:
                        started = True
                        yield (
                            "start",
                            {
                                "model": offer.model.name,
                                "node": offer.node,
                                "expected_ms": round(offer.cost_ms, 1),
                                "failed": failed,
                            },
                        )
                    yield name, data
                    if name == "done":
                        return
                if started:
                    return
                raise BusError("partition", "the stream ended before its first token")
            except BusError as exc:
                if started or exc.code not in FAIL_OVER:
                    raise
                failed.append({"node": offer.node, "error": exc.code, "message": exc.message})
    raise BusError("partition", f"every node serving {ranked[0].model.name} failed: {failed}")


async def _generate(call: Call, node: NodeContext) -> AsyncGenerator[tuple[str, Any], None]:
    pins = call.params_as(llm.Pins)
    ref = "llm.chat@1.0" if isinstance(call.input, llm.Chat) else "llm.complete@1.0"
    if call.level == "self":
        frames = _routed(node, ref, call.input, pins)
        async with contextlib.aclosing(frames):
            async for frame in frames:
                yield frame
        return
    models = _models(node)  # a peer's call: this node serves it, or says it cannot
    here = [m.name for m in await models.catalogue() if m.kind == "chat"] if models else []
    model = pins.model or (here[0] if here else "")
    if model not in here:
        raise BusError("not_found", f"no model {model[:80]!r} here")
    slots = (node.serial(f"llm.peer.{i}.{call.caller}") for i in range(CALLS_PER_PEER))
    slot = next((s for s in slots if not s.locked()), None)
    if slot is None:
        raise BusError("rate_limited", f"{CALLS_PER_PEER} generations at once per node")
    async with slot:
        yield "start", {"model": model, "node": node.me}
        async with contextlib.aclosing(_serve_here(node, model, call.input)) as frames:
            async for frame in frames:
                yield frame


async def chat(call: Call, node: NodeContext) -> AsyncGenerator[tuple[str, Any], None]:
    async with contextlib.aclosing(_generate(call, node)) as frames:
        async for frame in frames:
            yield frame


async def complete(call: Call, node: NodeContext) -> AsyncGenerator[tuple[str, Any], None]:
    async with contextlib.aclosing(_generate(call, node)) as frames:
        async for frame in frames:
            yield frame


async def models(call: Call, node: NodeContext) -> dict[str, Any]:
    q: llm.Catalogue = call.input
    local = _models(node)
    here = [msgspec.to_builtins(m) for m in await local.catalogue()] if local else []
    found = [{**m, "node": node.me} for m in here]
    if q.everywhere and call.level == "self":
        for remote, catalogue, rtt in await _peer_catalogues(node):
            for m in catalogue:
                entry = {**msgspec.to_builtins(m), "node": remote.peer_id, "url": remote.url}
                found.append({**entry, "round_trip_ms": round(rtt, 1)})
    return {"node": node.me, "models": found}


async def embed(call: Call, node: NodeContext) -> dict[str, Any]:
    q: llm.Embed = call.input
    local = _models(node)
    if local is not None and any(m.kind == "embed" for m in await local.catalogue()):
        model, vectors = await local.embed(q.texts, q.normalize)
        return {"embeddings": vectors, "dim": len(vectors[0]), "model": model}
    if call.level != "self":
        raise BusError("not_found", "this node has no embedding model")
    for remote in await node.remotes("embed.text"):
        try:
            answer = await remote.call("embed.text@1.0", {}, msgspec.to_builtins(q))
        except BusError as exc:
            if exc.code not in FAIL_OVER:
                raise
            continue
        output: dict[str, Any] = answer.get("output") or {}
        return {**output, "node": remote.peer_id}
    raise BusError("not_found", "no node of the mesh serves embeddings")


def _answer(frames: list[tuple[str, Any]]) -> tuple[str, dict[str, Any]]:
    """A generation's text and meta (model, node, tokens, stop reason, ms) from its frames."""
    start: dict[str, Any] = next((f for name, f in frames if name == "start"), {})
    done: dict[str, Any] = next((f for name, f in frames if name == "done"), {})
    meta = {"model": start.get("model", ""), "node": start.get("node", "")}
    meta |= {k: done[k] for k in ("tokens_in", "tokens_out", "stop_reason") if k in done}
    return "".join(f["text"] for name, f in frames if name == "token"), meta


def _chat_answer(frames: list[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    text, meta = _answer(frames)
    return {"message": {"role": "assistant", "content": text}, "tool_calls": []}, meta


def _completion(frames: list[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    text, meta = _answer(frames)
    return {"text": text}, meta


CAPABILITIES = (
    Capability("llm.chat", "member", llm.Chat, chat, streaming=True, collect=_chat_answer),
    Capability(
        "llm.complete", "member", llm.Complete, complete, streaming=True, collect=_completion
    ),
    Capability("llm.models", "member", llm.Catalogue, models, idempotent=True),
    Capability("embed.text", "member", llm.Embed, embed, idempotent=True),
)
