"""Who holds which file: each holder's latest word on each file (advertised or withdrawn),
the later event by (Lamport, id) winning whatever order the events arrived in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.domain import files as f
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

HOLDERS = Table(
    "file_holders",
    ("file_id", "holder", "lamport", "event_id", "held", "size_bytes", "name", "media_type"),
    key=2,
    indexes=(("holder",),),
)


class FilesProjection:
    """Keeps each holder's latest advertisement or withdrawal of each file."""

    name = "files"
    tables = (HOLDERS,)

    def __init__(self) -> None:
        self._latest: dict[tuple[str, str], Row] = {}
        self._changed: dict[tuple[str, str], Row] = {}

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Take up each holder's latest word."""
        for row in rows.get(HOLDERS.name, ()):
            self._latest[(str(row[0]), str(row[1]))] = row

    def apply(self, recorded: Recorded) -> None:
        """Fold an advertisement or a withdrawal, if it is later than what is known."""
        e = recorded.event
        if e.type == f.FILE_ADVERTISED:
            ad = decode_body(e.body, f.Advertised)
            if ad is None:
                return
            fid, held = ad.id, (1, ad.size_bytes, ad.name, ad.media_type)
        elif e.type == f.FILE_WITHDRAWN:
            gone = decode_body(e.body, f.Withdrawn)
            if gone is None:
                return
            fid, held = gone.id, (0, 0, "", "")
        else:
            return
        key = (fid, node_id(e.author))
        known = self._latest.get(key)
        if known is not None and (known[2], known[3]) >= (e.lamport, recorded.id.hex()):
            return
        row: Row = (*key, e.lamport, recorded.id.hex(), *held)
        if not held[0] and known is not None:
            row = (*row[:5], *known[5:])  # what it was, for the record
        self._latest[key] = self._changed[key] = row

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the changed rows."""
        writes = Writes({HOLDERS.name: list(self._changed.values())})
        self._changed = {}
        return writes
