"""Moving files between nodes: two signed routes that serve a manifest and runs of raw chunks,
and a fetcher that takes one file from several holders at once.

The fetcher keeps one queue of the chunks still missing. A few streams take a run of them at
a time, each from the holder with the fewest runs in flight (the fastest first), so a fast
holder serves more runs than a slow one; once the queue is empty an idle stream also asks
another holder for chunks a slow one has had for a while (the first copy that verifies
wins), so the last runs never wait on the slowest holder. Every chunk is checked against its
hash as it arrives and written to the store at once: a restarted fetch asks only for what is
missing. A holder that serves bytes that do not match is penalised and its run goes back on
the queue for the others. Memory holds one chunk per stream, whatever the file's size.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http.client
import os
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
RUN = 4
"""Chunks asked for in one request (4 MiB)."""
MAX_STREAMS = 4
"""Runs in flight at once for one fetch, at most."""
TIMEOUT_S = 30.0
MAX_MANIFEST_BYTES = 4 * 2**20
ATTEMPTS = 3
"""Failed requests after which a holder's stream gives up."""
SLOW_S = 2.0
"""A chunk asked of one holder this long ago is asked of another too."""


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

        length = sum(found.chunk_length(i) for i in asked.chunks)
        return StreamingResponse(
            stream(),
            media_type="application/octet-stream",
            headers={"content-length": str(length)},  # not chunked: less to parse on both ends
        )

    return [
        Route(MANIFEST_PATH, manifest, methods=["POST"]),
        Route(CHUNKS_PATH, chunks, methods=["POST"]),
    ]


@dataclass(frozen=True)
class Holder:
    """A node that advertised the file, and where it is reached."""

    node_id: str
    url: str


def streams(holders: int) -> int:
    """Runs in flight at once: one more than there are holders, but no more than this
    machine's cores can verify and write (two at least, so that one waits on the network
    while another writes)."""
    return min(holders + 1, MAX_STREAMS, max(2, os.cpu_count() or 2))


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


@dataclass
class RunResult:
    """What one request for a run of chunks brought: the chunks kept, the bytes received,
    and why the holder is to be penalised (empty when it is not)."""

    kept: list[int] = field(default_factory=list)
    received: int = 0
    corrupt: str = ""


