"""The text read from shared files: every `ocr.document.indexed` with its author, so that a
photo's text is found by a search, taken from the node that shared the photo."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hearthnet.domain import ocr
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

TEXTS = Table(
    "ocr_texts",
    (
        "doc_cid",
        "author",
        "event_id",
        "lamport",
        "text_cid",
        "pages",
        "languages",
        "backend",
        "ocr_node",
        "excerpt",
    ),
    key=3,
    indexes=(("doc_cid",),),
    restore=False,
)


class OcrProjection:
    """Keeps each reading recorded on the log."""

    name = "ocr"
    tables = (TEXTS,)

    def __init__(self) -> None:
        self._rows: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Nothing to keep in memory: rows are written as they come."""

    def apply(self, recorded: Recorded) -> None:
        """Keep a reading."""
        e = recorded.event
        if e.type != ocr.INDEXED:
            return
        read = decode_body(e.body, ocr.Indexed)
        if read is None:
            return
        self._rows.append(
            (
                read.doc_cid,
                node_id(e.author),
                recorded.id.hex(),
                e.lamport,
                read.text_cid or "",
                read.pages,
                msgspec.json.encode(read.languages).decode(),
                read.ocr_backend,
                read.ocr_node,
                read.excerpt,
            )
        )

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the new rows."""
        writes = Writes({TEXTS.name: self._rows})
        self._rows = []
        return writes
