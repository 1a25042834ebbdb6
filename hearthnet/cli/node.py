"""The node itself: `hearthnet run`, `status`, `caps`, `call` and `version`."""

from __future__ import annotations

import asyncio
import json
import platform

import click

from hearthnet import __version__
from hearthnet.adapters.runtime import RunOptions
from hearthnet.cli.doctor import doctor
from hearthnet.cli.output import Failure, emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import call, running_node, stream
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
        )
        try:
            asyncio.run(wiring().serve(node, options))
        except OSError as exc:
            raise Failure(f"cannot serve on port {options.port}: {exc}") from None


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


@click.command()
@json_option
def version(as_json: bool) -> None:
    """Print package, protocol and Python versions."""
    info = {
        "hearthnet": __version__,
        "envelope": 1,
        "python": platform.python_version(),
        "os": platform.platform(),
    }
    if as_json:
        emit_json(info)
    else:
        click.echo(" ".join(f"{k} {v}" for k, v in info.items()))


COMMANDS = (run, status, caps, call_cmd, version, doctor)
