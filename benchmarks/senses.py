"""`python -m benchmarks.senses [ROUNDS]`: speech to text and OCR through a peer against the
engines called directly.

Node A has no engines, node B has them; the caller reads A's answers over loopback, A routes
each call to B, and B fetches the input file from A. The same audio and pages go to the
engine in this process with the same settings (Whisper tiny.en, int8, beam 5 at temperature
0, voice activity detection; Tesseract through pytesseract's image_to_data). The two kinds of
call take turns, and each figure is a median of the rounds.

1. Speech to text: real-time factor (seconds of work per second of audio) of eight sentences
   spoken by espeak-ng at 0.9 of its rate, and the word error rate of the mesh's
   transcripts (the references in American spelling, as Whisper writes English).
2. OCR: pages per second over six rendered pages, and the character error rate.

The last line is `stt_mesh_ratio` (the mesh's real-time factor over the direct one; goal
<= 1.1).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from hearthnet.adapters.espeak_voice import EspeakVoice, installed_languages
from hearthnet.adapters.whisper_transcriber import BEAM, installed_models
from hearthnet.domain.speech import Synthesize
from tests.e2e.cluster import NodeProcess, community
from tests.integration.test_ocr import rendered
from tests.transcripts import cer, wer

SENTENCES = [
    "Please bring blankets and water to the school hall.",
    "The bridge over the river is closed until tomorrow morning.",
    "Two volunteers are needed at the fire station tonight.",
    "The generator in the community center needs more fuel.",
    "Children from the north street are staying with their neighbors.",
    "The pharmacy on the market square is open again.",
    "Boil the tap water before you drink it.",
    "The bus to the hospital leaves from the church at noon.",
]
SPEED = 0.9
"""espeak-ng a little slower than its default rate: its robotic voice is clearer so."""
PAGES = [SENTENCES[i : i + 4] + SENTENCES[: i % 4] for i in range(6)]


def _call(node: NodeProcess, capability: str, data: dict[str, Any], **params: Any) -> Any:
    token = (node.home / "admin.token").read_text()
    response = httpx.post(
        f"{node.url}/bus/v1/call/{capability}",
        json={"input": data, "params": params},
        headers={"authorization": f"Bearer {token}"},
        timeout=300,
    )
    assert response.status_code == 200, response.text
    return response.json()["output"]


def _put(node: NodeProcess, path: Path) -> str:
    return str(_call(node, "file.put", {"path": str(path), "pin": False})["id"])


def stt_direct(whisper: Any, clips: list[Path]) -> tuple[float, list[str]]:
    texts, started = [], time.perf_counter()
    for clip in clips:
        segments, _ = whisper.transcribe(
            str(clip), language="en", beam_size=BEAM, vad_filter=True,
            condition_on_previous_text=False, temperature=0.0,
        )  # fmt: skip
        texts.append(" ".join(s.text.strip() for s in segments))
    return time.perf_counter() - started, texts


def stt_mesh(a: NodeProcess, cids: list[str]) -> tuple[float, list[str]]:
    texts, started = [], time.perf_counter()
    for cid in cids:
        heard = _call(a, "stt.transcribe", {"audio_cid": cid, "language": "en"}, model="tiny.en")
        texts.append(heard["text"])
    return time.perf_counter() - started, texts


def ocr_direct(pages: list[Path]) -> tuple[float, list[str]]:
    import pytesseract
    from PIL import Image

    from hearthnet.adapters.tesseract_reader import read_image

    started = time.perf_counter()
    texts = [read_image(Image.open(p), ["eng"]).text for p in pages]
    assert pytesseract.get_tesseract_version()
    return time.perf_counter() - started, texts


def ocr_mesh(a: NodeProcess, cids: list[str]) -> tuple[float, list[str], set[str]]:
    started, texts, nodes = time.perf_counter(), [], set()
    for cid in cids:
        read = _call(a, "ocr.image", {"image_cid": cid}, languages=["eng"])
        texts.append(read["text"])
        nodes.add(read["node"])
    return time.perf_counter() - started, texts, nodes


def main() -> None:
    from faster_whisper import WhisperModel

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory(dir=os.environ.get("HEARTHNET_BENCH_DIR")) as tmp:
        work = Path(tmp)
        voice = EspeakVoice(installed_languages())
        seconds = 0.0
        clips = []
        for i, sentence in enumerate(SENTENCES):
            spoken = asyncio.run(voice.speak(Synthesize(text=sentence, speed=SPEED)))
            clips.append(work / f"{i}.wav")
            clips[-1].write_bytes(spoken.audio)
            seconds += spoken.duration_seconds
        pages = []
        for i, lines in enumerate(PAGES):
            pages.append(work / f"page{i}.png")
            rendered(lines, size=28).save(pages[-1])
        whisper = WhisperModel(
            str(installed_models()["tiny.en"]), device="cpu", compute_type="int8",
            cpu_threads=2, local_files_only=True,
        )  # fmt: skip
        a, b = community(work / "two", 2, each=[{"senses": []}, {}])
        try:
            stt_mesh(a, [_put(a, clips[0])])  # B loads its model
            stt_direct(whisper, clips[:1])
            stt_here, stt_there, ocr_here, ocr_there = [], [], [], []
            texts: list[str] = []
            readings: list[str] = []
            for r in range(rounds):
                stt_here.append(stt_direct(whisper, clips)[0])
                elapsed, texts = stt_mesh(a, [_put(a, c) for c in clips])
                stt_there.append(elapsed)
                ocr_here.append(ocr_direct(pages)[0])
                fresh = []
                for i in range(len(pages)):  # a new file each round: B fetches it
                    copy = work / f"r{r}-{i}.png"
                    rendered(PAGES[i], size=28).save(copy, optimize=bool(r % 2))
                    fresh.append(_put(a, copy))
                elapsed, readings, nodes = ocr_mesh(a, fresh)
                assert nodes == {b.node_id}, nodes
                ocr_there.append(elapsed)
        finally:
            for node in (a, b):
                node.stop()
    rtf_here = statistics.median(stt_here) / seconds
    rtf_there = statistics.median(stt_there) / seconds
    pps_here = len(pages) / statistics.median(ocr_here)
    pps_there = len(pages) / statistics.median(ocr_there)
    word_error = statistics.mean(wer(s, t) for s, t in zip(SENTENCES, texts, strict=True))
    char_error = statistics.mean(
        cer("\n".join(lines), t) for lines, t in zip(PAGES, readings, strict=True)
    )
    print(f"speech: {len(clips)} clips, {seconds:.1f} s of audio")
    print(f"faster-whisper direct: real-time factor {rtf_here:.3f}")
    print(f"through a peer:        real-time factor {rtf_there:.3f}")
    print(f"word error rate through the mesh: {word_error:.3f} (goal <= 0.15)")
    print(f"ocr: pytesseract direct {pps_here:.2f} pages/s, through a peer {pps_there:.2f} pages/s")
    print(f"ocr_mesh_ratio={pps_there / pps_here:.3f} (goal >= 0.9)")
    print(f"character error rate through the mesh: {char_error:.4f} (goal <= 0.03)")
    print(f"stt_mesh_ratio={rtf_there / rtf_here:.3f}")


if __name__ == "__main__":
    main()
