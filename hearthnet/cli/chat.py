"""`hearthnet chat`: direct messages, through the running node's chat capabilities."""

from __future__ import annotations

import uuid

import click

from hearthnet.cli.output import emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import call


@click.group()
def chat() -> None:
    """Direct messages."""


@chat.command("send")
@click.argument("recipient")
@click.argument("text")
@json_option
def chat_send(recipient: str, text: str, as_json: bool) -> None:
    """Send a message to a member (delivered when they are next in reach)."""
    out = call("chat.send", {"client_id": uuid.uuid4().hex, "recipient": recipient, "body": text})[
        "output"
    ]
    emit_json(out) if as_json else emit_fields(out)


@chat.command("history")
@click.option("--peer", default="")
@click.option("--limit", type=click.IntRange(1, 500), default=50)
@json_option
def chat_history(peer: str, limit: int, as_json: bool) -> None:
    """Show conversations, newest first, with delivery and read state."""
    messages = call("chat.history", {"peer": peer, "limit": limit})["output"]["messages"]
    if as_json:
        emit_json(messages)
    else:
        emit_table(
            "messages",
            ["id", "from", "to", "body", "delivered", "read"],
            [
                (
                    m["event_id"][:12],
                    m["sender"][:20],
                    m["recipient"][:20],
                    m["body"],
                    "yes" if m["delivered_at"] else "",
                    "yes" if m["read_at"] else "",
                )
                for m in messages
            ],
        )


@chat.command("read")
@click.argument("event_id")
def chat_read(event_id: str) -> None:
    """Mark a message to you as read."""
    emit_json(call("chat.read", {"event_id": event_id})["output"])


@chat.command("verify")
@click.argument("node_id")
@json_option
def chat_verify(node_id: str, as_json: bool) -> None:
    """Print the safety number to compare with a member in person (both see the same)."""
    out = call("e2e.safety_number", {"node_id": node_id})["output"]
    emit_json(out) if as_json else click.echo(out["safety_number"])


COMMANDS = (chat,)
