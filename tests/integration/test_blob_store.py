"""The chunk store on a real disk: content ids, dedup, sealing, partial fetches, the quota and
a full disk, and manifests that lie."""

from __future__ import annotations

import os
import shutil
from typing import TYPE_CHECKING

import msgspec
import pytest

from hearthnet.adapters.blob_store import BlobStore, chunk_hash
from hearthnet.domain import files as f
from hearthnet.domain.capability import BusError
from hearthnet.projections.files import FilesProjection
from tests.factories import Author, community, signer
from tests.sync_links import TestNode

if TYPE_CHECKING:
    from pathlib import Path

MIB = f.CHUNK_SIZE


def _file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def _chunk_files(store: BlobStore) -> list[Path]:
    return [p for p in store.chunk_dir.rglob("*") if p.is_file()]


def test_a_file_is_named_by_its_manifest_and_comes_back_byte_identical(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "s", 100 * MIB)
    source = _file(tmp_path / "a.bin", 2 * MIB + 5)
    stored, new = store.put(source, "a.bin", "application/pdf", pin=True)
    manifest = store.manifest(stored.id)
    assert manifest is not None and new == 3 and len(manifest.chunks) == 3
    assert stored.id == f.file_id(chunk_hash(f.manifest_bytes(manifest)))
    assert manifest.chunks[2] == chunk_hash(source.read_bytes()[2 * MIB :])
    out = tmp_path / "out.bin"
    assert store.export(stored.id, out) == source.stat().st_size
    assert out.read_bytes() == source.read_bytes()
    again, new_again = store.put(source, "other name", "application/pdf", pin=False)
    assert again.id == stored.id and new_again == 0 and again.name == "a.bin" and again.pinned


def test_shared_chunks_are_kept_once_and_outlive_one_of_their_files(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "s", 100 * MIB)
    same = os.urandom(MIB)
    one = tmp_path / "one.bin"
    one.write_bytes(same + b"first")
    two = tmp_path / "two.bin"
    two.write_bytes(same + b"second")
    first, _ = store.put(one, "one", "application/octet-stream", pin=True)
    second, new = store.put(two, "two", "application/octet-stream", pin=True)
    assert new == 1 and len(_chunk_files(store)) == 3
    assert store.remove(first.id)
    assert len(_chunk_files(store)) == 2
    out = tmp_path / "back.bin"
    store.export(second.id, out)
    assert out.read_bytes() == two.read_bytes()
    assert not store.remove(first.id)


def test_a_sealed_file_opens_with_its_key_only(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "s", 100 * MIB)
    source = _file(tmp_path / "p.jpg", MIB + 100)
    key = os.urandom(32)
    stored, _ = store.put(source, "p.jpg", "image/jpeg", pin=True, key=key)
    assert stored.name == "" and stored.media_type == "application/octet-stream"
    assert all(source.read_bytes()[:64] not in c.read_bytes() for c in _chunk_files(store))
    out = tmp_path / "open.jpg"
    store.export(stored.id, out, key)
    assert out.read_bytes() == source.read_bytes()
    with pytest.raises(ValueError, match="key does not open"):
        store.export(stored.id, tmp_path / "wrong.jpg", os.urandom(32))
    assert not (tmp_path / "wrong.jpg").exists()


def test_a_partial_fetch_knows_what_is_missing_and_a_lying_manifest_is_refused(
    tmp_path: Path,
) -> None:
    here = BlobStore(tmp_path / "here", 100 * MIB)
    there = BlobStore(tmp_path / "there", 100 * MIB)
    stored, _ = there.put(_file(tmp_path / "x.bin", 3 * MIB), "x", "text/plain", pin=True)
    raw = there.raw_manifest(stored.id)
    assert raw is not None
    with pytest.raises(ValueError, match="does not hash"):
        here.begin("blake3:" + "0" * 64, raw, "x")
    fake = f.Manifest(size_bytes=3 * MIB, chunks=[b"\0" * 32] * 2)
    with pytest.raises(ValueError, match="2 chunks for"):
        here.begin(f.file_id(chunk_hash(f.manifest_bytes(fake))), f.manifest_bytes(fake), "x")
    padded = raw + b"\0"
    with pytest.raises(ValueError):
        here.begin(f.file_id(chunk_hash(padded)), padded, "x")
    manifest = here.begin(stored.id, raw, "x")
    assert here.missing(manifest) == [0, 1, 2]
    here.write_chunk(manifest.chunks[1], there.read_chunk(manifest.chunks[1]))
    assert here.missing(manifest) == [0, 2]
    with pytest.raises(ValueError, match="not whole"):
        here.finish(stored.id, pin=False)
    assert [(s.id, s.complete) for s in here.files()] == [(stored.id, False)]
    for index in (0, 2):
        here.write_chunk(manifest.chunks[index], there.read_chunk(manifest.chunks[index]))
    assert here.finish(stored.id, pin=True).complete


