"""Speech to text and text to speech (SPEC M19): the calls, the bounds, and the ports of the
engines that serve them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Protocol

import msgspec

from hearthnet.domain.types import FileId

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

MAX_AUDIO_S = 300.0
"""The longest audio one `stt.transcribe` call hears."""
MAX_SPEECH_CHARS = 5000
AUDIO_CHUNK_BYTES = 16 * 1024
"""The size of the audio frames `tts.synthesize` streams."""

SpokenLanguage = Annotated[str, msgspec.Meta(pattern=r"^(auto|[a-z]{2,3}(-[a-z]{2,4})?)$")]
Format = Literal["wav", "ogg_opus", "mp3"]

MEDIA_TYPES: dict[str, str] = {"wav": "audio/wav", "ogg_opus": "audio/ogg", "mp3": "audio/mpeg"}


class SttParams(msgspec.Struct, frozen=True, kw_only=True):
    """The params of a transcription: the model, if the caller pins one."""

    model: Annotated[str, msgspec.Meta(max_length=80)] = ""
    here_only: bool = False
    """Transcribe on this node or not at all (a private recording)."""


class Transcribe(msgspec.Struct, frozen=True, kw_only=True):
    """`stt.transcribe@1.0`: the speech of a stored audio file as text, segment by segment."""

    audio_cid: FileId
    language: SpokenLanguage = "auto"


class Segment(msgspec.Struct, frozen=True):
    """A stretch of speech: its start and end in seconds, its text and language."""

    start: float
    end: float
    text: str
    language: str


class SttModel(msgspec.Struct, frozen=True):
    """A speech model a node serves: its name and languages (["*"] for any)."""

    name: str
    languages: list[str]


class Heard(msgspec.Struct, frozen=True):
    """The end of a transcription: the language heard and the audio's length."""

    language: str
    language_probability: float
    duration_seconds: float


class Transcriber(Protocol):
    """Speech recognition with its models."""

    backend: str

    def models(self) -> list[SttModel]:
        """The models served, the fastest first."""
        ...

    def transcribe(self, path: str, language: str, model: str) -> AsyncIterator[Segment | Heard]:
        """Stream the segments of an audio file, then what was heard; ValueError if it is not
        audio or longer than MAX_AUDIO_S."""
        ...


class VoiceParams(msgspec.Struct, frozen=True, kw_only=True):
    """The params of a synthesis."""

    here_only: bool = False
    """Speak on this node or not at all (a private message's text)."""


class Synthesize(msgspec.Struct, frozen=True, kw_only=True):
    """`tts.synthesize@1.0`: a text spoken, as audio streamed in chunks."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SPEECH_CHARS)]
    language: SpokenLanguage = "en"
    voice: Annotated[
        str, msgspec.Meta(max_length=80, pattern=r"^([A-Za-z0-9][\w+-]*(/[A-Za-z0-9][\w+-]*)?)?$")
    ] = ""
    """An espeak-ng voice by name ("de", "en-us", "mb/mb-de1"); "" for the language's."""
    speed: Annotated[float, msgspec.Meta(ge=0.5, le=2.0)] = 1.0
    format: Format = "wav"


class Spoken(msgspec.Struct, frozen=True):
    """Synthesised audio."""

    audio: bytes
    duration_seconds: float
    format: str


class Voice(Protocol):
    """Speech synthesis with its languages."""

    backend: str

    def languages(self) -> list[str]:
        """The languages it speaks."""
        ...

    async def speak(self, q: Synthesize) -> Spoken:
        """Speak a text; ValueError for a language it lacks."""
        ...


def stt_model_for(models: list[SttModel], language: str, pinned: str) -> SttModel | None:
    """The model that serves a language: the pinned one, else the first (fastest) that knows
    it; "auto" needs a model of every language."""
    for m in models:
        if pinned and m.name != pinned:
            continue
        if "*" in m.languages or (language != "auto" and language.split("-")[0] in m.languages):
            return m
    return None


def speaks(languages: list[str], language: str) -> bool:
    """Whether a voice of these languages speaks `language` (en-gb is spoken by an en voice)."""
    return language in languages or language.split("-")[0] in languages
