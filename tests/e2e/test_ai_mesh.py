"""The AI mesh across real node processes with the real SmolLM2-135M and all-MiniLM-L6-v2:
a node with no model is answered by a peer, a busy node is passed over, a node that dies
before its first token is replaced by the next, a document ingested on one node is found on
another after sync, and a node serves the models of another node's Ollama API."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any

import httpx

from tests.e2e.cluster import cli, community, until

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.cluster import NodeProcess

QUESTION = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "What should a flood kit hold?"},
]
NO_MODELS = {"models": [], "embedding_model": ""}
LONG_STORY = [
    {
        "role": "user",
        "content": "Write a very long story about a town, a river and a flood, with many chapters.",
    }
]


def answer(node: NodeProcess, params: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """Ask a node; its start frame, the text and the done frame."""
    frames = list(node.stream("llm.chat", {"messages": QUESTION, "max_tokens": 8, **extra}, params))
    names = [name for name, _ in frames]
    assert names[0] == "start" and names[-1] == "done", frames
    text = "".join(f["text"] for name, f in frames if name == "token")
    return {**frames[0][1], "text": text, "done": frames[-1][1]}


def queue(node: NodeProcess) -> int:
    found = node.call("llm.models", {})["models"]
    return sum(m["queue"] for m in found if m["kind"] == "chat")


def killed_while_reading(
    a: NodeProcess, b: NodeProcess, c: NodeProcess
) -> tuple[NodeProcess, list[tuple[str, Any]]]:
    """A asks with a long prompt; the node that takes the call is killed with -9 while it
    reads the prompt (if it has not answered yet). The killed node and A's frames."""
    long_prompt = [{"role": "user", "content": "Summarise: " + "the river rose. " * 400}]
    frames: list[tuple[str, Any]] = []
    data = {"messages": long_prompt, "max_tokens": 8}
    asking = threading.Thread(target=lambda: frames.extend(a.stream("llm.chat", data)))
    asking.start()
    chosen = until(lambda: next((n for n in (b, c) if queue(n) > 0), None), "a node took the call")
    chosen.stop(9)
    asking.join(180)
    assert frames, "a answered nothing"
    return chosen, frames


def queue_known(a: NodeProcess, node: NodeProcess) -> bool:
    """Whether a is connected to the node again and the node serves its models."""
    try:
        connected = any(p["url"] == node.url and p["state"] == "connected" for p in a.peers())
        return connected and bool(node.call("llm.models", {})["models"])
    except httpx.HTTPError:
        return False


def test_calls_go_to_a_peer_away_from_a_busy_node_and_past_a_dead_one(tmp_path: Path) -> None:
    a, b, c = community(tmp_path, 3, each=[NO_MODELS, {}, {}])
    try:
        served = answer(a)
        assert served["node"] in (b.node_id, c.node_id) and served["text"].strip()
        second = c if served["node"] == b.node_id else b
        assert answer(a, {"node": second.node_id})["node"] == second.node_id  # both measured

        busy_started = threading.Event()
        stop = threading.Event()

        def keep_b_busy() -> None:
            """B writes a long story (1,500 tokens and more at temperature 0), well under way
            before A asks, begun again should it end."""
            story = {"messages": LONG_STORY, "max_tokens": 4000, "temperature": 0.0}
            while not stop.is_set():
                written = 0
                for name, frame in b.stream("llm.chat", story, {"node": b.node_id}):
                    written += len(frame.get("text", "")) if name == "token" else 0
                    if written > 1200:
                        busy_started.set()
                    if stop.is_set():
                        return

        busy = threading.Thread(target=keep_b_busy, daemon=True)
        busy.start()
        assert busy_started.wait(120)
        for _ in range(3):
            assert answer(a)["node"] == c.node_id, "the busy node was passed over"
        stop.set()
        busy.join(120)
        until(lambda: queue(b) == 0, "b idle again")

        for _ in range(3):
            chosen, frames = killed_while_reading(a, b, c)
            name, start = frames[0]
            if name == "start" and start["node"] == chosen.node_id:
                # its first token was out before it died: no failover is due; try again
                chosen.start()
                until(lambda n=chosen: queue_known(a, n), "a reaches the node again")
                continue
            other = c if chosen is b else b
            text = "".join(f.get("text", "") for _, f in frames)
            assert name == "start" and start["node"] == other.node_id, frames[:2]
            assert [f["node"] for f in start["failed"]] == [chosen.node_id]
            assert frames[-1][0] == "done" and text
            break
        else:
            raise AssertionError("in three tries the node died only after its first token")
    finally:
        for node in (a, b, c):
            node.stop()


def test_documents_models_and_an_ollama_backend_across_the_mesh(tmp_path: Path) -> None:
    a, b, c = community(tmp_path, 3, each=[{}, NO_MODELS, NO_MODELS])
    c.stop()
    with (c.home / "config.toml").open("a") as settings:
        settings.write(f'ollama_hosts = ["{a.url}"]\n')  # a's url is known once it runs
    c.start()
    try:
        manual = tmp_path / "pumps.md"
        manual.write_text("# Flood pumps\n\nThe two water pumps are in the fire station basement.")
        ingested = json.loads(
            cli(a.home, "rag", "ingest", str(manual), "--corpus", "manuals", "--json").stdout
        )
        assert ingested["chunks_indexed"] == 1

        def found_on_b() -> list[dict[str, Any]]:
            question = ("rag", "query", "where are the pumps?", "--corpus", "manuals", "--json")
            out = cli(b.home, *question, check=None)  # b may not reach a's embeddings yet
            return json.loads(out.stdout)["chunks"] if out.returncode == 0 else []  # type: ignore[no-any-return]

        [hit] = until(found_on_b, "b indexed a's document from the log and a's file")
        assert hit["metadata"]["doc_title"] == "Flood pumps" and hit["metadata"]["page"] == 1

        asked = json.loads(
            cli(
                b.home,
                "ask",
                "Where are the pumps?",
                "--corpus",
                "manuals",
                "--max-tokens",
                "8",
                "--json",
            ).stdout
        )
        assert asked["node"] == a.node_id and asked["sources"][0]["doc_title"] == "Flood pumps"

        def served_by_c() -> list[dict[str, Any]]:
            listed = json.loads(cli(c.home, "models", "--json").stdout)
            return [m for m in listed if m["node"] == c.node_id and m["name"] == "smollm2"]

        [own] = until(served_by_c, "c serves a's model through a's Ollama API")
        assert own["backend"] == "ollama"
        through = json.loads(
            cli(c.home, "ask", "Hello?", "--node", c.node_id, "--max-tokens", "6", "--json").stdout
        )
        assert through["node"] == c.node_id and through["model"] == "smollm2" and through["text"]
        printed = cli(c.home, "ask", "Hello?", "--node", c.node_id, "--max-tokens", "4")
        assert f"smollm2 on {c.node_id[:20]}" in printed.stderr and printed.stdout.strip()
        wrong = cli(c.home, "ask", "Hello?", "--model", "gpt-9", check=None)
        assert wrong.returncode != 0 and "gpt-9" in wrong.stderr
    finally:
        for node in (a, b, c):
            node.stop()
