"""`hearthnet run`: serve this node (API, replication, discovery, dashboard)."""

from __future__ import annotations

import asyncio

import click

from hearthnet.adapters.connectivity import TcpProbe
from hearthnet.adapters.runtime import RunOptions
from hearthnet.cli.output import Failure
from hearthnet.cli.running import running_node
from hearthnet.cli.session import node_session, wiring
from hearthnet.config import data_home, save_config


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
            probe=TcpProbe(node.config.connectivity_probe)
            if node.config.connectivity_probe
            else None,
        )
        try:
            asyncio.run(wiring().serve(node, options))
        except OSError as exc:
            raise Failure(f"cannot serve on port {options.port}: {exc}") from None


COMMANDS = (run,)
