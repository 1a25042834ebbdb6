"""The node speaks the Ollama API (`/api/*`) and the OpenAI API (`/v1/*`), answered by the
mesh: a client pointed at a node uses every model of the community.

Open to this machine, and to other machines that give the node's `api_token` as a bearer
token. Each request becomes a call of `llm.chat`, `llm.complete`, `llm.models` or
`embed.text` as this node's operator, routed like any other; a client that goes away
cancels its generation.
"""

from __future__ import annotations

import hmac
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hearthnet import __version__
from hearthnet.adapters.http_common import BodyError, read_body
from hearthnet.adapters.http_server import THIS_MACHINE
from hearthnet.adapters.ollama_models import BACKEND_HEADER
from hearthnet.domain.capability import ERROR_STATUS, BusError

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Callable

    from starlette.requests import Request

    from hearthnet.adapters.runtime import LocalBus


class ApiRequest(msgspec.Struct, kw_only=True):
    """The fields of an Ollama or OpenAI request this node reads (others are ignored)."""

    model: str = ""
    messages: list[dict[str, Any]] = []
    prompt: str = ""
    input: str | list[str] = ""
    stream: bool | None = None
    options: dict[str, Any] = {}
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: str | list[str] | None = None
    seed: int | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _model(name: str) -> str:
    """A model as the mesh names it (Ollama clients add `:latest`)."""
    return name.removesuffix(":latest")


def _generation(q: ApiRequest) -> dict[str, Any]:
    """The generation settings of either API, as `llm.chat` takes them."""
    options = q.options
    settings: dict[str, Any] = {}
    for ours, theirs in (
        ("max_tokens", q.max_tokens if q.max_tokens is not None else options.get("num_predict")),
        ("temperature", q.temperature if q.temperature is not None else options.get("temperature")),
        ("top_p", q.top_p if q.top_p is not None else options.get("top_p")),
        ("seed", q.seed if q.seed is not None else options.get("seed")),
        ("stop", q.stop if q.stop is not None else options.get("stop")),
    ):
        if theirs is not None:
            settings[ours] = [theirs] if ours == "stop" and isinstance(theirs, str) else theirs
    if settings.get("max_tokens", 0) is not None and settings.get("max_tokens", 0) < 0:
        del settings["max_tokens"]  # Ollama's "no limit"
    return settings


def _messages(q: ApiRequest) -> list[dict[str, str]]:
    """Chat messages with text content (OpenAI's content parts joined)."""
    found = []
    for m in q.messages:
        content = m.get("content") or ""
        if isinstance(content, list):
            content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        found.append({"role": str(m.get("role", "user")), "content": str(content)})
    return found


