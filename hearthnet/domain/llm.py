"""Language models and embeddings shared across the mesh: what a call asks, what a node says
about the models it serves, and the expected completion time that calls are routed by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Protocol

import msgspec

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

Text = Annotated[str, msgspec.Meta(max_length=32_000)]
Stop = Annotated[
    list[Annotated[str, msgspec.Meta(min_length=1, max_length=32)]], msgspec.Meta(max_length=4)
]
MaxTokens = Annotated[int, msgspec.Meta(ge=1, le=4096)]
Temperature = Annotated[float, msgspec.Meta(ge=0.0, le=2.0)]
TopP = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]
Seed = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
ModelName = Annotated[str, msgspec.Meta(max_length=200)]

CHARS_PER_TOKEN = 4
"""A rough count of tokens in a text of a Latin script, for routing before a model sees it."""
EXPECTED_REPLY_TOKENS = 200
"""The reply length a call is costed at when it allows more (most replies stop well before)."""
LOAD_BYTES_PER_S = 500e6
"""How fast a model that is not loaded yet comes off the disk, for costing its first call."""


class ModelMissing(LookupError):
    """A configured model that is not on this machine."""


class Message(msgspec.Struct, frozen=True):
    """One turn of a conversation."""

    role: Literal["system", "user", "assistant"]
    content: Text


class Generation(msgspec.Struct, frozen=True, kw_only=True):
    """What every generation asks of a model, chat or completion."""

    max_tokens: MaxTokens = 1024
    temperature: Temperature = 0.7
    top_p: TopP = 0.95
    stop: Stop = []
    seed: Seed | None = None
    stream: bool = True


class Chat(Generation, frozen=True, kw_only=True):
    """`llm.chat@1.0`: a conversation to continue."""

    messages: Annotated[list[Message], msgspec.Meta(min_length=1, max_length=200)]


class Complete(Generation, frozen=True, kw_only=True):
    """`llm.complete@1.0`: a prompt to continue."""

    prompt: Annotated[str, msgspec.Meta(min_length=1, max_length=32_000)]
    max_tokens: MaxTokens = 256


class Embed(msgspec.Struct, frozen=True, kw_only=True):
    """`embed.text@1.0`: texts to embed."""

    texts: Annotated[
        list[Annotated[str, msgspec.Meta(max_length=8192)]],
        msgspec.Meta(min_length=1, max_length=256),
    ]
    normalize: bool = True


class Catalogue(msgspec.Struct, frozen=True, kw_only=True):
    """`llm.models@1.0`: this node's models, or (`everywhere`) every node's."""

    everywhere: bool = False


class Pins(msgspec.Struct, frozen=True, kw_only=True):
    """A call's params: the model asked for, and the node it must be served by, if any."""

    model: ModelName = ""
    node: ModelName = ""


class ModelInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One model as the node serving it describes it, with its measured speeds and its load."""

    name: str
    kind: Literal["chat", "embed"] = "chat"
    backend: str = ""
    size_bytes: int = 0
    quantisation: str = ""
    context_length: int = 0
    prefill_tps: float = 0.0
    """Prompt tokens per second, measured."""
    decode_tps: float = 0.0
    """Generated tokens per second, measured."""
    queue: int = 0
    """Calls waiting or running."""
    queue_ms: float = 0.0
    """The expected time until a new call starts."""
    loaded: bool = False


def estimate_tokens(text: str) -> int:
    """Tokens in a text, roughly."""
    return max(1, len(text) // CHARS_PER_TOKEN)


def prompt_tokens(call: Chat | Complete) -> int:
    """Tokens a call puts before the model, roughly."""
    if isinstance(call, Complete):
        return estimate_tokens(call.prompt)
    return sum(estimate_tokens(m.content) + 4 for m in call.messages)


def expected_ms(model: ModelInfo, prompt: int, max_tokens: int, round_trip_ms: float) -> float:
    """The expected time to a whole answer from this model: the queue ahead, the prompt at its
    prefill speed, the reply at its decode speed, loading it if need be, and the round trip."""
    prefill = prompt / max(model.prefill_tps, 1.0) * 1000
    decode = min(max_tokens, EXPECTED_REPLY_TOKENS) / max(model.decode_tps, 1.0) * 1000
    load = 0.0 if model.loaded else model.size_bytes / LOAD_BYTES_PER_S * 1000
    return model.queue_ms + prefill + decode + load + round_trip_ms


class Offer(msgspec.Struct, frozen=True):
    """A model a node serves, and what it is expected to cost this call."""

    node: str
    model: ModelInfo
    cost_ms: float


def rank(offers: list[Offer], pins: Pins) -> list[Offer]:
    """The offers that satisfy the pins, cheapest first (ties: the node id)."""
    fitting = [
        o
        for o in offers
        if (not pins.model or o.model.name == pins.model) and (not pins.node or o.node == pins.node)
    ]
    return sorted(fitting, key=lambda o: (o.cost_ms, o.node, o.model.name))


class LanguageModels(Protocol):
    """The models a node serves (a port: llama.cpp, Ollama, sentence-transformers behind it)."""

    async def catalogue(self) -> list[ModelInfo]:
        """Every model served here, with its speeds and load now."""
        ...

    def generate(self, model: str, call: Chat | Complete) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream a generation: `token {text}` frames, then one `done {tokens_in, tokens_out,
        stop_reason}`. Closing the stream cancels the generation."""
        ...

    async def embed(self, texts: list[str], normalize: bool) -> tuple[str, list[list[float]]]:
        """Embed texts with this node's embedding model: (model name, vectors)."""
        ...
