"""`hearthnet translate`: a text in another language, by a node of the mesh that has the pair."""

from __future__ import annotations

import click

from hearthnet.cli.output import emit_json, json_option
from hearthnet.cli.running import call


@click.command()
@click.argument("text")
@click.option("--to", "target", required=True, help="The language to translate into (es, en...).")
@click.option("--from", "source", default="auto", show_default=True, help="The text's language.")
@click.option("--backend", default="", help="apertium or argos (default: any).")
@json_option
def translate(text: str, target: str, source: str, backend: str, as_json: bool) -> None:
    """Translate TEXT (its language found when not given)."""
    data = {"text": text, "to": target, "from": source}
    out = call("trans.text", data, {"backend": backend} if backend else {})["output"]
    if as_json:
        emit_json(out)
        return
    click.echo(out["text"])
    click.secho(
        f"{out['from']} → {out['to']}, {out.get('backend', '')} on {out['node'][:20]}",
        dim=True,
        err=True,
    )


COMMANDS = (translate,)
