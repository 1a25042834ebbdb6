"""`hearthnet market`: the board, through the running node's market capabilities."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import click

from hearthnet.cli.output import emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import call, names


@click.group()
def market() -> None:
    """The marketplace board."""


@market.command("post")
@click.option("--title", required=True)
@click.option("--body", "text", default="")
@click.option(
    "--category", type=click.Choice(["offer", "request", "info", "emergency"]), default="offer"
)
@click.option("--tag", "tags", multiple=True)
@click.option("--ttl-hours", type=click.FloatRange(0.02, 720), default=168.0)
@click.option("--client-id", default="", help="Idempotency key (default: a fresh one).")
@click.option(
    "--attach",
    "paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A photo or file to share with the post (repeatable).",
)
@json_option
def market_post(
    title: str,
    text: str,
    category: str,
    tags: tuple[str, ...],
    ttl_hours: float,
    client_id: str,
    paths: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Put a post on the board."""
    attachments = []
    for path in paths:
        put = call("file.put", {"path": str(path.resolve())})["output"]
        attachments.append(
            {
                "cid": put["id"],
                "name": put["name"][:120],
                "media_type": put["media_type"],
                "size_bytes": put["size_bytes"],
                "thumb": put["thumbnail"] or "",
            }
        )
    out = call(
        "market.post",
        {
            "client_id": client_id or uuid.uuid4().hex,
            "title": title,
            "body": text,
            "category": category,
            "tags": list(tags),
            "ttl_seconds": int(ttl_hours * 3600),
            "attachments": attachments,
        },
    )["output"]
    emit_json(out) if as_json else emit_fields(out)


@market.command("list")
@click.option("--category", type=click.Choice(["offer", "request", "info", "emergency"]))
@click.option("--tag", "tags", multiple=True)
@click.option("--limit", type=click.IntRange(1, 500), default=50)
@json_option
def market_list(category: str | None, tags: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List the posts on the board."""
    out = call("market.list", {"category": category, "tags": list(tags), "limit": limit})["output"]
    _posts(out["posts"], as_json)


@market.command("search")
@click.argument("query")
@json_option
def market_search(query: str, as_json: bool) -> None:
    """Find posts by words."""
    _posts(call("market.search", {"query": query})["output"]["posts"], as_json)


def _posts(posts: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(posts)
    else:
        who = names()
        emit_table(
            "board",
            ["id", "category", "title", "by", "tags"],
            [
                (
                    p["event_id"][:12],
                    p["category"],
                    p["title"],
                    who.get(p["author"], p["author"][8:20]),
                    ",".join(p["tags"]),
                )
                for p in posts
            ],
        )


@market.command("expire")
@click.argument("event_id")
@click.option(
    "--reason",
    type=click.Choice(["fulfilled", "withdrawn", "user_request", "stale"]),
    default="fulfilled",
)
@json_option
def market_expire(event_id: str, reason: str, as_json: bool) -> None:
    """Take a post off the board (your own; `stale` for trusted members)."""
    out = call("market.expire", {"event_id": event_id, "reason": reason})["output"]
    emit_json(out) if as_json else emit_fields(out)


COMMANDS = (market,)
