"""A node's files as its handlers see them (`domain.ports.Files`): the chunk store, worked on
threads, and the fetcher, reaching holders among the connected peers."""

from __future__ import annotations

import dataclasses
import io
import mimetypes
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from hearthnet.domain.capability import BusError

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from hearthnet.adapters.blob_store import BlobStore, StoredFile
    from hearthnet.adapters.file_transfer import Fetcher, Holder
    from hearthnet.domain.files import Manifest

THUMBNAIL_PX = 320
MAX_IMAGE_PIXELS = 64_000_000
"""Larger images are not opened for a thumbnail (a decompression bomb is refused)."""


def _row(stored: StoredFile) -> dict[str, Any]:
    return dataclasses.asdict(stored)


def thumbnail_bytes(source: Path) -> bytes | None:
    """A small JPEG of an image, or None if it is not an image Pillow reads safely."""
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with Image.open(source) as image:
            image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None


class NodeFiles:
    """The files port of a node."""

    def __init__(
        self,
        store: BlobStore,
        fetcher: Fetcher | None,
        holders: Callable[[list[str]], list[Holder]],
        offload: Callable[..., Awaitable[Any]],
    ) -> None:
        self.store, self.fetcher, self.holders, self.offload = store, fetcher, holders, offload
        self._collected: list[str] = []

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
        return self.offload(lambda: fn(*args, **kwargs))

    async def put(
        self, path: str, name: str, media_type: str, *, pin: bool, seal: bool
    ) -> dict[str, Any]:
        """Store a file of this machine (sealed with a fresh key when asked)."""
        kind = media_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        key = secrets.token_bytes(32) if seal else None
        try:
            stored, new = await self._call(self.store.put, Path(path), name, kind, pin=pin, key=key)
        except OSError as exc:
            raise BusError("bad_request", f"cannot read {path}: {exc}") from None
        return {**_row(stored), "new_chunks": new, "key": key or b""}

    async def thumbnail(self, fid: str) -> str | None:
        """A thumbnail of a stored image, stored as a file of its own."""

        def make() -> str | None:
            with tempfile.TemporaryDirectory(dir=self.store.tmp) as work:
                whole = Path(work) / "image"
                self.store.export(fid, whole)
                small = thumbnail_bytes(whole)
                if small is None:
                    return None
                (Path(work) / "thumb.jpg").write_bytes(small)
                stored, _ = self.store.put(Path(work) / "thumb.jpg", "", "image/jpeg", pin=True)
                return stored.id

        made: str | None = await self.offload(make)
        return made

    async def stored(self, prefix: str = "") -> list[dict[str, Any]]:
        """The files in the store."""
        found: list[StoredFile] = await self._call(self.store.files, prefix)
        return [_row(s) for s in found]

    async def fetch(
        self,
        fid: str,
        holders: list[str],
        name: str,
        progress: Callable[[dict[str, Any]], None],
    ) -> dict[str, Any]:
        """Fetch a file from those of its holders that are connected peers."""
        if self.fetcher is None:
            raise BusError("partition", "the node is not running: start `hearthnet run` to fetch")
        reachable = self.holders(holders)
        if not reachable:
            raise BusError("partition", f"none of the {len(holders)} holders of {fid} is reachable")
        try:
            manifest = await self.fetcher.manifest(fid, reachable, name)
        except ValueError as exc:
            raise BusError("bad_request", str(exc)) from None
        self._collected += self.store.drain_collected()
        figures = await self.fetcher.fetch(
            fid, manifest, reachable, lambda p: progress(dataclasses.asdict(p))
        )
        await self._call(self.store.finish, fid, pin=False)
        return dataclasses.asdict(figures) | {"holders": [h.node_id for h in reachable]}

    async def export(self, fid: str, to: str, key: bytes) -> int:
        """Write a whole file out."""
        written: int = await self._call(self.store.export, fid, Path(to), key or None)
        return written

    async def pin(self, fid: str, pinned: bool) -> bool:
        """Pin or unpin."""
        done: bool = await self._call(self.store.pin, fid, pinned)
        return done

    async def remove(self, fid: str) -> bool:
        """Drop a file."""
        done: bool = await self._call(self.store.remove, fid)
        return done

    async def manifest(self, fid: str) -> Manifest | None:
        """A whole file's manifest."""
        stored = await self._call(self.store.file, fid)
        if stored is None or not stored.complete:
            return None
        found: Manifest | None = await self._call(self.store.manifest, fid)
        return found

    async def chunks(self, fid: str, first: int, count: int) -> AsyncIterator[bytes]:
        """A whole file's chunks, one at a time."""
        manifest = await self.manifest(fid)
        if manifest is None:
            return
        for digest in manifest.chunks[first : first + count]:
            try:
                yield await self._call(self.store.read_chunk, digest)
            except KeyError:
                raise BusError("not_found", f"a chunk of {fid} is missing here") from None

    def collected(self) -> list[str]:
        """Files collected to make room since last asked."""
        gone = self._collected + self.store.drain_collected()
        self._collected = []
        return gone
