"""`hearthnet ask` and `hearthnet models`: the mesh's language models from the terminal."""

from __future__ import annotations

from typing import Any

import click

from hearthnet.cli.output import emit_json, emit_table, json_option
from hearthnet.cli.running import call, frames
from hearthnet.domain.rag import grounded


@click.command()
@click.argument("question")
@click.option("--model", default="", help="The model to ask (default: the mesh picks).")
@click.option("--node", default="", help="The node that must answer (its id).")
@click.option("--corpus", default="", help="Ground the answer in this corpus's documents.")
@click.option("--max-tokens", default=512, show_default=True, type=click.IntRange(1, 4096))
@json_option
def ask(question: str, model: str, node: str, corpus: str, max_tokens: int, as_json: bool) -> None:
    """Ask the mesh a question; the answer streams as it is written."""
    chunks: list[dict[str, Any]] = []
    if corpus:
        chunks = call("rag.query", {"query": question, "k": 4}, {"corpus": corpus})["output"][
            "chunks"
        ]
    data = {"messages": grounded(question, chunks), "max_tokens": max_tokens}
    answer: dict[str, Any] = {"text": "", "sources": [c["metadata"] for c in chunks]}
    for event, frame in frames("llm.chat", data, {"model": model, "node": node}):
        if event == "start":
            answer.update(model=frame["model"], node=frame["node"])
            if not as_json:
                click.secho(f"{frame['model']} on {frame['node'][:20]}", dim=True, err=True)
        elif event == "token":
            answer["text"] += frame["text"]
            if not as_json:
                click.echo(frame["text"], nl=False)
        elif event == "done":
            answer["done"] = frame
    if as_json:
        emit_json(answer)
        return
    click.echo()
    for i, source in enumerate(answer["sources"], 1):
        click.secho(f"[{i}] {source['doc_title']}, page {source['page']}", dim=True)


@click.command()
@json_option
def models(as_json: bool) -> None:
    """Every model of the mesh, who serves it, and how fast."""
    found = call("llm.models", {"everywhere": True})["output"]["models"]
    if as_json:
        emit_json(found)
        return
    emit_table(
        "models",
        ["model", "kind", "node", "backend", "size MB", "tok/s", "queue", "loaded"],
        [
            [
                m["name"],
                m["kind"],
                m["node"][:20],
                m["backend"],
                round(m["size_bytes"] / 1e6, 1),
                m["decode_tps"] if m["kind"] == "chat" else "",
                m["queue"],
                m["loaded"],
            ]
            for m in found
        ],
    )


COMMANDS = (ask, models)