class Fetcher:
    """Fetches files from holders, signing every request as this node. Each stream runs on a
    thread of its own pool (a plain HTTP client reading straight to disk), so a transfer
    costs the event loop one hop per run and never queues the node's other blocking work."""

    def __init__(
        self,
        store: BlobStore,
        signer: Signer,
        community: str,
        offload: Callable[..., Awaitable[Any]],
        penalise: Callable[[Holder, str], None],
    ) -> None:
        self.store, self.signer, self.community = store, signer, community
        self.offload, self.penalise = offload, penalise
        self.pool = ThreadPoolExecutor(4 * MAX_STREAMS, thread_name_prefix="fetch")
        self._local = threading.local()

    def close(self) -> None:
        """Wait for the runs in flight (their connections close with their threads)."""
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _connections(self) -> dict[str, http.client.HTTPConnection]:
        """This thread's connections, by holder URL."""
        found: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "connections", {}
        )
        return found

    def _post(self, holder: Holder, path: str, run: ChunkRun) -> http.client.HTTPResponse:
        """Send a signed request on this thread's connection to the holder (the standard
        library's client: it reads a body straight into whole chunks). A kept connection the
        holder has closed meanwhile (its keep-alive ran out) is replaced once."""
        connections = self._connections()
        kept = holder.url in connections
        body = msgspec.json.encode(run)
        while True:
            connection = connections.get(holder.url)
            if connection is None:
                address = urllib.parse.urlsplit(holder.url)
                connection = http.client.HTTPConnection(
                    address.hostname or "", address.port or 80, timeout=TIMEOUT_S
                )
                connections[holder.url] = connection
            headers = sign_request(self.signer, self.community, holder.node_id, "POST", path, body)
            headers["content-type"] = "application/json"
            try:
                connection.request("POST", path, body, headers)
                return connection.getresponse()
            except (ConnectionError, http.client.RemoteDisconnected):
                connections.pop(holder.url).close()
                if not kept:
                    raise
                kept = False
            except (OSError, http.client.HTTPException):
                connections.pop(holder.url).close()
                raise

    def _manifest_from(self, holder: Holder, fid: str) -> tuple[Holder, bytes | None]:
        try:
            response = self._post(holder, MANIFEST_PATH, ChunkRun(fid, []))
            raw = response.read(MAX_MANIFEST_BYTES)
        except (OSError, http.client.HTTPException):
            return holder, None
        return holder, raw if response.status == 200 else None

    async def manifest(self, fid: str, holders: list[Holder], name: str) -> Manifest:
        """The file's manifest, from this store or the first holder whose copy hashes to the
        id; the fetch is recorded in the store so that it can be taken up again."""
        raw = await self.offload(self.store.raw_manifest, fid)
        if raw is not None:
            manifest: Manifest = decode_manifest(raw)
            return manifest
        loop = asyncio.get_running_loop()
        asked = [  # every holder at once: one that hangs does not hold the fetch up
            loop.run_in_executor(self.pool, self._manifest_from, holder, fid) for holder in holders
        ]
        for answer in asyncio.as_completed(asked):
            holder, raw = await answer
            if raw is None:
                continue
            if file_id(chunk_hash(raw)) != fid:
                self.penalise(holder, f"served a manifest that is not {fid}")
                continue
            try:
                begun: Manifest = await self.offload(self.store.begin, fid, raw, name)
            except ValueError as exc:
                self.penalise(holder, f"served a manifest that does not decode: {exc}")
                continue
            return begun
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
        pending = set(missing)
        asked: dict[int, set[str]] = collections.defaultdict(set)
        """Which holders each chunk in flight is asked of."""
        since: dict[int, float] = {}
        """When each chunk in flight was first asked for."""
        ended = asyncio.Event()
        loop = asyncio.get_running_loop()

        def take(holder: Holder) -> list[int]:
            run: list[int] = []
            while queue and len(run) < RUN:
                index = queue.popleft()
                if index in pending:
                    run.append(index)
            if not run:  # the end: take over what a slow holder has had for a while
                late = time.monotonic() - SLOW_S
                run = [
                    i
                    for i in pending
                    if len(asked[i]) == 1 and holder.node_id not in asked[i] and since[i] < late
                ][:RUN]
            for index in run:
                asked[index].add(holder.node_id)
                since.setdefault(index, time.monotonic())
            return run

        running: collections.Counter[str] = collections.Counter()
        failures: collections.Counter[str] = collections.Counter()
        rates: dict[str, float] = {}

        def choose() -> Holder | None:
            """The holder with the fewest runs in flight, the fastest so far first."""
            usable = [
                h
                for h in holders
                if h.node_id not in state.penalised and failures[h.node_id] < ATTEMPTS
            ]
            if not usable:
                return None
            return min(usable, key=lambda h: (running[h.node_id], -rates.get(h.node_id, 1e12)))

        async def stream() -> None:
            while pending and (holder := choose()) is not None:
                run = take(holder)
                if not run:
                    if not queue and all(not asked[i] for i in pending):
                        return
                    with contextlib.suppress(TimeoutError):  # a run ends, or one falls behind
                        async with asyncio.timeout(SLOW_S / 4):
                            await ended.wait()
                    continue
                running[holder.node_id] += 1
                started = time.monotonic()
                try:
                    got: RunResult = await loop.run_in_executor(
                        self.pool, self._run, fid, manifest, holder, run, pending
                    )
                finally:
                    running[holder.node_id] -= 1
                rates[holder.node_id] = got.received / max(time.monotonic() - started, 1e-6)
                state.fetched_bytes += got.received
                state.by_holder[holder.node_id] = (
                    state.by_holder.get(holder.node_id, 0) + got.received
                )
                for index in got.kept:
                    if index in pending:
                        pending.discard(index)
                        state.have_bytes += manifest.chunk_length(index)
                for index in run:
                    asked[index].discard(holder.node_id)
                    if not asked[index]:
                        since.pop(index, None)
                left = [i for i in run if i in pending]
                queue.extendleft(reversed([i for i in left if not asked[i]]))
                ended.set()  # wakes the streams waiting now; later ones wait for the next
                ended.clear()
                progress(state)
                if got.corrupt and holder.node_id not in state.penalised:
                    state.penalised.append(holder.node_id)
                    self.penalise(holder, got.corrupt)
                failures[holder.node_id] = failures[holder.node_id] + 1 if left else 0

        await asyncio.gather(*(stream() for _ in range(streams(len(holders)))))
        if pending:
            raise BusError(
                "partition", f"{len(pending)} chunks of {fid} could not be fetched from any holder"
            )
        return state

    def _run(
        self, fid: str, manifest: Manifest, holder: Holder, run: list[int], pending: set[int]
    ) -> RunResult:
        """Ask one holder for a run of chunks and keep each that verifies and is still
        missing (on this thread); the run may end early (a dropped connection)."""
        got = RunResult()
        try:
            response = self._post(holder, CHUNKS_PATH, ChunkRun(fid, run))
            if response.status != 200:
                response.read()
                return got
            for index in run:
                length = manifest.chunk_length(index)
                data = response.read(length)
                if len(data) < length:
                    return got  # the run ended early
                if chunk_hash(data) != manifest.chunks[index]:
                    got.corrupt = f"served a chunk of {fid} that does not match its hash"
                    return got
                got.received += length
                if index in pending:  # another holder's copy may have come first
                    self.store.write_chunk(manifest.chunks[index], data)
                    got.kept.append(index)
            if response.read(1):
                got.corrupt = f"sent more than the chunks of {fid} asked for"
        except (OSError, http.client.HTTPException):
            dropped = self._connections().pop(holder.url, None)
            if dropped is not None:
                dropped.close()
        return got
