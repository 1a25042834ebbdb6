"""Speech to text (`stt.transcribe`, segments streamed) and text to speech
(`tts.synthesize`, audio streamed in chunks), served by whichever node has the model or the
voice; a call from a peer is served where it lands or not at all."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import speech
from hearthnet.domain.capability import BusError
from hearthnet.services import routing
from hearthnet.services.bus import Capability
from hearthnet.services.context import guess_language

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator

    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

MAX_AUDIO_BYTES = 64 * 2**20


def _stt(node: NodeContext) -> speech.Transcriber | None:
    found: speech.Transcriber | None = getattr(node, "stt", None)
    return found


def _tts(node: NodeContext) -> speech.Voice | None:
    found: speech.Voice | None = getattr(node, "tts", None)
    return found


def _heard_by(models: list[Any], language: str, pinned: str) -> speech.SttModel | None:
    try:
        listed = msgspec.convert(models, list[speech.SttModel])
    except msgspec.ValidationError:
        return None
    return speech.stt_model_for(listed, language, pinned)


async def _transcribe(
    node: NodeContext, engine: speech.Transcriber, q: speech.Transcribe, model: str, caller: str
) -> AsyncGenerator[tuple[str, Any], None]:
    started = time.perf_counter()
    async with routing.input_file(node, q.audio_cid, caller, MAX_AUDIO_BYTES) as path:
        try:
            async for heard in engine.transcribe(path, q.language, model):
                if isinstance(heard, speech.Segment):
                    yield "segment", msgspec.to_builtins(heard)
                else:
                    yield (
                        "done",
                        {
                            **msgspec.to_builtins(heard),
                            "model": model,
                            "backend": engine.backend,
                            "ms": round((time.perf_counter() - started) * 1000, 1),
                        },
                    )
        except ValueError as exc:
            raise BusError("bad_request", str(exc)) from None


async def transcribe(call: Call, node: NodeContext) -> AsyncGenerator[tuple[str, Any], None]:
    q: speech.Transcribe = call.input
    params = call.params_as(speech.SttParams)
    pinned = params.model
    engine = _stt(node)
    model = speech.stt_model_for(engine.models(), q.language, pinned) if engine else None
    wanted = f"{pinned or 'a speech model'} for {q.language}"
    if call.level != "self":
        if engine is None or model is None:
            raise BusError("not_found", f"no {wanted} here")
        async with routing.peer_slot(node, "stt", call.caller):
            yield "start", {"node": node.me, "model": model.name}
            async for frame in _transcribe(node, engine, q, model.name, call.caller):
                yield frame
        return
    here = None
    if engine is not None and model is not None:
        chosen = model.name
        here = lambda: _transcribe(node, engine, q, chosen, node.me)  # noqa: E731

    def fits(params: dict[str, Any]) -> bool:
        return _heard_by(params.get("models") or [], q.language, pinned) is not None

    frames = routing.stream(
        node,
        "stt.transcribe",
        {"model": pinned} if pinned else {},
        msgspec.to_builtins(q),
        fits,
        here,
        f"no node of the mesh has {wanted}",
        here_only=params.here_only,
    )
    async for frame in frames:
        yield frame


def _transcript(frames: list[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    segments = [data for name, data in frames if name == "segment"]
    done: dict[str, Any] = next((d for name, d in frames if name == "done"), {})
    start: dict[str, Any] = next((d for name, d in frames if name == "start"), {})
    text: str = " ".join(s["text"] for s in segments).strip()
    output = {
        "text": text,
        "segments": segments,
        "language": done.get("language", ""),
        "duration_seconds": done.get("duration_seconds", 0.0),
        "model": done.get("model", ""),
        "node": start.get("node", ""),
        "failed": start.get("failed", []),
    }
    return output, {"backend": done.get("backend", ""), "ms": done.get("ms", 0)}


async def _speak(
    voice: speech.Voice, q: speech.Synthesize
) -> AsyncGenerator[tuple[str, Any], None]:
    started = time.perf_counter()
    try:
        spoken = await voice.speak(q)
    except ValueError as exc:
        raise BusError("bad_request", str(exc)) from None
    audio, size = spoken.audio, speech.AUDIO_CHUNK_BYTES
    for i in range(0, len(audio), size):
        piece = audio[i : i + size]
        yield (
            "chunk",
            {
                "i": i // size,
                "size_bytes": len(piece),
                "data_b64": base64.b64encode(piece).decode(),
            },
        )
    yield (
        "done",
        {
            "total_bytes": len(audio),
            "duration_seconds": spoken.duration_seconds,
            "format": spoken.format,
            "media_type": speech.MEDIA_TYPES[spoken.format],
            "backend": voice.backend,
            "ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


async def _spoken_language(node: NodeContext, q: speech.Synthesize, self_call: bool) -> str:
    """The language to speak a text in: the one asked for, else the likeliest of those the
    node's voice (and, for its operator, the mesh's voices) speak."""
    if q.language != "auto":
        return q.language
    voice = _tts(node)
    spoken = set(voice.languages() if voice else [])
    if self_call:
        for _, params in await routing.advertised(node, "tts.synthesize"):
            spoken |= {str(x) for x in params.get("languages") or []}
    among = sorted(x for x in spoken if "-" not in x) or ["en"]
    return await guess_language(node, q.text, among)


async def synthesize(call: Call, node: NodeContext) -> AsyncGenerator[tuple[str, Any], None]:
    q: speech.Synthesize = call.input
    here_only = call.params_as(speech.VoiceParams).here_only
    language = await _spoken_language(node, q, call.level == "self" and not here_only)
    q = msgspec.structs.replace(q, language=language)
    voice = _tts(node)
    here_ok = voice is not None and speech.speaks(voice.languages(), q.language)
    missing = f"no node of the mesh speaks {q.language}"
    if call.level != "self":
        if voice is None or not here_ok:
            raise BusError("not_found", missing)
        async with routing.peer_slot(node, "tts", call.caller):
            yield "start", {"node": node.me}
            async for frame in _speak(voice, q):
                yield frame
        return

    def fits(params: dict[str, Any]) -> bool:
        return q.format in (params.get("formats") or []) and speech.speaks(
            params.get("languages") or [], q.language
        )

    here = (lambda: _speak(voice, q)) if voice is not None and here_ok else None
    raw = msgspec.to_builtins(q)
    frames = routing.stream(
        node, "tts.synthesize", {}, raw, fits, here, missing, here_only=here_only
    )
    async for frame in frames:
        yield frame


def _audio(frames: list[tuple[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    audio = b"".join(base64.b64decode(d["data_b64"]) for name, d in frames if name == "chunk")
    done: dict[str, Any] = next((d for name, d in frames if name == "done"), {})
    start: dict[str, Any] = next((d for name, d in frames if name == "start"), {})
    output = {"audio_b64": base64.b64encode(audio).decode(), **done}
    return output | {"node": start.get("node", ""), "failed": start.get("failed", [])}, {
        "ms": done.get("ms", 0)
    }


CAPABILITIES = (
    Capability(
        "stt.transcribe",
        "member",
        speech.Transcribe,
        transcribe,
        streaming=True,
        collect=_transcript,
    ),
    Capability(
        "tts.synthesize",
        "member",
        speech.Synthesize,
        synthesize,
        streaming=True,
        collect=_audio,
    ),
)
