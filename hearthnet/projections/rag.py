"""The documents of each corpus: the first ingestion of each (corpus, document) by (Lamport,
id) stands, whatever order the events arrived in. Who may ingest is the services' question
(trusted members); this view keeps every claim with its author."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.domain import rag
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

DOCUMENTS = Table(
    "rag_documents",
    (
        "corpus",
        "doc_cid",
        "author",
        "lamport",
        "event_id",
        "title",
        "language",
        "media_type",
        "size_bytes",
        "chunks",
        "tokens",
        "embedding_model",
        "ts",
    ),
    key=3,
    indexes=(("corpus",),),
)


class RagProjection:
    """Keeps the first ingestion of each document into each corpus, per author."""

    name = "rag"
    tables = (DOCUMENTS,)

    def __init__(self) -> None:
        self._first: dict[tuple[str, str, str], Row] = {}
        self._changed: dict[tuple[str, str, str], Row] = {}

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Take up the ingestions known."""
        for row in rows.get(DOCUMENTS.name, ()):
            self._first[(str(row[0]), str(row[1]), str(row[2]))] = row

    def apply(self, recorded: Recorded) -> None:
        """Fold an ingestion, unless that author's earlier one of the document is known."""
        e = recorded.event
        if e.type != rag.INGESTED:
            return
        doc = decode_body(e.body, rag.Ingested)
        if doc is None:
            return
        key = (doc.corpus, doc.doc_cid, node_id(e.author))
        known = self._first.get(key)
        if known is not None and (known[3], known[4]) <= (e.lamport, recorded.id.hex()):
            return
        row: Row = (
            *key,
            e.lamport,
            recorded.id.hex(),
            doc.title,
            doc.language,
            doc.media_type,
            doc.size_bytes,
            doc.chunks,
            doc.tokens,
            doc.embedding_model,
            e.ts,
        )
        self._first[key] = self._changed[key] = row

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the changed rows."""
        writes = Writes({DOCUMENTS.name: list(self._changed.values())})
        self._changed = {}
        return writes
