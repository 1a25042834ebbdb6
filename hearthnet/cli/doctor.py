"""`hearthnet doctor`: check that this node can do its job, and say what to fix."""

from __future__ import annotations

import shutil
import socket
import time
from typing import TYPE_CHECKING

import click
import httpx

from hearthnet.adapters.keystore import KeyFileError, load_signer
from hearthnet.adapters.node_home import open_node
from hearthnet.cli.output import emit_json, emit_table, json_option
from hearthnet.cli.running import NoNode, call, running_node
from hearthnet.cli.session import wiring
from hearthnet.config import data_home, load_config

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

OK, WARN, FAIL = "ok", "warn", "fail"
MIN_FREE_BYTES = 1 << 30
EARLIEST_SANE_MS = 1_735_689_600_000  # 2025-01-01: a clock before this is certainly wrong


def _keys(home: Path) -> tuple[str, str]:
    try:
        signer = load_signer(home, create=False)
    except KeyFileError as exc:
        return FAIL, str(exc)
    if signer is None:
        return FAIL, "no node key: run `hearthnet init` or `hearthnet join`"
    mode = (home / "keys" / "device.ed25519").stat().st_mode & 0o777
    return (
        (OK, "key present and loadable")
        if mode == 0o600
        else (WARN, f"private key file mode is {oct(mode)}, should be 0o600")
    )


def _community(home: Path) -> tuple[str, str]:
    config = load_config(home)
    return (OK, config.community) if config.community else (FAIL, "no community yet")


def _log(home: Path) -> tuple[str, str]:
    if not (home / "config.toml").exists() and not (home / "log.sqlite").exists():
        return FAIL, f"no node in {home}: run `hearthnet init` or `hearthnet join`"
    try:
        node = open_node(home, wiring().projections)
    except Exception as exc:  # any failure to open is the finding
        return FAIL, f"cannot open the log: {exc}"
    try:
        count = node.log.recorder.count_events()
        target = home / "log.sqlite"
        writable = not target.exists() or target.stat().st_mode & 0o200
        if not writable:
            return FAIL, "log file is read-only"
        problems = _running_log_problems(home)
        unfolded = node.views.unfolded_count()
        if unfolded:
            problems.append(f"{unfolded} events a view could not fold (`log stats`)")
        if problems:
            return WARN, f"{count} events; damaged: " + "; ".join(dict.fromkeys(problems))
        return OK, f"{count} events, writable"
    finally:
        node.close()


def _running_log_problems(home: Path) -> list[str]:
    """What the node running on this data directory says is wrong with its log."""
    found = running_node(home)
    if found is None:
        return []
    url, token = found
    try:
        response = httpx.post(
            f"{url}/bus/v1/call/node.status",
            json={"input": {}},
            headers={"authorization": f"Bearer {token}"},
            timeout=5.0,
        )
        return list(response.json()["output"].get("log_problems", []))
    except (httpx.HTTPError, ValueError, KeyError):
        return []


def _port(home: Path) -> tuple[str, str]:
    found = running_node(home)
    if found is not None:
        return OK, f"node running at {found[0]}"
    port = load_config(home).port
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return FAIL, f"port {port} is taken by another program"
    return WARN, f"no node running; port {port} is free for `hearthnet run`"


def _capabilities(home: Path) -> tuple[str, str]:
    try:
        caps = call("protocol.version.list")["output"]["capabilities"]
    except NoNode:
        return WARN, "no node running to serve capabilities"
    return (OK, f"{len(caps)} capabilities served") if caps else (FAIL, "no capability served")


def _mdns(home: Path) -> tuple[str, str]:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", 5353))
    except OSError as exc:
        return WARN, f"cannot bind the mDNS port 5353: {exc}"
    return OK, "mDNS port 5353 can be bound"


def _disk(home: Path) -> tuple[str, str]:
    free = shutil.disk_usage(home if home.exists() else home.parent).free
    gb = free / (1 << 30)
    return (OK, f"{gb:.1f} GB free") if free >= MIN_FREE_BYTES else (FAIL, f"only {gb:.2f} GB free")


def _clock(home: Path) -> tuple[str, str]:
    now = int(time.time() * 1000)
    return (
        (OK, "system clock plausible")
        if now > EARLIEST_SANE_MS
        else (FAIL, "the system clock is before 2025: fix the time")
    )


CHECKS: dict[str, Callable[[Path], tuple[str, str]]] = {
    "keys": _keys,
    "community_present": _community,
    "event_log_writable": _log,
    "transport_port": _port,
    "at_least_one_capability": _capabilities,
    "mdns_socket": _mdns,
    "disk_space": _disk,
    "clock_sanity": _clock,
}


@click.command()
@click.option("--check", "only", type=click.Choice(sorted(CHECKS)), help="Run one check only.")
@json_option
def doctor(only: str | None, as_json: bool) -> None:
    """Check keys, community, log, port, capabilities, mDNS, disk and clock; exit 0/1/2."""
    home = data_home()
    results = {name: CHECKS[name](home) for name in ([only] if only else CHECKS)}
    if as_json:
        emit_json({name: {"status": s, "detail": d} for name, (s, d) in results.items()})
    else:
        emit_table(
            "doctor",
            ["check", "status", "detail"],
            [(name, s, d) for name, (s, d) in results.items()],
        )
    statuses = {s for s, _ in results.values()}
    raise click.exceptions.Exit(2 if FAIL in statuses else 1 if WARN in statuses else 0)


COMMANDS = (doctor,)
