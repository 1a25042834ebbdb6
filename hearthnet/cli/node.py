"""The running node, asked from the command line: `status`, `caps`, `call` and `version`
(light: they load nothing of the node itself, so they answer at once)."""

from __future__ import annotations

import json
import platform

import click

from hearthnet import __version__
from hearthnet.cli.output import emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import call, stream


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


COMMANDS = (status, caps, call_cmd, version)
