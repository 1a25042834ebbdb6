"""Files: content-addressed chunks, the manifest that names a file, and who holds what.

A file is cut into chunks of `CHUNK_SIZE` bytes; each chunk is named by its BLAKE3 hash and
the manifest (size, chunk size, media type, chunk hashes) is hashed into the file's id,
`blake3:<64 hex>`. A reader that trusts the id verifies the manifest, then every chunk on its
own, as it arrives. Holders say on the log which files they keep (`file.cid.advertised`) and
when they stop (`file.cid.withdrawn`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Protocol

import msgspec

from hearthnet.domain.types import FileId

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

FILE_ADVERTISED = "file.cid.advertised"
FILE_WITHDRAWN = "file.cid.withdrawn"
CHUNK_SIZE = 1_048_576
"""Bytes per chunk: 1 MiB (ADR 0020 gives the figures)."""
SEALED_BLOCK = CHUNK_SIZE - 16
"""Plaintext bytes per chunk of an encrypted attachment: with its 16-byte tag, one chunk."""
MAX_FILE_BYTES = 64 * 2**30
MAX_CHUNKS = MAX_FILE_BYTES // CHUNK_SIZE
Name = Annotated[str, msgspec.Meta(max_length=200)]
MediaType = Annotated[str, msgspec.Meta(max_length=100, pattern=r"^[\w.+-]+/[\w.+-]+$")]


class Manifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a file is: its size, chunk size, media type and every chunk's BLAKE3 hash."""

    size_bytes: Annotated[int, msgspec.Meta(ge=0, le=MAX_FILE_BYTES)]
    chunk_size_bytes: Annotated[int, msgspec.Meta(ge=1024, le=4 * 2**20)] = CHUNK_SIZE
    media_type: MediaType = "application/octet-stream"
    chunks: Annotated[list[bytes], msgspec.Meta(max_length=MAX_CHUNKS)]

    def check(self) -> None:
        """Raise ValueError unless the chunk list fits the size and every hash is 32 bytes."""
        expected = -(-self.size_bytes // self.chunk_size_bytes)
        if len(self.chunks) != expected:
            raise ValueError(f"{len(self.chunks)} chunks for {self.size_bytes} bytes")
        if any(len(c) != 32 for c in self.chunks):
            raise ValueError("a chunk hash is not 32 bytes")

    def chunk_length(self, index: int) -> int:
        """The length of chunk `index` (the last one may be short)."""
        return min(self.chunk_size_bytes, self.size_bytes - index * self.chunk_size_bytes)


def manifest_bytes(manifest: Manifest) -> bytes:
    """The canonical bytes of a manifest, which its id hashes (msgpack, fields in order)."""
    return msgspec.msgpack.encode(manifest)


def decode_manifest(raw: bytes) -> Manifest:
    """A manifest from its canonical bytes; ValueError if it is not one."""
    try:
        manifest = msgspec.msgpack.decode(raw, type=Manifest)
    except msgspec.DecodeError as exc:
        raise ValueError(f"not a manifest: {exc}") from None
    manifest.check()
    if manifest_bytes(manifest) != raw:
        raise ValueError("the manifest is not in its canonical form")
    return manifest


def file_id(digest: bytes) -> str:
    """A file's id from the BLAKE3 digest of its manifest."""
    return "blake3:" + digest.hex()


class Advertised(msgspec.Struct, frozen=True, kw_only=True):
    """A node holds a whole file and serves it (name and media type are empty for a sealed
    attachment: they travel inside the private message)."""

    id: FileId
    size_bytes: Annotated[int, msgspec.Meta(ge=0, le=MAX_FILE_BYTES)]
    name: Name = ""
    media_type: Annotated[str, msgspec.Meta(max_length=100)] = ""


class Withdrawn(msgspec.Struct, frozen=True, kw_only=True):
    """A node no longer holds a file."""

    id: FileId


EVENTS: dict[str, type[msgspec.Struct]] = {FILE_ADVERTISED: Advertised, FILE_WITHDRAWN: Withdrawn}


class Put(msgspec.Struct, frozen=True, kw_only=True):
    """Command: store a file of this machine and share it (`seal`: encrypt it for a private
    message; the key comes back and is never on the log)."""

    path: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    name: Name = ""
    media_type: MediaType | None = None
    pin: bool = True
    seal: bool = False
    thumbnail: bool = True


class Get(msgspec.Struct, frozen=True, kw_only=True):
    """Command: fetch a file from its holders into this node's store (and to `to`, a path of
    this machine; `key` opens a sealed attachment as it is written out)."""

    id: FileId
    to: Annotated[str, msgspec.Meta(max_length=4096)] = ""
    key: Annotated[bytes, msgspec.Meta(max_length=32)] = b""
    pin: bool = False
    holders: Annotated[list[str], msgspec.Meta(max_length=64)] = []
    """Fetch only from these nodes (empty: from every holder)."""


class Read(msgspec.Struct, frozen=True, kw_only=True):
    """Query: a file's manifest and chunks, from chunk `first`, at most `count` of them."""

    id: FileId
    first: Annotated[int, msgspec.Meta(ge=0)] = 0
    count: Annotated[int, msgspec.Meta(ge=0, le=MAX_CHUNKS)] = MAX_CHUNKS


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """A file this node holds, to pin, unpin, remove or advertise."""

    id: FileId


class Advertise(msgspec.Struct, frozen=True, kw_only=True):
    """Command: say on the log that this node holds these files."""

    cids: Annotated[list[FileId], msgspec.Meta(max_length=100)]


class Listing(msgspec.Struct, frozen=True, kw_only=True):
    """Query: the files this node holds (ids starting with `prefix`)."""

    prefix: Annotated[str, msgspec.Meta(max_length=71)] = ""


class Files(Protocol):
    """A node's files: its chunk store on disk and the fetching of files from holders."""

    async def put(
        self, path: str, name: str, media_type: str, *, pin: bool, seal: bool
    ) -> dict[str, Any]:
        """Store a file of this machine: {id, size_bytes, media_type, name, new_chunks, key}
        (`key` for a sealed file, else empty); capacity_exceeded when it does not fit."""
        ...

    async def thumbnail(self, fid: str) -> str | None:
        """Store a small JPEG of a stored image and return its id (None: not an image)."""
        ...

    async def stored(self, prefix: str = "") -> list[dict[str, Any]]:
        """The files in the store, whole or in part, with their size, name and pin."""
        ...

    async def fetch(
        self,
        fid: str,
        holders: list[str],
        name: str,
        progress: Callable[[dict[str, Any]], None],
    ) -> dict[str, Any]:
        """Fetch a file from these holders (node ids) into the store, verified chunk by chunk;
        return the figures of the fetch."""
        ...

    async def export(self, fid: str, to: str, key: bytes) -> int:
        """Write a whole stored file to a path of this machine (opened with `key` if sealed)."""
        ...

    async def pin(self, fid: str, pinned: bool) -> bool:
        """Keep a file, or let it be collected; False if it is not here."""
        ...

    async def remove(self, fid: str) -> bool:
        """Drop a file; False if it was not here."""
        ...

    async def manifest(self, fid: str) -> Manifest | None:
        """The manifest of a whole file here."""
        ...

    def chunks(self, fid: str, first: int, count: int) -> AsyncIterator[bytes]:
        """The chunks of a whole file here, read one at a time."""
        ...

    def collected(self) -> list[str]:
        """The files collected to make room since last asked."""
        ...
