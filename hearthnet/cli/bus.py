"""Commands that call capabilities on the running node: `call`, `status`, `caps`, `market`,
`chat`, `member`. The exit code follows the wire error."""

from __future__ import annotations

import json
import uuid
from typing import Any

import click
import httpx

from hearthnet.cli.node import running_node
from hearthnet.cli.output import Failure, emit_fields, emit_json, emit_table, json_option
from hearthnet.config import data_home

EXIT_FOR_ERROR = {
    "bad_request": 2,
    "schema_mismatch": 2,
    "invalid_signature": 4,
    "unauthorized": 4,
    "revoked": 4,
    "capacity_exceeded": 5,
}


class CallFailure(Failure):
    """A capability call that came back with a wire error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code

    def exit_status(self) -> int:
        """The exit code for this wire error."""
        return EXIT_FOR_ERROR.get(self.code, 1)


class NoNode(Failure):
    """No node runs on this data directory."""

    exit_code = 3


def call(ref: str, data: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> Any:
    """Call a capability on the running node as this node's owner; return its output."""
    found = running_node(data_home())
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    try:
        response = httpx.post(
            f"{url}/bus/v1/call",
            json={"params": params or {}, "input": data or {}},
            headers={"authorization": f"Bearer {token}", "x-hearthnet-capability": ref},
            timeout=60.0,
        )
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Failure(f"the running node did not answer: {exc}") from None
    if response.status_code != 200:
        raise CallFailure(answer.get("error", "internal_error"), answer.get("message", ""))
    return answer


def stream(ref: str, data: dict[str, Any] | None, params: dict[str, Any] | None) -> None:
    """Call a streaming capability and print its frames as JSON Lines."""
    found = running_node(data_home())
    if found is None:
        raise NoNode("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    headers = {
        "authorization": f"Bearer {token}",
        "x-hearthnet-capability": ref,
        "accept": "text/event-stream",
    }
    event = ""
    body = {"params": params or {}, "input": data or {}}
    with httpx.stream(
        "POST", f"{url}/bus/v1/call", json=body, headers=headers, timeout=None
    ) as response:
        if response.status_code != 200:
            answer = json.loads(response.read())
            raise CallFailure(answer.get("error", "internal_error"), answer.get("message", ""))
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                frame = {"event": event, "data": json.loads(line[6:])}
                emit_json(frame)
                if event == "error":
                    raise CallFailure(frame["data"]["error"], frame["data"].get("message", ""))


@click.command("call")
@click.argument("name")
@click.argument("body", default="{}")
@click.option("--stream", "streaming", is_flag=True, help="Stream frames (JSON Lines).")
@json_option
def call_cmd(name: str, body: str, streaming: bool, as_json: bool) -> None:
    """Call a capability: NAME[@VERSION] and a JSON body {"params": ..., "input": ...}."""
    try:
        envelope = json.loads(body)
        if not isinstance(envelope, dict):
            raise ValueError("the body must be a JSON object")
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="BODY") from None
    if "input" not in envelope and "params" not in envelope:
        envelope = {"input": envelope}
    if streaming:
        stream(name, envelope.get("input"), envelope.get("params"))
        return
    emit_json(call(name, envelope.get("input"), envelope.get("params")))
    del as_json  # the answer is JSON either way


@click.command()
@json_option
def status(as_json: bool) -> None:
    """Show the running node: identity, community, peers, log head, capabilities."""
    out = call("node.status")["output"]
    if as_json:
        emit_json(out)
        return
    emit_fields({k: v for k, v in out.items() if k not in ("peers", "capabilities")})
    emit_table(
        "peers",
        ["url", "node", "state"],
        [(p["url"], p["node_id"][:24], p["state"]) for p in out["peers"]],
    )


