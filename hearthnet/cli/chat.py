"""`hearthnet chat`: direct messages, through the running node's chat capabilities."""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path
from typing import Any

import click

from hearthnet.cli.output import emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import call, names


@click.group()
def chat() -> None:
    """Private messages, sealed end to end: direct, and in group threads."""


@chat.command("send")
@click.argument("recipient")
@click.argument("text")
@click.option(
    "--attach",
    "paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file to send along, sealed for the recipient alone (repeatable).",
)
@json_option
def chat_send(recipient: str, text: str, paths: tuple[Path, ...], as_json: bool) -> None:
    """Send a message to a member, sealed so that only they can read it (delivered when they
    are next in reach)."""
    attachments = [sealed_attachment(path) for path in paths]
    out = call(
        "chat.send",
        {
            "client_id": uuid.uuid4().hex,
            "recipient": recipient,
            "body": text,
            "attachments": attachments,
        },
    )["output"]
    emit_json(out) if as_json else emit_fields(out)


def sealed_attachment(path: Path) -> dict[str, Any]:
    """Store a file sealed with a fresh key; the attachment that carries the key."""
    put = call("file.put", {"path": str(path.resolve()), "seal": True})["output"]
    return {
        "cid": put["id"],
        "name": path.name[:120],
        "media_type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
        "size_bytes": path.stat().st_size,
        "key": put["key"],
    }


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
        who = names()
        emit_table(
            "messages",
            ["id", "from", "to", "body", "delivered", "read"],
            [
                (
                    m["event_id"][:12],
                    who.get(m["sender"], m["sender"][8:20]),
                    who.get(m["recipient"], m["recipient"][8:20]),
                    m["body"] or f"[{m['error']}]",
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


@chat.group("thread")
def thread() -> None:
    """Group threads: a sender key per member, shared over the pairwise sessions."""


@thread.command("create")
@click.argument("name")
@click.argument("members", nargs=-1, required=True)
@json_option
def thread_create(name: str, members: tuple[str, ...], as_json: bool) -> None:
    """Open a thread NAME with MEMBERS (node ids); print its id."""
    body = {"client_id": uuid.uuid4().hex, "name": name, "members": list(members)}
    out = call("chat.thread.create", body)["output"]
    emit_json(out) if as_json else click.echo(out["thread_id"])


@thread.command("send")
@click.argument("thread_id")
@click.argument("text")
@json_option
def thread_send(thread_id: str, text: str, as_json: bool) -> None:
    """Write TEXT to a thread."""
    body = {"thread_id": thread_id, "client_id": uuid.uuid4().hex, "body": text}
    out = call("chat.thread.send", body)["output"]
    emit_json(out) if as_json else emit_fields(out)


@thread.command("history")
@click.argument("thread_id")
@click.option("--limit", type=click.IntRange(1, 500), default=200)
@json_option
def thread_history(thread_id: str, limit: int, as_json: bool) -> None:
    """Show a thread's members and its messages, oldest first."""
    out = call("chat.thread.history", {"thread_id": thread_id, "limit": limit})["output"]
    if as_json:
        emit_json(out)
        return
    who = names()
    click.echo(f"{out['name']}: {', '.join(who.get(m, m[8:20]) for m in out['members'])}")
    emit_table(
        "messages",
        ["id", "from", "body"],
        [
            (
                m["event_id"][:12],
                who.get(m["sender"], m["sender"][8:20]),
                m["body"] or f"[{m['error']}]",
            )
            for m in out["messages"]
        ],
    )


@thread.command("list")
@json_option
def thread_list(as_json: bool) -> None:
    """List the threads this node is a member of."""
    threads = call("chat.thread.list", {})["output"]["threads"]
    if as_json:
        emit_json(threads)
    else:
        emit_table(
            "threads",
            ["id", "name", "members"],
            [(t["thread_id"], t["name"], len(t["members"])) for t in threads],
        )


@thread.command("add")
@click.argument("thread_id")
@click.argument("member")
def thread_add(thread_id: str, member: str) -> None:
    """Add a member to a thread (they read what is written from now on)."""
    emit_json(call("chat.thread.add_member", {"thread_id": thread_id, "member": member})["output"])


@thread.command("remove")
@click.argument("thread_id")
@click.argument("member")
def thread_remove(thread_id: str, member: str) -> None:
    """Remove a member from a thread you created (they read nothing written after)."""
    body = {"thread_id": thread_id, "member": member}
    emit_json(call("chat.thread.remove_member", body)["output"])


@thread.command("leave")
@click.argument("thread_id")
def thread_leave(thread_id: str) -> None:
    """Leave a thread."""
    emit_json(call("chat.thread.leave", {"thread_id": thread_id})["output"])


COMMANDS = (chat,)
