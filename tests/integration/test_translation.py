"""Translation on a running node through Debian's apertium (English and Spanish), the text's
language found when it is not given, and a clear refusal naming the installed pairs. Argos
Translate has no language pack in any registry here: its adapter is run against a stand-in
pack (named as such) to check the plumbing, never presented as a translation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from hearthnet.adapters.translators import ArgosTranslator
from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import running

if TYPE_CHECKING:
    from pathlib import Path


async def test_apertium_translates_both_ways_and_finds_the_language(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        bus = runtime.local_bus()
        out = await bus.call("trans.text", {"text": "The library opens at nine.", "to": "es"})
        assert out["from"] == "en" and out["backend"] == "apertium" and out["node"] == runtime.me
        assert "biblioteca" in out["text"].lower() and "abre" in out["text"].lower()
        back = await bus.call(
            "trans.text", {"text": "La biblioteca está cerrada hoy.", "to": "en", "from": "es"}
        )
        assert "library" in back["text"].lower() and "closed" in back["text"].lower()
        same = await bus.call("trans.text", {"text": "Hello", "to": "en", "from": "en"})
        assert same["text"] == "Hello"


async def test_a_pair_no_node_has_is_refused_naming_what_is_installed(tmp_path: Path) -> None:
    async with running(tmp_path / "node") as runtime:
        with pytest.raises(BusError) as refused:
            await runtime.local_bus().call(
                "trans.text", {"text": "Good morning", "to": "de", "from": "en"}
            )
        assert refused.value.code == "unsupported_language_pair"
        assert "en-de" in refused.value.message and "en-es, es-en" in refused.value.message
        with pytest.raises(BusError) as refused:  # no language is translated into xx
            await runtime.local_bus().call("trans.text", {"text": "hello", "to": "xx"})
        assert refused.value.code == "unsupported_language_pair"
        with pytest.raises(BusError) as refused:
            await runtime.local_bus().call("trans.text", {"text": "x" * 4001, "to": "es"})
        assert refused.value.code == "bad_request"


@dataclass
class StandInTranslation:
    """A stand-in for an installed Argos pack's translation: it tags the text, it does not
    translate (no Argos pack exists in any registry here)."""

    to_lang: StandInLanguage

    def translate(self, text: str) -> str:
        return f"[stand-in {self.to_lang.code}] {text}"


@dataclass
class StandInLanguage:
    """A stand-in for an Argos language with its installed translations."""

    code: str
    translations_from: list[StandInTranslation] = field(default_factory=list)

    def get_translation(self, to: StandInLanguage) -> StandInTranslation:
        return next(t for t in self.translations_from if t.to_lang is to)


async def test_the_argos_adapter_serves_the_pairs_of_its_installed_packs() -> None:
    english, german = StandInLanguage("en"), StandInLanguage("de")
    english.translations_from.append(StandInTranslation(german))
    argos = ArgosTranslator(lambda: [english, german])
    assert argos.pairs() == [("en", "de")]
    done = await argos.translate("Good morning", "en", "de")
    assert done.text == "[stand-in de] Good morning" and done.model == "argos en-de"
    with pytest.raises(ValueError, match="no de-en pack"):
        await argos.translate("Guten Morgen", "de", "en")
