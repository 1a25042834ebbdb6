"""Speech on a running node with the real engines: espeak-ng speaks known sentences, Whisper
(tiny.en for English, base for German, found by itself) writes them down again within the
word error rate of the goal; audio comes as WAV, Ogg Opus and MP3 in 16 KiB chunks; audio
over 300 s, a file that is not audio and a language with no voice are refused, and nothing
is stored."""

from __future__ import annotations

import base64
import io
import wave
from typing import TYPE_CHECKING, Any

import av
import pytest

from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import running
from tests.transcripts import wer

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime

ENGLISH = [
    "Please bring blankets and water to the school hall.",
    "The bridge over the river is closed until tomorrow morning.",
    "Two volunteers are needed at the fire station tonight.",
]
GERMAN = "Guten Morgen! Bitte schalte das Licht in der Küche ein."


async def spoken(runtime: NodeRuntime, text: str, **extra: Any) -> tuple[bytes, dict[str, Any]]:
    frames = [
        f async for f in runtime.local_bus().stream("tts.synthesize", {"text": text, **extra})
    ]
    chunks = [data for name, data in frames if name == "chunk"]
    assert [c["i"] for c in chunks] == list(range(len(chunks)))
    assert all(c["size_bytes"] == 16 * 1024 for c in chunks[:-1])
    assert frames[-1][0] == "done", frames[-1]
    audio = b"".join(base64.b64decode(c["data_b64"]) for c in chunks)
    assert len(audio) == frames[-1][1]["total_bytes"]
    return audio, {**frames[0][1], **frames[-1][1]}


async def heard(runtime: NodeRuntime, path: Path, **extra: Any) -> dict[str, Any]:
    stored = await runtime.local_bus().call("file.put", {"path": str(path), "pin": False})
    data = {"audio_cid": stored["id"], **extra}
    return await runtime.local_bus().call("stt.transcribe", data)


async def test_english_is_spoken_and_written_down_again(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        rates = []
        for i, sentence in enumerate(ENGLISH):
            audio, done = await spoken(runtime, sentence)
            assert done["format"] == "wav" and done["node"] == runtime.me
            with wave.open(io.BytesIO(audio)) as w:
                seconds = w.getnframes() / w.getframerate()
            assert abs(seconds - done["duration_seconds"]) < 0.05 and seconds > 1.5
            path = tmp_path / f"{i}.wav"
            path.write_bytes(audio)
            text = await heard(runtime, path, language="en")
            assert text["language"] == "en"
            assert [s["start"] < s["end"] for s in text["segments"]] == [True] * len(
                text["segments"]
            )
            rates.append(wer(sentence, text["text"]))
        assert sum(rates) / len(rates) <= 0.15, rates


async def test_german_is_recognised_as_german_and_every_format_decodes(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        for fmt, container in (("ogg_opus", "ogg"), ("mp3", "mp3"), ("wav", "wav")):
            audio, _ = await spoken(runtime, GERMAN, language="de", format=fmt, speed=0.9)
            with av.open(io.BytesIO(audio)) as decoded:
                assert container in decoded.format.name
                assert decoded.streams.audio[0].duration or decoded.duration
            path = tmp_path / f"de.{container}"
            path.write_bytes(audio)
        text = await heard(runtime, path)  # language "auto": the multilingual model
        assert text["language"] == "de" and text["model"] == "base"
        assert wer(GERMAN, text["text"]) <= 0.35, text["text"]


async def test_bad_audio_and_unknown_voices_are_refused_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    async with running(tmp_path / "node") as runtime:
        long = tmp_path / "long.wav"
        with wave.open(str(long), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * 8000 * 301)
        noise = tmp_path / "notes.mp3"
        noise.write_bytes(b"ID3 this is not audio at all" * 100)
        empty = tmp_path / "empty.ogg"
        empty.write_bytes(b"")
        events = runtime.node.log.max_lamport
        for path, why in ((long, "longer than 300"), (noise, "not readable audio")):
            with pytest.raises(BusError) as refused:
                await heard(runtime, path)
            assert refused.value.code == "bad_request" and why in refused.value.message
        with pytest.raises(BusError) as refused:
            await heard(runtime, empty)
        assert refused.value.code == "bad_request"
        with pytest.raises(BusError) as refused:
            await runtime.local_bus().call("tts.synthesize", {"text": "Hallo", "language": "tlh"})
        assert refused.value.code == "not_found" and "tlh" in refused.value.message
        texts = await runtime.reader.query("SELECT COUNT(*) AS n FROM ocr_texts", {})
        assert texts[0]["n"] == 0
        puts = await runtime.reader.query(
            "SELECT COUNT(*) AS n FROM timeline WHERE lamport > :l "
            "AND type NOT LIKE 'file.%' AND type NOT LIKE 'e2e.%'",
            {"l": events},
        )
        assert puts[0]["n"] == 0, "a refused call recorded nothing"
