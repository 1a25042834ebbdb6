"""`hearthnet rag`: the community's documents, ingested into corpora and searched by meaning."""

from __future__ import annotations

from pathlib import Path

import click

from hearthnet.cli.output import emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import call


@click.group("rag")
def rag_group() -> None:
    """Documents in corpora, searched by meaning (text, Markdown, HTML, PDF)."""


@rag_group.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--corpus", required=True, help="The corpus (lowercase letters, digits, . _ -).")
@click.option("--title", default="", help="The title shown (default: the document's own).")
@click.option("--language", default="", help="The document's language (en, de...).")
@json_option
def ingest(path: Path, corpus: str, title: str, language: str, as_json: bool) -> None:
    """Share a file and add it to a corpus."""
    stored = call("file.put", {"path": str(path.resolve()), "pin": True})["output"]
    data = {"doc_cid": stored["id"], "title": title, "language": language}
    out = call("rag.ingest", data, {"corpus": corpus})["output"]
    if as_json:
        emit_json(out)
    else:
        emit_fields(out)


@rag_group.command("query")
@click.argument("text")
@click.option("--corpus", required=True)
@click.option("-k", default=5, show_default=True, type=click.IntRange(1, 20))
@json_option
def query(text: str, corpus: str, k: int, as_json: bool) -> None:
    """The passages of a corpus nearest in meaning to TEXT, with where they come from."""
    out = call("rag.query", {"query": text, "k": k}, {"corpus": corpus})["output"]
    if as_json:
        emit_json(out)
        return
    emit_table(
        f"{corpus} ({out['embedding_model']})",
        ["#", "score", "document", "page", "text"],
        [
            [
                c["rank"],
                c["score"],
                c["metadata"]["doc_title"],
                c["metadata"]["page"],
                c["text"][:90],
            ]
            for c in out["chunks"]
        ],
    )


@rag_group.command("ls")
@json_option
def ls(as_json: bool) -> None:
    """The corpora and what each holds."""
    corpora = call("rag.list_corpora", {})["output"]["corpora"]
    if as_json:
        emit_json(corpora)
        return
    emit_table(
        "corpora",
        ["corpus", "documents", "passages", "bytes", "language"],
        [
            [c["name"], c["docs"], c["chunks"], c["size_bytes"], c["language_majority"]]
            for c in corpora
        ],
    )


COMMANDS = (rag_group,)
