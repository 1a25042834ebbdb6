"""The chunk store on disk: every chunk a file under `files/chunks/`, named by its BLAKE3
hash and written whole or not at all (a temporary file renamed into place), so a chunk that is
there was verified. A small SQLite index says which files are here, whole or in part, and
which chunks they use; a chunk shared by several files is kept once.

Pinned files stay; the others are collected, least recently used first, when room is needed.
A file that does not fit the quota or the disk is refused with `capacity_exceeded` and leaves
nothing behind. Every method blocks: the node calls them on a thread.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import blake3
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from hearthnet.domain.capability import BusError
from hearthnet.domain.files import (
    CHUNK_SIZE,
    SEALED_BLOCK,
    Manifest,
    decode_manifest,
    file_id,
    manifest_bytes,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT NOT NULL, name TEXT NOT NULL,
    manifest BLOB NOT NULL, pinned INTEGER NOT NULL, complete INTEGER NOT NULL,
    used_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (hash BLOB PRIMARY KEY, size INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS uses (
    file TEXT NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (file, hash)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS uses_by_hash ON uses (hash);
"""


def chunk_hash(data: bytes) -> bytes:
    """The BLAKE3-256 of a chunk."""
    return blake3.blake3(data).digest()


def _nonce(index: int) -> bytes:
    return index.to_bytes(SecretBox.NONCE_SIZE, "big")


def seal_block(key: bytes, index: int, block: bytes) -> bytes:
    """Encrypt block `index` of a sealed attachment (each file has its own random key)."""
    return SecretBox(key).encrypt(block, _nonce(index)).ciphertext


def open_block(key: bytes, index: int, chunk: bytes) -> bytes:
    """Decrypt chunk `index` of a sealed attachment; ValueError if the key does not open it."""
    try:
        return SecretBox(key).decrypt(chunk, _nonce(index))
    except CryptoError:
        raise ValueError("the key does not open this file") from None


@dataclass(frozen=True)
class StoredFile:
    """A file in the store."""

    id: str
    size_bytes: int
    media_type: str
    name: str
    pinned: bool
    complete: bool