class ModelApi:
    """The Ollama and OpenAI surfaces of one node."""

    def __init__(self, bus: LocalBus, token: Callable[[], str]) -> None:
        self.bus, self.token = bus, token

    def allowed(self, request: Request) -> bool:
        """This machine, or a caller with the node's API token."""
        if request.client is not None and request.client.host in THIS_MACHINE:
            return True
        token, given = self.token(), request.headers.get("authorization", "")
        given = given.removeprefix("Bearer ")
        return bool(token) and hmac.compare_digest(given.encode(), token.encode())

    def route(self, path: str, handler: Any, method: str) -> Route:
        """A route that checks the caller and decodes the body."""

        async def endpoint(request: Request) -> Response:
            openai = path.startswith("/v1/")
            if not self.allowed(request):
                return _failure(openai, BusError("unauthorized", "give the node's API token"))
            q = ApiRequest()
            if method == "POST":
                try:
                    q = msgspec.json.decode(await read_body(request), type=ApiRequest)
                except BodyError as exc:
                    return exc.response
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    return _failure(openai, BusError("bad_request", str(exc)))
            pins = {"model": _model(q.model)}
            if BACKEND_HEADER in request.headers:  # another node's backend: no passing on
                pins["node"] = self.bus.me
            try:
                response: Response = await handler(q, pins)
                return response
            except BusError as exc:
                return _failure(openai, exc)

        return Route(path, endpoint, methods=[method])

    async def _catalogue(self) -> list[dict[str, Any]]:
        found = (await self.bus.call("llm.models", {"everywhere": True}))["models"]
        unique: dict[str, dict[str, Any]] = {}
        for m in found:
            unique.setdefault(m["name"], m)
        return list(unique.values())

    async def version(self, _: ApiRequest, __: dict[str, str]) -> Response:
        return JSONResponse({"version": __version__})

    async def tags(self, _: ApiRequest, __: dict[str, str]) -> Response:
        models = [
            {
                "name": m["name"],
                "model": m["name"],
                "modified_at": _now(),
                "size": m["size_bytes"],
                "digest": "",
                "details": {
                    "format": "gguf" if m["backend"] == "llama.cpp" else "",
                    "family": "",
                    "parameter_size": "",
                    "quantization_level": m["quantisation"],
                },
            }
            for m in await self._catalogue()
        ]
        return JSONResponse({"models": models})

    async def ollama_chat(self, q: ApiRequest, pins: dict[str, str]) -> Response:
        data = {"messages": _messages(q), **_generation(q)}
        return await self._ollama(
            q, pins, "llm.chat", data, lambda t: {"message": {"role": "assistant", "content": t}}
        )

    async def ollama_generate(self, q: ApiRequest, pins: dict[str, str]) -> Response:
        data = {"prompt": q.prompt, **_generation(q)}
        return await self._ollama(q, pins, "llm.complete", data, lambda t: {"response": t})

    async def _ollama(
        self,
        q: ApiRequest,
        pins: dict[str, str],
        ref: str,
        data: dict[str, Any],
        piece: Callable[[str], dict[str, Any]],
    ) -> Response:
        frames = await _started(self.bus.stream(ref, data, pins))
        model = _model(q.model)

        def last(done: dict[str, Any], text: str | None) -> dict[str, Any]:
            return {
                "model": model,
                "created_at": _now(),
                **piece(text or ""),
                "done": True,
                "done_reason": "length" if done.get("stop_reason") == "max_tokens" else "stop",
                "total_duration": int(done.get("ms", 0) * 1e6),
                "prompt_eval_count": done.get("tokens_in", 0),
                "eval_count": done.get("tokens_out", 0),
            }

        if q.stream is False:
            text, done = await _collect(frames)
            return JSONResponse(last(done, text))

        async def lines() -> AsyncIterator[bytes]:
            async for event, frame in frames:
                if event == "token":
                    line = {"model": model, "created_at": _now(), **piece(frame["text"])}
                    line["done"] = False
                    yield msgspec.json.encode(line) + b"\n"
                elif event == "done":
                    yield msgspec.json.encode(last(frame, None)) + b"\n"
                elif event == "error":
                    yield msgspec.json.encode({"error": frame.get("message", "")}) + b"\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def ollama_embed(self, q: ApiRequest, _: dict[str, str]) -> Response:
        texts = [q.input] if isinstance(q.input, str) else q.input
        out = await self.bus.call("embed.text", {"texts": texts})
        return JSONResponse({"model": out["model"], "embeddings": out["embeddings"]})

    async def openai_models(self, _: ApiRequest, __: dict[str, str]) -> Response:
        data = [
            {"id": m["name"], "object": "model", "created": 0, "owned_by": m["node"]}
            for m in await self._catalogue()
        ]
        return JSONResponse({"object": "list", "data": data})

    async def openai_chat(self, q: ApiRequest, pins: dict[str, str]) -> Response:
        data = {"messages": _messages(q), **_generation(q)}
        frames = await _started(self.bus.stream("llm.chat", data, pins))
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def chunk(delta: dict[str, Any], reason: str | None) -> bytes:
            body = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": q.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": reason}],
            }
            return b"data: " + msgspec.json.encode(body) + b"\n\n"

        if not q.stream:
            text, done = await _collect(frames)
            return JSONResponse(
                {
                    "id": ident,
                    "object": "chat.completion",
                    "created": created,
                    "model": q.model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": text},
                            "finish_reason": _finish(done),
                        }
                    ],
                    "usage": _usage(done),
                }
            )

        async def events() -> AsyncIterator[bytes]:
            yield chunk({"role": "assistant", "content": ""}, None)
            async for event, frame in frames:
                if event == "token":
                    yield chunk({"content": frame["text"]}, None)
                elif event == "done":
                    yield chunk({}, _finish(frame))
                elif event == "error":
                    error = {"error": {"message": frame.get("message", ""), "type": frame["error"]}}
                    yield b"data: " + msgspec.json.encode(error) + b"\n\n"
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def openai_embeddings(self, q: ApiRequest, _: dict[str, str]) -> Response:
        texts = [q.input] if isinstance(q.input, str) else q.input
        out = await self.bus.call("embed.text", {"texts": texts})
        data = [
            {"object": "embedding", "index": i, "embedding": v}
            for i, v in enumerate(out["embeddings"])
        ]
        tokens = sum(len(t.split()) for t in texts)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return JSONResponse({"object": "list", "data": data, "model": out["model"], "usage": usage})


