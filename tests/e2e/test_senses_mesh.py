"""OCR, speech and translation across real node processes, from the command line of a node
that has none of the engines: its peers read a photographed notice, speak a sentence and write
it down again, and translate; when the node that served is killed, the next call is served by
the other; the files shared for the calls are gone again from the caller."""

from __future__ import annotations

import json
import signal
from typing import TYPE_CHECKING, Any

from tests.e2e.cluster import cli, community
from tests.integration.test_ocr import ENGLISH, rendered
from tests.transcripts import cer, wer

if TYPE_CHECKING:
    from pathlib import Path

SENTENCE = "Please bring blankets and water to the school hall."


def run(home: Path, *args: str) -> dict[str, Any]:
    return json.loads(cli(home, *args, "--json").stdout)  # type: ignore[no-any-return]


def test_a_node_without_engines_is_served_by_its_peers_and_past_a_dead_one(
    tmp_path: Path,
) -> None:
    a, b, c = community(tmp_path, 3, each=[{"senses": []}, {}, {}])
    try:
        servers = {b.node_id: b, c.node_id: c}
        notice = tmp_path / "notice.png"
        rendered(ENGLISH).save(notice)
        read = run(a.home, "ocr", str(notice))
        assert read["node"] in servers and cer("\n".join(ENGLISH), read["text"]) <= 0.03

        speech = tmp_path / "spoken.ogg"
        said = run(a.home, "speak", SENTENCE, "-o", str(speech))
        assert said["node"] in servers and said["format"] == "ogg_opus"
        assert speech.read_bytes()[:4] == b"OggS"
        heard = run(a.home, "transcribe", str(speech), "--language", "en")
        assert heard["node"] in servers and wer(SENTENCE, heard["text"]) <= 0.15, heard["text"]

        spanish = run(a.home, "translate", "The library opens at nine.", "--to", "es")
        assert spanish["node"] in servers and "biblioteca" in spanish["text"].lower()
        assert spanish["from"] == "en"
        assert run(a.home, "file", "ls") == [], "the caller keeps none of the shared inputs"

        served = servers.pop(read["node"])
        served.stop(signal.SIGKILL)
        [other] = servers.values()
        again = run(a.home, "ocr", str(notice))
        assert again["node"] == other.node_id and again["text"] == read["text"]
        assert [f["node"] for f in again["failed"]] in ([], [served.node_id])
    finally:
        for node in (a, b, c):
            node.stop()