def test_the_quota_collects_unpinned_files_and_refuses_what_still_does_not_fit(
    tmp_path: Path,
) -> None:
    store = BlobStore(tmp_path / "s", 3 * MIB)
    old, _ = store.put(_file(tmp_path / "old", MIB), "old", "text/plain", pin=False)
    kept, _ = store.put(_file(tmp_path / "kept", MIB), "kept", "text/plain", pin=True)
    newer, _ = store.put(_file(tmp_path / "new", 2 * MIB), "new", "text/plain", pin=True)
    assert {s.id for s in store.files()} == {kept.id, newer.id}
    assert store.drain_collected() == [old.id] and store.drain_collected() == []
    before = sorted(_chunk_files(store))
    with pytest.raises(BusError) as refused:
        store.put(_file(tmp_path / "big", MIB), "big", "text/plain", pin=True)
    assert refused.value.code == "capacity_exceeded" and "pinned" in refused.value.message
    assert sorted(_chunk_files(store)) == before, "nothing of the refused file stays"
    assert {s.id for s in store.files()} == {kept.id, newer.id}


def test_a_full_disk_is_capacity_exceeded_and_leaves_nothing(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    store = BlobStore(tmp_path / "s", 2**62, min_free_bytes=2 * free)
    with pytest.raises(BusError) as refused:
        store.put(_file(tmp_path / "a", 10), "a", "text/plain", pin=True)
    assert refused.value.code == "capacity_exceeded"
    assert store.files() == [] and _chunk_files(store) == []


def test_a_chunk_lost_from_the_disk_is_known_missing_again(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "s", 100 * MIB)
    stored, _ = store.put(_file(tmp_path / "a", MIB), "a", "text/plain", pin=True)
    manifest = store.manifest(stored.id)
    assert manifest is not None
    store.chunk_path(manifest.chunks[0]).unlink()
    with pytest.raises(KeyError):
        store.read_chunk(manifest.chunks[0])
    assert store.missing(manifest) == [0]


def test_who_holds_what_folds_alike_in_any_order(tmp_path: Path) -> None:
    founder, genesis = community()
    other = Author(signer(3), founder.community, clock=founder.clock)
    fid = "blake3:" + "ab" * 32
    events = [
        founder.event(
            f.FILE_ADVERTISED, msgspec.msgpack.encode(f.Advertised(id=fid, size_bytes=9))
        ),
        other.event(f.FILE_ADVERTISED, msgspec.msgpack.encode(f.Advertised(id=fid, size_bytes=9))),
        founder.event(f.FILE_WITHDRAWN, msgspec.msgpack.encode(f.Withdrawn(id=fid))),
        other.event(f.FILE_ADVERTISED, b"\x80"),  # a body that does not fit: skipped
    ]
    rows = []
    for order, name in ((events, "forward"), (events[::-1], "backward")):
        node = TestNode(tmp_path / name)
        node.log.ingest([genesis, *order])
        node.views.catch_up()
        rows.append(
            node.views.db.execute(
                "SELECT holder, held, size_bytes FROM file_holders ORDER BY holder"
            ).fetchall()
        )
        node.close()
    assert rows[0] == rows[1] and sorted(r[1] for r in rows[0]) == [0, 1]
    assert FilesProjection().name == "files"
