"""The models this node serves (`domain.llm.LanguageModels`): its GGUF models on llama.cpp,
the models of the Ollama servers it is given, and its embedding model. A name served twice
is served by the first: the node's own models, then each Ollama server in turn."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from hearthnet.adapters.llama_models import LlamaModel, model_path
from hearthnet.adapters.ollama_models import OllamaModels
from hearthnet.adapters.sentence_embedder import SentenceEmbedder
from hearthnet.domain.capability import BusError
from hearthnet.domain.llm import ModelMissing

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from hearthnet.config import Config
    from hearthnet.domain.llm import Chat, Complete, ModelInfo

log = logging.getLogger("hearthnet")


class NodeModels:
    """A node's models, by name."""

    def __init__(
        self,
        llamas: list[LlamaModel],
        ollamas: list[OllamaModels],
        embedder: SentenceEmbedder | None,
    ) -> None:
        self.llamas = {m.name: m for m in llamas}
        self.ollamas, self.embedder = ollamas, embedder

    @classmethod
    def configured(cls, config: Config) -> NodeModels:
        """The models a node's config names; one that is missing is logged and left out."""
        llamas = []
        for spec in config.models:
            try:
                path = model_path(spec)
            except ModelMissing as exc:
                log.warning("model left out: %s", exc)
                continue
            name = spec if "/" not in spec else path.stem
            llamas.append(LlamaModel(name, path, config.model_threads or None))
        ollamas = [OllamaModels(host) for host in config.ollama_hosts]
        embedder = SentenceEmbedder(config.embedding_model) if config.embedding_model else None
        return cls(llamas, ollamas, embedder)

    async def catalogue(self) -> list[ModelInfo]:
        """Every model served here now (each Ollama server asked again if it is time)."""
        for server in self.ollamas:
            await server.catalogue()
        return self.known()

    def known(self) -> list[ModelInfo]:
        """Every model served here, the Ollama servers' as they last listed them."""
        infos = [m.info() for m in self.llamas.values()]
        for server in self.ollamas:
            names = {i.name for i in infos}
            infos += [i for i in server.known() if i.name not in names]
        if self.embedder is not None:
            infos.append(self.embedder.info())
        return infos

    async def generate(
        self, model: str, call: Chat | Complete
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream a generation by the model of that name."""
        if model in self.llamas:
            frames = self.llamas[model].generate(call)
        else:
            server = await self._server_of(model)
            frames = server.generate(model, call)
        try:
            async for frame in frames:
                yield frame
        finally:
            await frames.aclose()

    async def _server_of(self, model: str) -> OllamaModels:
        for server in self.ollamas:
            if any(i.name == model for i in await server.catalogue()):
                return server
        raise BusError("not_found", f"no model {model[:80]!r} here")

    async def embed(self, texts: list[str], normalize: bool) -> tuple[str, list[list[float]]]:
        """Vectors of these texts by this node's embedding model."""
        if self.embedder is None:
            raise BusError("not_found", "this node has no embedding model")
        try:
            return self.embedder.name, await self.embedder.embed(texts, normalize)
        except ModelMissing as exc:
            raise BusError("not_found", str(exc)) from None

    async def close(self) -> None:
        """Let running work end and free the models."""
        closing = [m.close for m in self.llamas.values()]
        if self.embedder is not None:
            closing.append(self.embedder.close)
        await asyncio.gather(*(asyncio.to_thread(close) for close in closing))
