"""Translation engines (`domain.translation.Translator`) and language identification:
Debian's apertium (rule-based, the pairs of the installed `apertium-*` packages), Argos
Translate (neural, once a language pack is installed), and py3langid for "auto"."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import threading
from typing import TYPE_CHECKING, Any

from hearthnet.domain.translation import Translated

if TYPE_CHECKING:
    from collections.abc import Callable

ISO_639_1 = {
    "eng": "en", "spa": "es", "cat": "ca", "glg": "gl", "epo": "eo", "eus": "eu",
    "isl": "is", "mkd": "mk", "deu": "de", "fra": "fr", "por": "pt", "ita": "it",
    "nld": "nl", "nob": "nb", "nno": "nn", "swe": "sv", "dan": "da", "oci": "oc",
    "arg": "an", "ron": "ro", "ast": "ast", "bel": "be", "rus": "ru", "ukr": "uk",
}  # fmt: skip
"""apertium's ISO 639-3 mode codes and their ISO 639-1 names (others keep their code)."""


def apertium_modes() -> dict[tuple[str, str], str]:
    """The apertium modes installed here by (from, to) in ISO 639-1; blocking."""
    if shutil.which("apertium") is None:
        return {}
    listed = subprocess.run(
        ["apertium", "-l"], capture_output=True, text=True, timeout=30, check=False
    ).stdout
    modes = {}
    for mode in listed.split():
        source, _, target = mode.partition("-")
        if target and "_" not in target and "-" not in target:
            modes[(ISO_639_1.get(source, source), ISO_639_1.get(target, target))] = mode
    return modes


class ApertiumTranslator:
    """Translation by the `apertium` program, one mode per pair."""

    backend = "apertium"

    def __init__(self, modes: dict[tuple[str, str], str]) -> None:
        self._modes = modes

    def pairs(self) -> list[tuple[str, str]]:
        """The installed pairs."""
        return sorted(self._modes)

    async def translate(self, text: str, source: str, target: str) -> Translated:
        """Run the pair's mode over the text (words it does not know are left as they are)."""
        mode = self._modes.get((source, target))
        if mode is None:
            raise ValueError(f"apertium has no {source}-{target} here")
        child = await asyncio.create_subprocess_exec(
            "apertium",
            "-u",
            mode,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await child.communicate(text.encode())
        if child.returncode != 0:
            raise RuntimeError(f"apertium {mode} failed: {err.decode()[:200].strip()}")
        return Translated(out.decode().strip(), None, f"apertium {mode}")


def argos_languages() -> list[Any]:
    """Argos Translate's installed languages (none until a pack is installed); blocking."""
    from argostranslate import translate

    return list(translate.get_installed_languages())


class ArgosTranslator:
    """Argos Translate over its installed packs (`installed` lists its language objects)."""

    backend = "argos"

    def __init__(self, installed: Callable[[], list[Any]] = argos_languages) -> None:
        self._languages = {lang.code: lang for lang in installed()}
        self._lock = threading.Lock()

    def pairs(self) -> list[tuple[str, str]]:
        """The pairs of the installed packs."""
        return sorted(
            (code, t.to_lang.code)
            for code, lang in self._languages.items()
            for t in lang.translations_from
        )

    async def translate(self, text: str, source: str, target: str) -> Translated:
        """Translate with the pack of the pair, on a thread."""
        if (source, target) not in self.pairs():
            raise ValueError(f"argos has no {source}-{target} pack here")
        translation = self._languages[source].get_translation(self._languages[target])

        def run() -> str:
            with self._lock:
                return str(translation.translate(text))

        return Translated(await asyncio.to_thread(run), None, f"argos {source}-{target}")


class Langid:
    """py3langid's identifier, narrowed to the languages a call can come from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._identifier: Any = None

    def guess(self, text: str, among: list[str]) -> str:
        """The most likely of `among` (blocking: milliseconds, a second to load the model)."""
        from py3langid import langid

        with self._lock:
            if self._identifier is None:
                self._identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE)
            identifier = self._identifier
            known = [lang for lang in among if lang in identifier.nb_classes]
            identifier.set_languages(known or None)
            return str(identifier.classify(text)[0])
