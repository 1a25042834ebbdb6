"""Models of an Ollama server (or of anything speaking its API, another node included),
reached with the official `ollama` client. Its list is asked again at most every few seconds;
speeds are measured from the figures each answer carries."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import ollama

from hearthnet.domain.capability import BusError
from hearthnet.domain.llm import Chat, Complete, ModelInfo

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

LIST_EVERY_S = 10.0
BACKEND_HEADER = "x-hearthnet-backend"
"""Sent to the server: a node answering it serves the call with its own models, so that two
nodes that are each other's backend never pass a call back and forth."""


class OllamaModels:
    """The chat models of one Ollama server."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.client = ollama.AsyncClient(
            host=host, timeout=httpx.Timeout(300.0, connect=5.0), headers={BACKEND_HEADER: "1"}
        )
        self._listed: tuple[float, list[Any]] = (0.0, [])
        self._queue: dict[str, int] = {}
        self._speeds: dict[str, tuple[float, float]] = {}

    async def catalogue(self) -> list[ModelInfo]:
        """The server's models now (none while it cannot be reached)."""
        stamp, models = self._listed
        if time.monotonic() - stamp > LIST_EVERY_S:
            try:
                models = list((await self.client.list()).models)
            except (ollama.ResponseError, httpx.HTTPError, ValueError):
                models = []
            self._listed = (time.monotonic(), models)
        return self.known()

    def known(self) -> list[ModelInfo]:
        """The server's models as last listed."""
        infos = []
        for m in self._listed[1]:
            if not m.model:
                continue
            prefill, decode = self._speeds.get(m.model, (200.0, 50.0))
            details = m.details
            infos.append(
                ModelInfo(
                    name=m.model,
                    backend="ollama",
                    size_bytes=int(m.size or 0),
                    quantisation=(details.quantization_level or "") if details else "",
                    prefill_tps=prefill,
                    decode_tps=decode,
                    queue=self._queue.get(m.model, 0),
                    loaded=True,
                )
            )
        return infos

    async def generate(
        self, model: str, call: Chat | Complete
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream a generation from the server."""
        options: dict[str, Any] = {
            "num_predict": call.max_tokens,
            "temperature": call.temperature,
            "top_p": call.top_p,
        }
        if call.stop:
            options["stop"] = call.stop
        if call.seed is not None:
            options["seed"] = call.seed
        self._queue[model] = self._queue.get(model, 0) + 1
        started, tokens_out = time.perf_counter(), 0
        try:
            if isinstance(call, Chat):
                messages = [{"role": m.role, "content": m.content} for m in call.messages]
                parts = await self.client.chat(model, messages, stream=True, options=options)
                async for part in parts:
                    if part.message.content:
                        tokens_out += 1
                        yield "token", {"text": part.message.content}
                    if part.done:
                        yield "done", self._finished(model, part, tokens_out, started)
            else:
                pieces = await self.client.generate(
                    model, call.prompt, stream=True, options=options
                )
                async for piece in pieces:
                    if piece.response:
                        tokens_out += 1
                        yield "token", {"text": piece.response}
                    if piece.done:
                        yield "done", self._finished(model, piece, tokens_out, started)
        except ollama.ResponseError as exc:
            code = "not_found" if exc.status_code == 404 else "internal_error"
            raise BusError(code, f"ollama at {self.host}: {exc.error}"[:300]) from None
        except httpx.HTTPError as exc:
            raise BusError("partition", f"ollama at {self.host}: {exc}"[:300]) from None
        finally:
            self._queue[model] -= 1

    def _finished(self, model: str, last: Any, tokens_out: int, started: float) -> dict[str, Any]:
        prompt_ns, eval_ns = last.prompt_eval_duration or 0, last.eval_duration or 0
        prefill, decode = self._speeds.get(model, (200.0, 50.0))
        if prompt_ns and last.prompt_eval_count:
            prefill = last.prompt_eval_count / (prompt_ns / 1e9)
        if eval_ns and last.eval_count:
            decode = last.eval_count / (eval_ns / 1e9)
        self._speeds[model] = (round(prefill, 1), round(decode, 1))
        reason = "max_tokens" if last.done_reason == "length" else "end"
        return {
            "tokens_in": int(last.prompt_eval_count or 0),
            "tokens_out": int(last.eval_count or tokens_out),
            "stop_reason": reason,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        }