async def _started(
    frames: AsyncGenerator[tuple[str, Any], None],
) -> AsyncGenerator[tuple[str, Any], None]:
    """The stream, once it has started: a call that fails before its first frame raises."""
    first = await anext(frames, ("error", {"error": "internal_error", "message": "no answer"}))
    if first[0] == "error":
        code = str(first[1].get("error", "internal_error"))
        await frames.aclose()
        raise BusError(
            code if code in ERROR_STATUS else "internal_error", first[1].get("message", "")
        )

    async def rest() -> AsyncGenerator[tuple[str, Any], None]:
        try:
            yield first
            async for frame in frames:
                yield frame
        finally:
            await frames.aclose()

    return rest()


async def _collect(frames: AsyncGenerator[tuple[str, Any], None]) -> tuple[str, dict[str, Any]]:
    text, done = [], {}
    async for event, frame in frames:
        if event == "token":
            text.append(frame["text"])
        elif event == "done":
            done = frame
        elif event == "error":
            code = str(frame.get("error", "internal_error"))
            raise BusError(
                code if code in ERROR_STATUS else "internal_error", frame.get("message", "")
            )
    return "".join(text), done


def _finish(done: dict[str, Any]) -> str:
    return "length" if done.get("stop_reason") == "max_tokens" else "stop"


def _usage(done: dict[str, Any]) -> dict[str, int]:
    tokens_in, tokens_out = int(done.get("tokens_in", 0)), int(done.get("tokens_out", 0))
    return {
        "prompt_tokens": tokens_in,
        "completion_tokens": tokens_out,
        "total_tokens": tokens_in + tokens_out,
    }


def _failure(openai: bool, exc: BusError) -> Response:
    """An error as each API's clients read it."""
    if openai:
        body = {"error": {"message": exc.message, "type": exc.code, "code": exc.code}}
        return JSONResponse(body, exc.status)
    return JSONResponse({"error": exc.message}, exc.status)


def routes(bus: LocalBus, token: Callable[[], str]) -> list[Route]:
    """The Ollama and OpenAI routes of a node."""
    api = ModelApi(bus, token)
    return [
        api.route("/api/version", api.version, "GET"),
        api.route("/api/tags", api.tags, "GET"),
        api.route("/api/chat", api.ollama_chat, "POST"),
        api.route("/api/generate", api.ollama_generate, "POST"),
        api.route("/api/embed", api.ollama_embed, "POST"),
        api.route("/v1/models", api.openai_models, "GET"),
        api.route("/v1/chat/completions", api.openai_chat, "POST"),
        api.route("/v1/embeddings", api.openai_embeddings, "POST"),
    ]
