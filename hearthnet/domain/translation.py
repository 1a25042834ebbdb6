"""Translation of text between languages (SPEC M18): the call, language pairs, and the
translator port."""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

import msgspec

MAX_TEXT_CHARS = 4000

Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}$")]
"""An ISO 639-1 code (en, es, de); 639-3 where a language has none."""


class Translate(msgspec.Struct, frozen=True, kw_only=True, rename={"source": "from"}):
    """`trans.text@1.0`: a text in another language (`from` "auto": detected)."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT_CHARS)]
    to: Code
    source: Annotated[str, msgspec.Meta(pattern=r"^(auto|[a-z]{2,3})$")] = "auto"
    domain: Literal["everyday", "medical", "legal", "emergency"] = "everyday"


class Backend(msgspec.Struct, frozen=True, kw_only=True):
    """The params of a translation: the backend, if the caller pins one."""

    backend: Annotated[str, msgspec.Meta(max_length=40)] = ""
    here_only: bool = False
    """Translate on this node or not at all (a private message's text)."""


class Translated(msgspec.Struct, frozen=True):
    """A translation and how sure the engine is of it (0..1, None when it cannot say)."""

    text: str
    confidence: float | None
    model: str


class Translator(Protocol):
    """A translation engine with the pairs it has."""

    backend: str

    def pairs(self) -> list[tuple[str, str]]:
        """The (from, to) pairs installed, as ISO 639-1 codes."""
        ...

    async def translate(self, text: str, source: str, target: str) -> Translated:
        """Translate; ValueError for a pair it lacks."""
        ...


def unsupported(source: str, target: str, installed: list[tuple[str, str]]) -> str:
    """The message of `unsupported_language_pair`, naming what is installed."""
    have = ", ".join(f"{a}-{b}" for a, b in sorted(set(installed))) or "none"
    return f"no translation {source}-{target} in the mesh; installed pairs: {have}"
