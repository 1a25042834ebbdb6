"""Text to speech with espeak-ng (`domain.speech.Voice`): the `espeak-ng` program speaks the
text from stdin as WAV; Ogg Opus and MP3 are encoded from it with PyAV on a thread."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
import wave

from hearthnet.domain.speech import Spoken, Synthesize, speaks

WORDS_PER_MINUTE = 165
"""espeak-ng's rate at speed 1.0."""
ENCODERS = {"ogg_opus": ("ogg", "libopus", 48_000), "mp3": ("mp3", "libmp3lame", 22_050)}


def installed_languages() -> list[str]:
    """The languages espeak-ng speaks here ([] without it); blocking."""
    if shutil.which("espeak-ng") is None:
        return []
    listed = subprocess.run(
        ["espeak-ng", "--voices"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    codes = {line.split()[1] for line in listed.splitlines()[1:] if len(line.split()) > 1}
    return sorted(codes | {code.split("-")[0] for code in codes})


def _wav(raw: bytes) -> tuple[bytes, float]:
    """espeak-ng's streamed WAV (its header claims no length) rewritten whole, and its length
    in seconds."""
    with wave.open(io.BytesIO(raw)) as streamed:
        rate, channels, width = (
            streamed.getframerate(),
            streamed.getnchannels(),
            streamed.getsampwidth(),
        )
        pcm = streamed.readframes(streamed.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as whole:
        whole.setnchannels(channels)
        whole.setsampwidth(width)
        whole.setframerate(rate)
        whole.writeframes(pcm)
    return out.getvalue(), len(pcm) / (rate * channels * width)


def _encode(wav: bytes, fmt: str) -> bytes:
    import av
    import numpy as np

    container, codec, rate = ENCODERS[fmt]
    with wave.open(io.BytesIO(wav)) as source:
        source_rate = source.getframerate()
        pcm = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16)
    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = source_rate
        for packet in (*stream.encode(frame), *stream.encode(None)):
            muxer.mux(packet)
    return out.getvalue()


class EspeakVoice:
    """espeak-ng with the languages it has here."""

    backend = "espeak-ng"

    def __init__(self, languages: list[str]) -> None:
        self._languages = languages

    def languages(self) -> list[str]:
        """The languages spoken here."""
        return list(self._languages)

    async def speak(self, q: Synthesize) -> Spoken:
        """Speak the text in the voice of its language (or the voice named)."""
        if not speaks(self._languages, q.language):
            raise ValueError(f"no {q.language} voice here")
        voice = q.voice or q.language
        child = await asyncio.create_subprocess_exec(
            "espeak-ng",
            "-v",
            voice,
            "-s",
            str(round(WORDS_PER_MINUTE * q.speed)),
            "--stdin",
            "--stdout",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        raw, err = await child.communicate(q.text.encode())
        if child.returncode != 0 or not raw:
            raise ValueError(f"espeak-ng could not speak it: {err.decode()[:200].strip()}")
        wav, seconds = await asyncio.to_thread(_wav, raw)
        if q.format == "wav":
            return Spoken(wav, round(seconds, 2), "wav")
        return Spoken(await asyncio.to_thread(_encode, wav, q.format), round(seconds, 2), q.format)
