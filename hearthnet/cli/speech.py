"""`hearthnet transcribe` and `hearthnet speak`: speech to text and back, by the mesh."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import click

from hearthnet.cli.output import emit_json, json_option
from hearthnet.cli.running import frames, shared_for_call

FORMATS = {".wav": "wav", ".ogg": "ogg_opus", ".opus": "ogg_opus", ".mp3": "mp3"}


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--language", default="auto", show_default=True, help="en, de... or auto.")
@click.option(
    "--model", default="", help="The speech model (tiny.en, base; default: the mesh picks)."
)
@json_option
def transcribe(path: Path, language: str, model: str, as_json: bool) -> None:
    """Write down the speech of an audio file (any common format, up to 300 s)."""
    result: dict[str, Any] = {"segments": []}
    with shared_for_call(path) as fid:
        params = {"model": model} if model else {}
        for event, frame in frames(
            "stt.transcribe", {"audio_cid": fid, "language": language}, params
        ):
            if event == "segment":
                result["segments"].append(frame)
                if not as_json:
                    click.echo(frame["text"])
            elif event in ("start", "done"):
                result.update(frame)
    result["text"] = " ".join(s["text"] for s in result["segments"])
    if as_json:
        emit_json(result)
    else:
        click.secho(
            f"{result.get('language', '')}, {result.get('duration_seconds', 0)} s, "
            f"{result.get('model', '')} on {str(result.get('node', ''))[:20]}",
            dim=True,
            err=True,
        )


@click.command()
@click.argument("text")
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The audio file to write: .wav, .ogg or .mp3.",
)
@click.option(
    "--language", default="en", show_default=True, help="The language spoken (en, de...)."
)
@click.option("--voice", default="", help="An espeak-ng voice name (default: the language's).")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0.5, 2.0))
@json_option
def speak(text: str, out: Path, language: str, voice: str, speed: float, as_json: bool) -> None:
    """Speak TEXT into an audio file, with a voice of the mesh."""
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise click.BadParameter(
            f"write .wav, .ogg or .mp3, not {out.suffix or 'no ending'}", param_hint="-o"
        )
    data = {"text": text, "language": language, "voice": voice, "speed": speed, "format": fmt}
    audio, done = bytearray(), {}
    for event, frame in frames("tts.synthesize", data):
        if event == "chunk":
            audio += base64.b64decode(frame["data_b64"])
        elif event in ("start", "done"):
            done.update(frame)
    try:
        out.write_bytes(bytes(audio))
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror}") from None
    done["path"] = str(out)
    if as_json:
        emit_json(done)
    else:
        by = str(done.get("node", ""))[:20]
        click.echo(f"{out}: {done['duration_seconds']} s of {fmt}, spoken by {by}")


COMMANDS = (transcribe, speak)
