"""`hearthnet peers` and `hearthnet peer add`: this node's neighbours."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from hearthnet.cli.output import Failure, emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import admin_call, call, running_node
from hearthnet.cli.session import node_session
from hearthnet.config import data_home, save_config
from hearthnet.domain.types import InvalidIdentifier, parse_peer_url


@click.command()
@json_option
def peers(as_json: bool) -> None:
    """List the running node's peers with their state and last sync."""
    rows = admin_call(data_home(), "GET", "/admin/v1/peers")
    if as_json:
        emit_json(rows)
        return
    emit_table(
        "peers",
        ["url", "node", "state", "source", "last sync", "error"],
        [
            (
                p["url"],
                p["node_id"][:24],
                p["state"],
                p["source"],
                datetime.fromtimestamp(p["last_sync_ms"] / 1000, UTC).strftime("%H:%M:%S")
                if p["last_sync_ms"]
                else "-",
                p["last_error"][:60],
            )
            for p in rows
        ],
    )


@click.group()
def peer() -> None:
    """Manage peers by hand."""


@peer.command("add")
@click.argument("url")
@json_option
def peer_add(url: str, as_json: bool) -> None:
    """Add a peer URL: remembered in config.toml, and synced at once if the node runs."""
    try:
        url = parse_peer_url(url)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    home = data_home()
    with node_session() as node:
        if url.rstrip("/") not in node.config.peers:
            node.config.peers.append(url.rstrip("/"))
            save_config(home, node.config)
    live = running_node(home) is not None
    if live:
        admin_call(home, "POST", "/admin/v1/peers", {"url": url})
    if as_json:
        emit_json({"url": url, "saved": True, "node_running": live})
    else:
        emit_fields({"added": url, "node running": live})


@peer.command("forget")
@click.argument("url")
def peer_forget(url: str) -> None:
    """Stop syncing with a peer (a dead one, say): dropped from config.toml and the node."""
    try:
        url = parse_peer_url(url)
    except InvalidIdentifier as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    home = data_home()
    if running_node(home) is not None:
        call("mesh.peer.forget", {"url": url})
        click.echo(f"forgotten: {url}")
        return
    with node_session() as node:
        if url not in node.config.peers:
            raise Failure(f"{url} is not a peer of this node")
        node.config.peers.remove(url)
        save_config(home, node.config)
    click.echo(f"forgotten: {url}")


COMMANDS = (peers, peer)
