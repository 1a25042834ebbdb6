"""The OCR, speech and translation engines a node serves, found on the machine once at start
(`senses` in the config names which it offers), and what it advertises of each."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hearthnet.adapters import espeak_voice, tesseract_reader, translators, whisper_transcriber
from hearthnet.adapters.translators import Langid

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from hearthnet.domain.translation import Translator

log = logging.getLogger("hearthnet")

SENSES = ("ocr", "stt", "tts", "translation")


def _argos_packs() -> bool:
    """Whether an Argos Translate pack is installed (without importing its engine)."""
    from argostranslate import settings

    return any(d.is_dir() and any(d.iterdir()) for d in settings.package_dirs)


@dataclass
class NodeSenses:
    """The engines found; None (or no translators) where the machine lacks one."""

    reader: tesseract_reader.TesseractReader | None = None
    transcriber: whisper_transcriber.WhisperTranscriber | None = None
    voice: espeak_voice.EspeakVoice | None = None
    translators: list[Translator] = field(default_factory=list)
    guess: Langid = field(default_factory=Langid)

    @classmethod
    def found(cls, wanted: Sequence[str], cache: Path) -> NodeSenses:
        """Look for the engines the config asks for; blocking (programs are asked what they
        have; Whisper base is assembled into `cache` the first time)."""
        senses = cls()
        if "ocr" in wanted and (languages := tesseract_reader.installed_languages()):
            senses.reader = tesseract_reader.TesseractReader(languages)
        if "stt" in wanted and (models := whisper_transcriber.installed_models(cache)):
            senses.transcriber = whisper_transcriber.WhisperTranscriber(models)
        if "tts" in wanted and (spoken := espeak_voice.installed_languages()):
            senses.voice = espeak_voice.EspeakVoice(spoken)
        if "translation" in wanted:
            if modes := translators.apertium_modes():
                senses.translators.append(translators.ApertiumTranslator(modes))
            if _argos_packs():
                senses.translators.append(translators.ArgosTranslator())
        missing = [s for s in wanted if not senses.serves(s)]
        if missing:
            log.warning("not served here (engine not installed): %s", ", ".join(missing))
        return senses

    def serves(self, sense: str) -> bool:
        """Whether an engine of that sense was found."""
        engines = {
            "ocr": self.reader,
            "stt": self.transcriber,
            "tts": self.voice,
            "translation": self.translators or None,
        }
        return engines.get(sense) is not None

    def params(self) -> dict[str, dict[str, Any]]:
        """What each capability advertises in the manifest, by capability name."""
        ocr = {"backend": "tesseract", "languages": self.reader.languages() if self.reader else []}
        stt = [
            {"name": m.name, "languages": m.languages}
            for m in (self.transcriber.models() if self.transcriber else [])
        ]
        pairs = sorted({p for t in self.translators for p in t.pairs()})
        return {
            "ocr.image": ocr,
            "ocr.pdf": ocr,
            "stt.transcribe": {"backend": "faster-whisper", "models": stt},
            "tts.synthesize": {
                "backend": "espeak-ng",
                "languages": self.voice.languages() if self.voice else [],
                "formats": ["wav", "ogg_opus", "mp3"] if self.voice else [],
            },
            "trans.text": {
                "backends": [t.backend for t in self.translators],
                "pairs": [list(p) for p in pairs],
            },
        }

    def close(self) -> None:
        """Free the speech models."""
        if self.transcriber is not None:
            self.transcriber.close()