@click.command()
@json_option
def caps(as_json: bool) -> None:
    """List the capabilities this node serves."""
    out = call("protocol.version.list")["output"]
    if as_json:
        emit_json(out)
    else:
        emit_table("capabilities", ["capability"], [(c,) for c in out["capabilities"]])


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
@json_option
def market_post(
    title: str,
    text: str,
    category: str,
    tags: tuple[str, ...],
    ttl_hours: float,
    client_id: str,
    as_json: bool,
) -> None:
    """Put a post on the board."""
    out = call(
        "market.post",
        {
            "client_id": client_id or uuid.uuid4().hex,
            "title": title,
            "body": text,
            "category": category,
            "tags": list(tags),
            "ttl_seconds": int(ttl_hours * 3600),
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
        emit_table(
            "board",
            ["id", "category", "title", "author", "tags"],
            [
                (
                    p["event_id"][:12],
                    p["category"],
                    p["title"],
                    p["author"][:20],
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


@click.group()
def member() -> None:
    """Members and their trust levels."""


@member.command("list")
@json_option
def member_list(as_json: bool) -> None:
    """List members, levels and standing."""
    rows = call("community.members")["output"]["members"]
    if as_json:
        emit_json(rows)
    else:
        emit_table(
            "members",
            ["node", "level", "status", "name"],
            [(r["node_id"], r["level"], r["status"], r["display_name"]) for r in rows],
        )


def _cosigners(values: tuple[str, ...]) -> list[dict[str, str]]:
    out = []
    for value in values:
        node, _, signature = value.partition("=")
        if not signature:
            raise click.BadParameter("a co-signature is NODE_ID=SIGNATURE", param_hint="--cosig")
        out.append({"node_id": node, "signature": signature})
    return out


@member.command("revoke")
@click.argument("node_id")
@click.option(
    "--reason",
    type=click.Choice(["compromised", "inactive", "policy_violation", "other"]),
    default="other",
)
@click.option("--cosig", "cosigs", multiple=True, help="NODE_ID=SIGNATURE (repeatable).")
def member_revoke(node_id: str, reason: str, cosigs: tuple[str, ...]) -> None:
    """Revoke a member, with the co-signatures the community's policy asks for."""
    emit_json(
        call(
            "community.revoke",
            {"target_node_id": node_id, "reason": reason, "co_signers": _cosigners(cosigs)},
        )["output"]
    )


@member.command("promote")
@click.argument("node_id")
@click.option("--level", type=click.Choice(["trusted", "anchor"]), default="trusted")
@click.option("--cosig", "cosigs", multiple=True, help="NODE_ID=SIGNATURE (repeatable).")
def member_promote(node_id: str, level: str, cosigs: tuple[str, ...]) -> None:
    """Promote a member, with co-signatures."""
    emit_json(
        call(
            "community.promote",
            {"target_node_id": node_id, "new_level": level, "co_signers": _cosigners(cosigs)},
        )["output"]
    )


@member.command("cosign")
@click.argument("change", type=click.Choice(["revoke", "promote", "demote"]))
@click.argument("node_id")
@click.option(
    "--reason",
    type=click.Choice(["compromised", "inactive", "policy_violation", "other"]),
    default="other",
)
@click.option("--level", type=click.Choice(["member", "trusted", "anchor"]), default="trusted")
def member_cosign(change: str, node_id: str, reason: str, level: str) -> None:
    """Co-sign a membership change with this node's key; prints NODE_ID=SIGNATURE for --cosig."""
    from hearthnet.cli.session import node_session
    from hearthnet.domain import community as cm
    from hearthnet.domain.types import b64url, parse_node_id
    from hearthnet.domain.types import node_id as to_node_id

    with node_session(need_community=True) as node:
        assert node.signer is not None
        type_, body = cm.membership_change(
            change,  # type: ignore[arg-type]
            node_id,
            reason=reason,
            new_level=level,
        )
        payload = cm.cosign_payload(parse_node_id(node.config.community), type_, body)
        click.echo(f"{to_node_id(node.signer.public_key)}={b64url(node.signer.sign(payload))}")
