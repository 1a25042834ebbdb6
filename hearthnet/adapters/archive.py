"""Export the log to JSON Lines or Parquet, and read such files back for import.

A row carries the signed bytes (`raw`, base64url in JSON) and, for people, the decoded fields.
A fork proof travels as its two events, from which the importing node proves the fork anew.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from hearthnet.adapters.recorders import FORK_TOPIC
from hearthnet.domain import envelope
from hearthnet.domain.bodies import body_for_display
from hearthnet.domain.chain import ForkProof
from hearthnet.domain.types import b64url, node_id, unb64url

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

    from hearthnet.adapters.event_log import EventLog
    from hearthnet.domain.ports import Hash

FORMATS = ("jsonl", "parquet")


class ArchiveError(ValueError):
    """A file that is not a HearthNet export."""


def event_row(position: int, raw: bytes, event_id: bytes) -> dict[str, Any]:
    """Return one stored event as a row for people and machines."""
    e = envelope.decode_stored(raw)
    return {
        "position": position,
        "id": event_id.hex(),
        "community": node_id(e.community),
        "author": node_id(e.author),
        "seq": e.seq,
        "prev": e.prev.hex(),
        "lamport": e.lamport,
        "ts": e.ts,
        "type": e.type,
        "size": len(raw),
        "body": body_for_display(e.type, e.body),
        "sig": b64url(e.sig),
    }


def _raws(log: EventLog) -> Iterator[tuple[int, bytes]]:
    for position, topic, state in log.scan():
        if topic == FORK_TOPIC:
            proof = msgspec.msgpack.decode(state, type=ForkProof)
            yield position, proof.first
            yield position, proof.second
        else:
            yield position, state


def export(log: EventLog, path: Path, fmt: str) -> int:
    """Write every stored event (and both sides of every fork) to path; return rows written."""
    hash_ = log.hash
    count = 0
    if fmt == "jsonl":
        enc = msgspec.json.Encoder()
        with path.open("wb") as f:
            for position, raw in _raws(log):
                row = event_row(position, raw, hash_(raw))
                row["raw"] = b64url(raw)
                f.write(enc.encode(row) + b"\n")
                count += 1
        return count
    with pq.ParquetWriter(path, ARROW_SCHEMA) as writer:
        for batch in arrow_batches(_raws(log), log.hash):
            writer.write_batch(batch)
            count += batch.num_rows
    return count


ARROW_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("id", pa.string()),
        ("author", pa.string()),
        ("seq", pa.int64()),
        ("lamport", pa.int64()),
        ("ts", pa.int64()),
        ("type", pa.string()),
        ("size", pa.int64()),
        ("body", pa.binary()),
        ("raw", pa.binary()),
    ]
)
"""One event per row, for Parquet exports and DuckDB: decoded fields plus the signed bytes."""


def arrow_batches(
    raws: Iterable[tuple[int, bytes]], hash_: Hash, size: int = 50_000
) -> Iterator[pa.RecordBatch]:
    """Turn (position, signed bytes) pairs into Arrow record batches of ARROW_SCHEMA."""
    columns: list[list[Any]] = [[] for _ in ARROW_SCHEMA]
    for position, raw in raws:
        e = envelope.decode_stored(raw)
        values = (
            position,
            hash_(raw).hex(),
            node_id(e.author),
            e.seq,
            e.lamport,
            e.ts,
            e.type,
            len(raw),
            e.body,
            raw,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
        if len(columns[0]) == size:
            yield pa.RecordBatch.from_arrays(columns, schema=ARROW_SCHEMA)
            columns = [[] for _ in ARROW_SCHEMA]
    if columns[0]:
        yield pa.RecordBatch.from_arrays(columns, schema=ARROW_SCHEMA)


def stored_events(log: EventLog, start: int = 1) -> Iterator[tuple[int, bytes]]:
    """Yield (position, signed bytes) of the stored events from start, fork proofs left out."""
    return ((position, raw) for position, topic, raw in log.scan(start) if topic != FORK_TOPIC)


def read_raws(path: Path, batch: int = 2000) -> Iterator[list[bytes]]:
    """Yield the signed bytes of an export file's events in batches (JSONL or Parquet)."""
    with path.open("rb") as f:
        magic = f.read(4)
    if magic == b"PAR1":
        try:
            parquet = pq.ParquetFile(path)
            for chunk in parquet.iter_batches(batch_size=batch, columns=["raw"]):
                yield [bytes(x) for x in chunk.column(0).to_pylist()]
        except (pa.ArrowException, KeyError) as exc:
            raise ArchiveError(f"{path}: not a HearthNet Parquet export: {exc}") from None
        return
    out: list[bytes] = []
    with path.open("rb") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(unb64url(msgspec.json.decode(line)["raw"]))
            except (msgspec.DecodeError, KeyError, TypeError, ValueError):
                raise ArchiveError(f"{path}:{number}: not a HearthNet JSONL row") from None
            if len(out) == batch:
                yield out
                out = []
    if out:
        yield out
