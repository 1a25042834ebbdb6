"""`hearthnet file`: share files of this machine and fetch the community's, by id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hearthnet.cli.output import emit_fields, emit_json, emit_table, json_option
from hearthnet.cli.running import frames
from hearthnet.cli.session import act


@click.group("file")
def file_group() -> None:
    """Files shared in the community, named by their content (blake3:...)."""


@file_group.command("put")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default="", help="The name shown (default: the file's).")
@click.option("--no-pin", is_flag=True, help="Let the file be collected when room is needed.")
@json_option
def put(path: Path, name: str, no_pin: bool, as_json: bool) -> None:
    """Store a file and share it; print its id."""
    out = act("file.put", {"path": str(path.resolve()), "name": name, "pin": not no_pin})
    if as_json:
        emit_json(out)
    else:
        click.echo(out["id"])


@file_group.command("get")
@click.argument("file_id", metavar="ID")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pin", is_flag=True, help="Keep the file here.")
@click.option("--key", default="", help="The key of a sealed attachment (from its message).")
@json_option
def get(file_id: str, out: Path | None, pin: bool, key: str, as_json: bool) -> None:
    """Fetch a file from the members who hold it, verified chunk by chunk."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    data = {"id": file_id, "to": str(out.resolve()) if out else "", "pin": pin, "key": key}
    result: dict[str, Any] = {}
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, disable=as_json, transient=True) as bar:
        task = bar.add_task("fetching", total=None)
        for event, frame in frames("file.get", data):
            if event == "progress":
                bar.update(task, total=frame["total_bytes"], completed=frame["have_bytes"])
            elif event == "file":
                result = frame
    if as_json:
        emit_json(result)
    else:
        shown = ("id", "name", "size_bytes", "fetched_bytes", "seconds", "to")
        emit_fields({k: result[k] for k in shown if k in result})


@file_group.command("ls")
@click.option("--all", "everything", is_flag=True, help="Also the files only others hold.")
@json_option
def ls(everything: bool, as_json: bool) -> None:
    """List the files held here (and, with --all, every file a member advertises)."""
    files = act("file.list", {})["files"]
    shown = [f for f in files if everything or f["here"]]
    if as_json:
        emit_json(shown)
        return
    emit_table(
        "files",
        ["id", "name", "bytes", "here", "pinned", "holders"],
        [
            [f["id"][:23], f["name"], f["size_bytes"], f["here"], f["pinned"], len(f["holders"])]
            for f in shown
        ],
    )


def _target(capability: str, file_id: str, as_json: bool) -> None:
    out = act(capability, {"id": file_id})
    emit_json(out) if as_json else emit_fields(out)


@file_group.command("pin")
@click.argument("file_id", metavar="ID")
@json_option
def pin(file_id: str, as_json: bool) -> None:
    """Keep a file here whatever room is needed."""
    _target("file.pin", file_id, as_json)


@file_group.command("unpin")
@click.argument("file_id", metavar="ID")
@json_option
def unpin(file_id: str, as_json: bool) -> None:
    """Let a file be collected when room is needed."""
    _target("file.unpin", file_id, as_json)


@file_group.command("rm")
@click.argument("file_id", metavar="ID")
@json_option
def rm(file_id: str, as_json: bool) -> None:
    """Remove a file from this node (the others' copies stay)."""
    _target("file.remove", file_id, as_json)


COMMANDS = (file_group,)
