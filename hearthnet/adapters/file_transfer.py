"""Moving files between nodes: two signed routes that serve a manifest and runs of raw chunks,
and a fetcher that takes one file from several holders at once.

The fetcher keeps one queue of the chunks still missing. Each holder's streams take a run of
them at a time, so a fast holder takes more runs than a slow one; once the queue is empty an
idle stream also asks for chunks still in flight elsewhere (the first copy that verifies
wins), so the last runs never wait on the slowest holder. Every chunk is checked against its
hash as it arrives and written to the store at once: a restarted fetch asks only for what is
missing. A holder that serves bytes that do not match is penalised and its run goes back on
the queue for the others. Memory holds one chunk per stream, whatever the file's size.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import msgspec
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hearthnet.adapters.blob_store import chunk_hash
from hearthnet.adapters.http_common import BodyError, error, read_body
from hearthnet.adapters.request_auth import sign_request
from hearthnet.domain.capability import BusError
from hearthnet.domain.files import Manifest, decode_manifest, file_id

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from starlette.requests import Request

    from hearthnet.adapters.blob_store import BlobStore
    from hearthnet.adapters.http_access import Gate
    from hearthnet.domain.ports import Signer

MANIFEST_PATH = "/files/v1/manifest"
CHUNKS_PATH = "/files/v1/chunks"
RUN = 16
"""Chunks asked for in one request (4 MiB)."""
STREAMS_PER_HOLDER = 2
ATTEMPTS = 3
"""Failed requests after which a holder's stream gives up."""


