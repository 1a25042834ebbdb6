"""`hearthnet ocr`: the text of an image or a PDF, read by whichever node of the mesh can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from hearthnet.cli.output import emit_json, json_option
from hearthnet.cli.running import call, frames, shared_for_call


def _page_range(_: Any, __: Any, value: str) -> list[int] | None:
    if not value:
        return None
    first, _, last = value.partition("-")
    if not (first.isdigit() and (last or first).isdigit()):
        raise click.BadParameter("a page or a range of pages: 3 or 2-7")
    return [int(first), int(last or first)]


@click.command("ocr")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--lang", "languages", multiple=True, help="A language of the text (eng, deu); repeatable."
)
@click.option("--pages", default="", callback=_page_range, help="A PDF's pages: 3 or 2-7.")
@click.option("--force-ocr", is_flag=True, help="Read a PDF's pages as images, text layer or not.")
@click.option("--keep", is_flag=True, help="Keep a PDF's text as a file, findable by every node.")
@json_option
def ocr_command(
    path: Path,
    languages: tuple[str, ...],
    pages: list[int] | None,
    force_ocr: bool,
    keep: bool,
    as_json: bool,
) -> None:
    """Read the text of an image or a PDF (scanned pages through OCR)."""
    params = {"languages": list(languages)}
    with path.open("rb") as f:
        is_pdf = f.read(5) == b"%PDF-"
    if not is_pdf:
        with shared_for_call(path) as fid:
            out = call("ocr.image", {"image_cid": fid}, params)["output"]
        if as_json:
            emit_json(out)
        else:
            click.echo(out["text"])
            click.secho(
                f"confidence {out['confidence']}, read by {out['node'][:20]}", dim=True, err=True
            )
        return
    data = {"page_range": pages, "force_ocr": force_ocr, "store_text": keep}
    if keep:  # the text names the document: the PDF stays shared with it
        fid = call("file.put", {"path": str(path.resolve()), "thumbnail": False})["output"]["id"]
        result = _read_pdf({"doc_cid": fid, **data}, params, as_json)
    else:
        with shared_for_call(path) as fid:
            result = _read_pdf({"doc_cid": fid, **data}, params, as_json)
    if as_json:
        emit_json(result)


def _read_pdf(data: dict[str, Any], params: dict[str, Any], as_json: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"pages": [], "low_quality_pages": []}
    for event, frame in frames("ocr.pdf", data, params):
        if event == "page":
            result["pages"].append(frame)
            if not as_json:
                click.secho(f"--- page {frame['page']} ({frame['source']})", dim=True)
                click.echo(frame["text"])
        elif event == "low_quality":
            result["low_quality_pages"].append(frame["page"])
            if not as_json:
                click.secho(f"page {frame['page']} was read poorly", fg="yellow", err=True)
        elif event == "done":
            result.update(frame)
            if not as_json:
                stored = f"; text kept as {frame['stored_cid']}" if frame["stored_cid"] else ""
                click.secho(
                    f"{frame['pages']} pages, read by {frame['node'][:20]}{stored}",
                    dim=True,
                    err=True,
                )
    return result


COMMANDS = (ocr_command,)