class BlobStore:
    """Chunks on disk and the index of the files they make up."""

    def __init__(self, root: Path, quota_bytes: int, min_free_bytes: int = 0) -> None:
        self.root, self.quota, self.min_free = root, quota_bytes, min_free_bytes
        self.chunk_dir, self.tmp = root / "chunks", root / "tmp"
        self.chunk_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.tmp, ignore_errors=True)  # what a killed writer left half-written
        self.tmp.mkdir()
        self._db = sqlite3.connect(root / "index.sqlite", check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._collected: list[str] = []
        self._dirs: set[str] = set()

    def close(self) -> None:
        """Close the index."""
        self._db.close()

    # chunks

    def chunk_path(self, digest: bytes) -> Path:
        """Where a chunk lives."""
        name = digest.hex()
        return self.chunk_dir / name[:2] / name

    def has_chunk(self, digest: bytes) -> bool:
        """Whether a verified copy of this chunk is here."""
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM chunks WHERE hash = ?", (digest,)).fetchone()
                is not None
            )

    def read_chunk(self, digest: bytes) -> bytes:
        """A chunk's bytes; KeyError if it is not here (or was lost from the disk)."""
        try:
            return self.chunk_path(digest).read_bytes()
        except FileNotFoundError:
            with self._lock, self._db:
                self._db.execute("DELETE FROM chunks WHERE hash = ?", (digest,))
            raise KeyError(digest.hex()) from None

    def write_chunk(self, digest: bytes, data: bytes) -> bool:
        """Keep a chunk whose hash the caller verified; False if it was already here."""
        if self.has_chunk(digest):
            return False
        path = self.chunk_path(digest)
        if path.parent.name not in self._dirs:
            path.parent.mkdir(exist_ok=True)
            self._dirs.add(path.parent.name)
        temporary = self.tmp / f"{digest.hex()}.{threading.get_ident()}"
        try:
            with temporary.open("wb") as out:
                out.write(data)
            temporary.replace(path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise BusError("capacity_exceeded", f"the disk refused a chunk: {exc}") from None
        with self._lock, self._db:
            self._db.execute("INSERT OR IGNORE INTO chunks VALUES (?, ?)", (digest, len(data)))
        return True

    def used_bytes(self) -> int:
        """Bytes of chunks kept."""
        with self._lock:
            return int(self._db.execute("SELECT COALESCE(SUM(size), 0) FROM chunks").fetchone()[0])

    # files

    def put(
        self, source: Path, name: str, media_type: str, *, pin: bool, key: bytes | None = None
    ) -> tuple[StoredFile, int]:
        """Store a file of this machine (sealed with `key` when given); return it and how many
        of its chunks were new. Nothing of a refused file stays."""
        size = source.stat().st_size
        block = SEALED_BLOCK if key else CHUNK_SIZE
        blocks = -(-size // block)
        stored = size + 16 * blocks if key else size
        self.make_room(stored, keep="")
        hashes, written = [], []
        try:
            with source.open("rb") as data:
                for index in range(blocks):
                    piece = data.read(block)
                    if key:
                        piece = seal_block(key, index, piece)
                    digest = chunk_hash(piece)
                    hashes.append(digest)
                    if self.write_chunk(digest, piece):
                        written.append(digest)
            kind = "application/octet-stream" if key else media_type
            manifest = Manifest(size_bytes=stored, media_type=kind, chunks=hashes)
            kept = self._keep(manifest, "" if key else name, pin=pin, complete=True)
        except BaseException:
            self._drop_chunks(written)
            raise
        return kept, len(written)

    def _keep(self, manifest: Manifest, name: str, *, pin: bool, complete: bool) -> StoredFile:
        raw = manifest_bytes(manifest)
        fid = file_id(chunk_hash(raw))
        now = int(time.time() * 1000)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "pinned = MAX(pinned, excluded.pinned), "
                "complete = MAX(complete, excluded.complete), "
                "name = CASE WHEN name = '' THEN excluded.name ELSE name END, used_at = ?",
                (fid, manifest.size_bytes, manifest.media_type, name, raw, pin, complete, now, now),
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO uses VALUES (?, ?)", [(fid, h) for h in manifest.chunks]
            )
        found = self.file(fid)
        assert found is not None
        return found

    def begin(self, fid: str, raw_manifest: bytes, name: str) -> Manifest:
        """Start (or take up again) fetching a file whose manifest hashes to its id; make room
        for the chunks still missing."""
        if file_id(chunk_hash(raw_manifest)) != fid:
            raise ValueError("the manifest does not hash to the file's id")
        manifest = decode_manifest(raw_manifest)
        missing = sum(manifest.chunk_length(i) for i in self.missing(manifest))
        self.make_room(missing, keep=fid)
        self._keep(manifest, name, pin=False, complete=False)
        return manifest

    def missing(self, manifest: Manifest) -> list[int]:
        """The indexes of the chunks of a manifest not yet here."""
        have: set[bytes] = set()
        with self._lock:
            for at in range(0, len(manifest.chunks), 500):
                batch = manifest.chunks[at : at + 500]
                marks = ",".join("?" * len(batch))
                query = f"SELECT hash FROM chunks WHERE hash IN ({marks})"
                have.update(bytes(r[0]) for r in self._db.execute(query, batch))
        return [i for i, h in enumerate(manifest.chunks) if h not in have]

    def finish(self, fid: str, *, pin: bool) -> StoredFile:
        """Mark a fetched file whole once every chunk is here."""
        manifest = self.manifest(fid)
        if manifest is None or self.missing(manifest):
            raise ValueError(f"{fid} is not whole yet")
        with self._lock, self._db:
            self._db.execute(
                "UPDATE files SET complete = 1, pinned = MAX(pinned, ?) WHERE id = ?", (pin, fid)
            )
        found = self.file(fid)
        assert found is not None
        return found

    def manifest(self, fid: str) -> Manifest | None:
        """The manifest of a file here, whole or in part."""
        raw = self.raw_manifest(fid)
        return decode_manifest(raw) if raw is not None else None

    def raw_manifest(self, fid: str) -> bytes | None:
        """A manifest's canonical bytes, as its id hashes them."""
        with self._lock:
            row = self._db.execute("SELECT manifest FROM files WHERE id = ?", (fid,)).fetchone()
        return bytes(row[0]) if row else None

    def file(self, fid: str) -> StoredFile | None:
        """A file of the store, whole or in part."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, size, media_type, name, pinned, complete FROM files WHERE id = ?",
                (fid,),
            ).fetchone()
        return (
            StoredFile(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5])) if row else None
        )

    def files(self, prefix: str = "") -> list[StoredFile]:
        """The files here, whole or in part, newest use first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, size, media_type, name, pinned, complete FROM files "
                "WHERE id LIKE ? || '%' ORDER BY used_at DESC",
                (prefix,),
            ).fetchall()
        return [StoredFile(r[0], r[1], r[2], r[3], bool(r[4]), bool(r[5])) for r in rows]

    def touch(self, fid: str) -> None:
        """Note a use of a file (the least recently used are collected first)."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE files SET used_at = ? WHERE id = ?", (int(time.time() * 1000), fid)
            )

    def pin(self, fid: str, pinned: bool) -> bool:
        """Keep a file (or let it be collected); False if it is not here."""
        with self._lock, self._db:
            done = self._db.execute("UPDATE files SET pinned = ? WHERE id = ?", (pinned, fid))
        return done.rowcount > 0

    def remove(self, fid: str) -> bool:
        """Drop a file and the chunks no other file uses; False if it was not here."""
        with self._lock, self._db:
            hashes = [
                r[0] for r in self._db.execute("SELECT hash FROM uses WHERE file = ?", (fid,))
            ]
            gone = self._db.execute("DELETE FROM files WHERE id = ?", (fid,)).rowcount > 0
            self._db.execute("DELETE FROM uses WHERE file = ?", (fid,))
        self._drop_chunks(hashes)
        return gone

    def _drop_chunks(self, hashes: list[bytes]) -> None:
        """Delete these chunks unless a file still uses them."""
        for digest in hashes:
            with self._lock, self._db:
                used = self._db.execute("SELECT 1 FROM uses WHERE hash = ?", (digest,)).fetchone()
                if used is None:
                    self._db.execute("DELETE FROM chunks WHERE hash = ?", (digest,))
            if used is None:
                self.chunk_path(digest).unlink(missing_ok=True)

    def make_room(self, needed: int, *, keep: str) -> list[str]:
        """Collect unpinned files, least recently used first, until `needed` more bytes fit the
        quota and the disk; return the ids collected. capacity_exceeded if they cannot."""
        collected = []
        while not self._fits(needed):
            with self._lock:
                row = self._db.execute(
                    "SELECT id FROM files WHERE pinned = 0 AND id != ? ORDER BY used_at LIMIT 1",
                    (keep,),
                ).fetchone()
            if row is None:
                free = shutil.disk_usage(self.root).free
                raise BusError(
                    "capacity_exceeded",
                    f"{needed} more bytes do not fit: {self.used_bytes()} of the quota of "
                    f"{self.quota} are used by pinned files, {free} bytes are free on the disk",
                )
            self.remove(row[0])
            collected.append(row[0])
        with self._lock:
            self._collected += collected
        return collected

    def drain_collected(self) -> list[str]:
        """The files collected to make room since last asked."""
        with self._lock:
            gone, self._collected = self._collected, []
        return gone

    def _fits(self, needed: int) -> bool:
        if self.used_bytes() + needed > self.quota:
            return False
        return shutil.disk_usage(self.root).free - needed >= self.min_free

    def export(self, fid: str, out: Path, key: bytes | None = None) -> int:
        """Write a whole file to `out` (opening it with `key` when sealed), chunk by chunk;
        return the bytes written."""
        manifest = self.manifest(fid)
        if manifest is None:
            raise KeyError(fid)
        temporary = out.with_name(f".{out.name}.part")
        written = 0
        try:
            with temporary.open("wb") as sink:
                for index, piece in enumerate(self.chunks(manifest)):
                    data = open_block(key, index, piece) if key else piece
                    sink.write(data)
                    written += len(data)
            temporary.replace(out)
        finally:
            temporary.unlink(missing_ok=True)
        self.touch(fid)
        return written

    def chunks(
        self, manifest: Manifest, first: int = 0, count: int | None = None
    ) -> Iterator[bytes]:
        """The chunks of a manifest from `first`, read one at a time."""
        end = len(manifest.chunks) if count is None else min(len(manifest.chunks), first + count)
        for index in range(first, end):
            yield self.read_chunk(manifest.chunks[index])


def open_store(home: Path, quota_bytes: int, min_free_bytes: int) -> BlobStore:
    """The chunk store of a data directory."""
    return BlobStore(home / "files", quota_bytes, min_free_bytes)