class ChunkRun(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A request for some chunks of a file, in the order they are to be sent."""

    id: str
    chunks: list[int]


def routes(store: BlobStore, gate: Gate, offload: Callable[..., Awaitable[Any]]) -> list[Route]:
    """The routes that serve this node's files to members."""

    async def signed_run(request: Request) -> ChunkRun | Response:
        try:
            body = await read_body(request)
        except BodyError as exc:
            return exc.response
        who = gate.calling(request, body)
        if isinstance(who, JSONResponse):
            return who
        try:
            return msgspec.json.decode(body, type=ChunkRun)
        except msgspec.DecodeError as exc:
            return error(400, "bad_request", f"not a chunk request: {exc}")

    async def manifest(request: Request) -> Response:
        asked = await signed_run(request)
        if isinstance(asked, Response):
            return asked
        raw = await offload(store.raw_manifest, asked.id)
        if raw is None:
            return error(404, "not_found", f"{asked.id} is not here")
        return Response(raw, media_type="application/octet-stream")

    async def chunks(request: Request) -> Response:
        asked = await signed_run(request)
        if isinstance(asked, Response):
            return asked
        found: Manifest | None = await offload(store.manifest, asked.id)
        if found is None:
            return error(404, "not_found", f"{asked.id} is not here")
        if any(not 0 <= i < len(found.chunks) for i in asked.chunks):
            return error(400, "bad_request", "a chunk index is out of range")
        hashes = [found.chunks[i] for i in asked.chunks]

        async def stream() -> AsyncIterator[bytes]:
            for digest in hashes:
                try:
                    yield await offload(store.read_chunk, digest)
                except KeyError:
                    return  # the reader sees the run end early and asks another holder

        return StreamingResponse(stream(), media_type="application/octet-stream")

    return [
        Route(MANIFEST_PATH, manifest, methods=["POST"]),
        Route(CHUNKS_PATH, chunks, methods=["POST"]),
    ]


@dataclass(frozen=True)
class Holder:
    """A node that advertised the file, and where it is reached."""

    node_id: str
    url: str


class Corrupt(Exception):
    """A holder sent bytes that do not hash to the chunk asked for."""


@dataclass
class Progress:
    """How far a fetch is: bytes here of the whole, and bytes each holder sent."""

    have_bytes: int
    total_bytes: int
    resumed_from_bytes: int = 0
    """Bytes already here when the fetch began (a fetch taken up again after a crash)."""
    fetched_bytes: int = 0
    by_holder: dict[str, int] = field(default_factory=dict)
    penalised: list[str] = field(default_factory=list)


class Fetcher:
    """Fetches files from holders, signing every request as this node."""

    def __init__(
        self,
        store: BlobStore,
        client: httpx.AsyncClient,
        signer: Signer,
        community: str,
        offload: Callable[..., Awaitable[Any]],
        penalise: Callable[[Holder, str], None],
    ) -> None:
        self.store, self.client, self.signer = store, client, signer
        self.community, self.offload, self.penalise = community, offload, penalise

    async def _post(self, holder: Holder, path: str, run: ChunkRun) -> httpx.Request:
        body = msgspec.json.encode(run)
        headers = sign_request(self.signer, self.community, holder.node_id, "POST", path, body)
        headers["content-type"] = "application/json"
        return self.client.build_request(
            "POST", holder.url + path, content=body, headers=headers, timeout=30.0
        )

    async def manifest(self, fid: str, holders: list[Holder], name: str) -> Manifest:
        """The file's manifest, from this store or the first holder whose copy hashes to the
        id; the fetch is recorded in the store so that it can be taken up again."""
        raw = await self.offload(self.store.raw_manifest, fid)
        if raw is not None:
            manifest: Manifest = decode_manifest(raw)
            return manifest
        for holder in holders:
            try:
                request = await self._post(holder, MANIFEST_PATH, ChunkRun(fid, []))
                response = await self.client.send(request)
                if response.status_code != 200:
                    continue
                if file_id(chunk_hash(response.content)) != fid:
                    self.penalise(holder, f"served a manifest that is not {fid}")
                    continue
                begun: Manifest = await self.offload(self.store.begin, fid, response.content, name)
                return begun
            except httpx.HTTPError:
                continue
            except ValueError as exc:
                self.penalise(holder, f"served a manifest that does not decode: {exc}")
        raise BusError("not_found", f"no holder reachable serves {fid}")

    async def fetch(
        self,
        fid: str,
        manifest: Manifest,
        holders: list[Holder],
        progress: Callable[[Progress], None],
    ) -> Progress:
        """Fetch every missing chunk; partition if the holders could not serve them all."""
        missing: list[int] = await self.offload(self.store.missing, manifest)
        have = manifest.size_bytes - sum(manifest.chunk_length(i) for i in missing)
        state = Progress(have, manifest.size_bytes, resumed_from_bytes=have)
        queue = collections.deque(missing)
        pending, done = set(missing), set[int]()
        asked: dict[int, set[str]] = collections.defaultdict(set)
        """Which holders each chunk in flight is asked of."""

        def take(holder: Holder) -> list[int]:
            run: list[int] = []
            while queue and len(run) < RUN:
                index = queue.popleft()
                if index not in done:
                    run.append(index)
            if not run:  # the end: help with what other holders still have in flight
                spare = [i for i in pending if holder.node_id not in asked[i]]
                run = sorted(spare, key=lambda i: len(asked[i]))[:RUN]
            for index in run:
                asked[index].add(holder.node_id)
            return run

        async def stream(holder: Holder) -> None:
            failures = 0
            while pending and failures < ATTEMPTS and holder.node_id not in state.penalised:
                run = take(holder)
                if not run:
                    return
                got = await self._run(fid, manifest, holder, run, done, pending, state)
                for index in run:
                    asked[index].discard(holder.node_id)
                left = [i for i in run if i not in done]
                queue.extendleft(reversed([i for i in left if not asked[i]]))
                progress(state)
                if isinstance(got, Corrupt):
                    if holder.node_id not in state.penalised:  # its other streams stop too
                        state.penalised.append(holder.node_id)
                        self.penalise(holder, str(got))
                    return
                failures = failures + 1 if left else 0

        workers = [stream(h) for h in holders for _ in range(STREAMS_PER_HOLDER)]
        await asyncio.gather(*workers)
        if pending:
            raise BusError(
                "partition", f"{len(pending)} chunks of {fid} could not be fetched from any holder"
            )
        return state

    async def _run(
        self,
        fid: str,
        manifest: Manifest,
        holder: Holder,
        run: list[int],
        done: set[int],
        pending: set[int],
        state: Progress,
    ) -> Corrupt | None:
        """Ask one holder for a run of chunks and keep each that verifies; the run may end
        early (a dropped connection); a Corrupt is returned, not raised."""
        try:
            request = await self._post(holder, CHUNKS_PATH, ChunkRun(fid, run))
            response = await self.client.send(request, stream=True)
            try:
                if response.status_code != 200:
                    return None
                buffer = bytearray()
                position = 0
                async for piece in response.aiter_raw():
                    buffer += piece
                    while position < len(run):
                        index = run[position]
                        length = manifest.chunk_length(index)
                        if len(buffer) < length:
                            break
                        data = bytes(buffer[:length])
                        del buffer[:length]
                        position += 1
                        if chunk_hash(data) != manifest.chunks[index]:
                            return Corrupt(f"served a chunk of {fid} that does not match its hash")
                        state.fetched_bytes += length
                        state.by_holder[holder.node_id] = (
                            state.by_holder.get(holder.node_id, 0) + length
                        )
                        if index in done:
                            continue
                        await self.offload(self.store.write_chunk, manifest.chunks[index], data)
                        if index not in done:
                            done.add(index)
                            pending.discard(index)
                            state.have_bytes += length
                    if position == len(run) and buffer:
                        return Corrupt(f"sent more than the chunks of {fid} asked for")
            finally:
                await response.aclose()
        except httpx.HTTPError:
            return None
        return None
