"""`hearthnet run`, `join`, `peers` and `peer add`: the running node and its neighbours."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click
import httpx

from hearthnet.cli.output import Failure, emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.session import node_session
from hearthnet.config import data_home, save_config
from hearthnet.domain.types import InvalidIdentifier, parse_peer_url

if TYPE_CHECKING:
    from pathlib import Path


def running_node(home: Path) -> tuple[str, str] | None:
    """Return (url, admin token) of the node running on this data directory, if any."""
    try:
        url = json.loads((home / "node.json").read_text())["url"]
        token = (home / "admin.token").read_text().strip()
    except (OSError, ValueError, KeyError):
        return None
    try:
        httpx.get(f"{url}/health", timeout=2.0).raise_for_status()
    except httpx.HTTPError:
        return None
    return str(url), token


def admin_call(home: Path, method: str, path: str, body: Any = None) -> Any:
    """Call the running node's admin API; Failure with exit 3 semantics if none runs."""
    found = running_node(home)
    if found is None:
        raise Failure("no node is running on this data directory: start `hearthnet run`")
    url, token = found
    try:
        response = httpx.request(
            method,
            url + path,
            json=body,
            timeout=10.0,
            headers={"authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise Failure(f"the running node did not answer: {exc}") from None
    if response.status_code != 200:
        raise Failure(f"the node refused: {response.text[:300]}")
    return response.json()


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), help="API port (default from config, 7080).")
@click.option("--peer", "peers", multiple=True, help="A peer URL to sync with (repeatable).")
@click.option("--lan", is_flag=True, help="Listen on every interface, not only 127.0.0.1.")
@click.option("--no-ui", is_flag=True, help="Do not serve the dashboard.")
@click.option("--no-discovery", is_flag=True, help="Do not announce or browse with zeroconf.")
@click.option("--public-url", default="", help="The URL peers should use to reach this node.")
@click.option("--without", multiple=True, help="A capability not to serve here (repeatable).")
@click.option(
    "--sync-interval",
    type=click.FloatRange(0.2, 3600),
    default=30.0,
    help="Seconds between anti-entropy rounds per peer (default 30).",
)
def run(
    port: int | None,
    peers: tuple[str, ...],
    lan: bool,
    no_ui: bool,
    no_discovery: bool,
    public_url: str,
    without: tuple[str, ...],
    sync_interval: float,
) -> None:
    """Run this node: API, replication, discovery and the dashboard, until Ctrl-C or SIGTERM.

    A node without a community yet serves the dashboard's onboarding (found or join) first.
    """
    from hearthnet.bootstrap import RunOptions, serve

    home = data_home()
    if running_node(home) is not None:
        raise Failure("a node is already running on this data directory")
    with node_session(create_key=not no_ui, need_community=no_ui) as node:
        if not (home / "config.toml").exists() or port is None:
            save_config(home, node.config)
        options = RunOptions(
            port=port or node.config.port,
            host="0.0.0.0" if lan else "127.0.0.1",
            peers=peers,
            sync_interval=sync_interval,
            discovery=not no_discovery,
            public_url=public_url.rstrip("/"),
            without=without,
            ready=lambda url: click.echo(f"ready {url}", err=True),
            dashboard=not no_ui,
        )
        try:
            asyncio.run(serve(node, options))
        except OSError as exc:
            raise Failure(f"cannot serve on port {options.port}: {exc}") from None


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
