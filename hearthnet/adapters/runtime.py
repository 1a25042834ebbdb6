"""A node running its community on one event loop: the writer, the views and their
broadcaster, the capability bus with its features' handlers and reactions, replication,
discovery and the HTTP routes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import msgspec
import platformdirs

from hearthnet.adapters import file_transfer, routes_models
from hearthnet.adapters.audit import audit
from hearthnet.adapters.blob_store import open_store
from hearthnet.adapters.cap_feeds import FEED_EVERY_S, poll
from hearthnet.adapters.connectivity import PROBE_EVERY_S, Connectivity
from hearthnet.adapters.discovery import Discovery
from hearthnet.adapters.file_transfer import Fetcher, Holder
from hearthnet.adapters.http_access import Gate
from hearthnet.adapters.http_api import NodeApi, create_app
from hearthnet.adapters.http_bus import HttpBusRemote
from hearthnet.adapters.http_peer import HttpPeer
from hearthnet.adapters.keyring import LocalKeyring
from hearthnet.adapters.log_writer import LogWriter
from hearthnet.adapters.node_context import ServiceContext
from hearthnet.adapters.node_files import NodeFiles
from hearthnet.adapters.node_library import NodeLibrary
from hearthnet.adapters.node_models import NodeModels
from hearthnet.adapters.node_senses import NodeSenses
from hearthnet.adapters.replica import LocalReplica
from hearthnet.adapters.view_reader import ViewReader
from hearthnet.config import save_config
from hearthnet.domain.capability import BusError
from hearthnet.domain.community import Standing, standing
from hearthnet.domain.envelope import encode
from hearthnet.domain.manifest import TTL_MS, Manifest, sign_manifest
from hearthnet.domain.types import InvalidIdentifier, node_id
from hearthnet.projections.community import MembershipProjection
from hearthnet.services.broadcast import Broadcaster, LogChange
from hearthnet.services.bus import Bus
from hearthnet.sync.driver import PeerManager, PeerState
from hearthnet.sync.protocol import Bundle

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable, Coroutine, Sequence

    from starlette.routing import BaseRoute

    from hearthnet.adapters.node_home import Node
    from hearthnet.domain.capability import Descriptor
    from hearthnet.domain.connectivity import Mode
    from hearthnet.domain.records import Recorded
    from hearthnet.services.bus import Capability
    from hearthnet.services.context import Reactions

T = TypeVar("T")
log = logging.getLogger("hearthnet")


@dataclass
class RunOptions:
    """How `hearthnet run` was asked to run."""

    port: int
    host: str = "127.0.0.1"
    peers: tuple[str, ...] = ()
    sync_interval: float = 30.0
    discovery: bool = True
    public_url: str = ""
    without: tuple[str, ...] = ()
    """Capabilities this node does not serve itself (calls for them go to peers)."""
    ready: Callable[[str], None] = print
    dashboard: bool = True
    probe: Callable[[], Awaitable[bool]] | None = None
    """The connectivity probe that drives emergency mode (None: always normal)."""
    probe_every: float = PROBE_EVERY_S
    emergency_sync_interval: float = 5.0
    feed_every: float = FEED_EVERY_S

    def url(self) -> str:
        """Where peers reach this node."""
        host = self.host if self.host != "0.0.0.0" else "127.0.0.1"
        return self.public_url or f"http://{host}:{self.port}"


class NodeRuntime:
    """A node running its community; `start` brings it up, `stop` takes it down."""

    def __init__(
        self,
        node: Node,
        options: RunOptions,
        capabilities: Sequence[Capability],
        reactions: Reactions,
    ) -> None:
        assert node.signer is not None
        self.node, self.options, self.signer = node, options, node.signer
        self.reactions = reactions
        self.me, self.community = node_id(self.signer.public_key), node.config.community
        self.url = options.url()
        self.writer = LogWriter(node.log)
        self.admin_token = secrets.token_urlsafe(24)
        self.gate = Gate(self.community, self.me, self.admin_token, Standing())
        self.broadcaster = Broadcaster()
        self.reader = ViewReader(node.home / "views.sqlite")
        self.keyring = LocalKeyring(node.home, self.signer)
        self.client = httpx.AsyncClient()
        self._refresh = asyncio.Event()
        self._views_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._threads: set[asyncio.Future[Any]] = set()
        self._remotes: dict[str, HttpBusRemote] = {}
        self._discovery: Discovery | None = None
        self._stopping = False
        self.damage: list[str] = []
        """What is wrong with this node's log or views, in words (empty when healthy)."""
        self.unfolded = 0
        self.started_at = time.time()
        self.peers = self._peer_manager()
        self.connectivity = (
            Connectivity(
                options.probe, node.home / "modes.jsonl", self._mode_changed, options.probe_every
            )
            if options.probe is not None
            else None
        )
        self.bus = Bus(self._connected_remotes)
        config = node.config
        self.store = open_store(node.home, config.files_quota_bytes, config.files_min_free_bytes)
        self.fetcher = Fetcher(
            self.store, self.signer, self.community, self.offload, self._penalise
        )
        self.files = NodeFiles(self.store, self.fetcher, self._holders, self.offload)
        self.models = NodeModels.configured(config)
        self.library = NodeLibrary(node.home / "rag.duckdb", self.store)
        self.senses = NodeSenses()
        self._later: set[asyncio.Task[None]] = set()
        self.context = self._context()
        self.bus.serve(capabilities, self.context, frozenset(options.without))
        self.routes: list[BaseRoute] = [
            *file_transfer.routes(self.store, self.gate, self.offload),
            *routes_models.routes(self.local_bus(), lambda: self.node.config.api_token),
            *create_app(self._api()).routes,
        ]

    def _peer_manager(self) -> PeerManager:
        signer, community = self.signer, self.community
        peers = PeerManager(
            LocalReplica(self.node.log, self.writer),
            lambda u: HttpPeer(u, signer, community, self.client, self.url),
            me=self.me,
            community=community,
            on_change=self._peer_changed,
            interval=self.options.sync_interval,
            own_url=self.url,
        )
        for peer_url in (*self.node.config.peers, *self.options.peers):
            try:
                peers.add(peer_url)
            except InvalidIdentifier as exc:
                log.warning("peer skipped: %s", exc)
        return peers

    def _context(self) -> ServiceContext:
        return ServiceContext(
            me=self.me,
            record=self.record,
            refresh=self.refresh_views,
            query=self.reader.query,
            capabilities=self.bus.descriptors,
            status=self.describe,
            log=self.node.log,
            signer=self.signer,
            keyring=self.keyring,
            endpoints=lambda: [self.url],
            offload=self.offload,
            peers=self._peer_rows,
            add_peer=self.peers.add,
            forget_peer=self.forget_peer,
            unfolded=self.node.views.unfolded,
            files=self.files,
            models=self.models,
            library=self.library,
            remotes=self.bus.remotes,
            bus=self.bus,
            later=self.later,
        )

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work in the background of the node, cancelled when it stops."""
        task = asyncio.create_task(work)
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    def _holders(self, node_ids: list[str]) -> list[Holder]:
        """The connected peers among these nodes, where they are reached."""
        by_node = {s.node_id: s.url for s in self.peers.peers.values() if s.state == "connected"}
        return [Holder(n, by_node[n]) for n in node_ids if n in by_node]

    def _penalise(self, holder: Holder, why: str) -> None:
        """A holder served data that does not match its hash: left alone like a peer that
        served garbage on sync."""
        log.warning("%s penalised: %s", holder.node_id, why)
        self.peers.quarantine(holder.url, why)

    async def _poll_feeds(self) -> None:
        """Mirror what the configured CAP sources publish, while the node is not cut off."""
        seen: set[bytes] = set()

        async def take(xml: bytes, source: str) -> None:
            digest = hashlib.sha256(xml).digest()
            if digest in seen:
                return
            seen.add(digest)
            try:
                data = {"xml": xml.decode(), "source": source[:400], "via": "feed"}
                await self.local_bus().call("alert.import", data)
            except BusError as exc:
                log.warning("alert feed %s: %s", source, exc)
                if exc.code.startswith(("civdef_cert", "civdef_role")):
                    seen.discard(digest)  # this node may hold a role by the next poll
            except UnicodeDecodeError as exc:
                log.warning("alert feed %s: %s", source, exc)

        while True:
            if self.connectivity is None or self.connectivity.mode != "emergency":
                for url in self.node.config.alert_feeds:
                    try:
                        await poll(self.client, url, take)
                    except (httpx.HTTPError, ValueError) as exc:
                        log.warning("alert feed %s: %s", url, exc)
            await asyncio.sleep(self.options.feed_every)

    def _mode_changed(self, mode: Mode) -> None:
        """Sync more often in emergency, as usual otherwise; sync at once either way."""
        emergency = mode == "emergency"
        self.peers.interval = (
            self.options.emergency_sync_interval if emergency else self.options.sync_interval
        )
        self.peers.kick()
        log.warning("mode is now %s", mode)

    def forget_peer(self, url: str) -> bool:
        """Stop syncing with a peer and drop it from the config; False if it was unknown."""
        known = self.peers.forget(url)
        saved = self.node.config.peers
        if url in saved:
            saved.remove(url)
            save_config(self.node.home, self.node.config)
            known = True
        return known

    def _api(self) -> NodeApi:
        return NodeApi(
            LocalReplica(self.node.log, self.writer),
            self.peers,
            self.gate,
            self.manifest,
            self.append,
            lambda _: self._refresh.set(),
            self.bus,
            self.me,
        )

    def _discovered(self, url: str) -> None:
        with contextlib.suppress(InvalidIdentifier):
            self.peers.add(url, "discovered")

    def _connected_remotes(self) -> list[Any]:
        remotes = []
        for state in self.peers.peers.values():
            if state.state != "connected":
                continue
            if state.url not in self._remotes:
                self._remotes[state.url] = HttpBusRemote(
                    state.url, self.signer, self.community, self.client
                )
            remotes.append(self._remotes[state.url])
        return remotes

    async def _peer_rows(self) -> list[dict[str, Any]]:
        rows = []
        connected = {r.url: r for r in self._connected_remotes()}
        for state in list(self.peers.peers.values()):
            row: dict[str, Any] = dataclasses.asdict(state)
            row["capabilities"] = []
            remote = connected.get(state.url)
            if remote is not None:
                with contextlib.suppress(BusError):
                    row["capabilities"] = [d.ref for d in await remote.offers()]
            rows.append(row)
        return rows

    async def refresh_views(self) -> None:
        """Bring the views up to the log, update who may sync, and tell live readers."""
        views = self.node.views

        def fold(types: set[str]) -> tuple[int, int, Standing]:
            folded = views.catch_up(None, types)
            membership = views.projections["membership"]
            assert isinstance(membership, MembershipProjection)
            now = int(time.time() * 1000)
            return folded, views.unfolded_count(), standing(membership.fold(), now)

        async with self._views_lock:
            types: set[str] = set()
            folded, self.unfolded, self.gate.standing = await self.offload(fold, types)
        if folded:
            self.broadcaster.publish(LogChange(folded, frozenset(types)))

    async def offload(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking work on a thread. A cancelled caller stops waiting but the work runs
        to its end, and `stop` waits for it before the log and views are closed."""
        future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        self._threads.add(future)
        future.add_done_callback(self._threads.discard)
        return await asyncio.shield(future)

    async def _keep_views_current(self) -> None:
        while True:
            self._refresh.clear()
            try:
                await self.refresh_views()
                for react in self.reactions.on_views_updated:
                    await react(self.context)
            except Exception as exc:  # the views lag, the node keeps serving; retried shortly
                log.warning("views not updated: %s", exc)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):  # wait_for may swallow the cancel of stop (3.11)
                    await self._refresh.wait()

    async def record(self, type_: str, body: bytes) -> Recorded:
        """Append one of this node's events and push it to the connected peers."""
        recorded = await self.writer.append(self.signer, type_, body)
        self._refresh.set()
        pushing = asyncio.create_task(self.peers.push(Bundle(events=[encode(recorded.event)])))
        self._background.add(pushing)
        pushing.add_done_callback(self._background.discard)
        return recorded

    async def append(self, type_: str, body: bytes) -> dict[str, object]:
        """Append for the admin API: the event's id, seq and Lamport time."""
        recorded = await self.record(type_, body)
        return {
            "event_id": recorded.id.hex(),
            "seq": recorded.event.seq,
            "lamport": recorded.event.lamport,
        }

    async def _peer_changed(self, state: PeerState, change: str) -> None:
        for react in self.reactions.on_peer_change:
            await react(self.context, state.node_id, state.url, change == "seen")

    def describe(self) -> dict[str, Any]:
        """The node's status: identity, community, uptime, log head, peers, capabilities."""
        problems = [*self.damage]
        if self.unfolded:
            problems.append(f"{self.unfolded} events a view could not fold")
        return {
            "node_id": self.me,
            "name": self.node.config.name,
            "community": self.community,
            "url": self.url,
            "uptime_seconds": round(time.time() - self.started_at),
            "log_head_lamport": self.node.log.max_lamport,
            "mode": self.connectivity.mode if self.connectivity else "normal",
            "mode_since": self.connectivity.since
            if self.connectivity
            else int(self.started_at * 1000),
            "log_damaged": bool(problems),
            "log_problems": problems,
            "peers": [
                {"url": s.url, "node_id": s.node_id, "state": s.state}
                for s in self.peers.peers.values()
            ],
            "capabilities": [d.ref for d in self.bus.descriptors()],
        }

    def manifest(self) -> dict[str, object]:
        """This node's signed manifest (30 s lifetime)."""
        now = int(time.time() * 1000)
        unsigned = Manifest(
            node_id=self.me,
            community=self.community,
            name=self.node.config.name,
            url=self.url,
            peers=[s.url for s in self.peers.peers.values() if s.state == "connected"],
            capabilities=self._offers(),
            issued_at=now,
            expires_at=now + TTL_MS,
        )
        signed: dict[str, object] = msgspec.to_builtins(sign_manifest(unsigned, self.signer))
        return signed

    def _offers(self) -> list[Descriptor]:
        """What this node serves, the models behind the model capabilities included."""
        models = [msgspec.to_builtins(m) for m in self.models.known()]
        kinds = {"llm.chat": "chat", "llm.complete": "chat", "embed.text": "embed"}
        senses = self.senses.params()
        return [
            msgspec.structs.replace(
                d, params={"models": [m for m in models if m["kind"] == kinds[d.name]]}
            )
            if d.name in kinds
            else msgspec.structs.replace(d, params=senses[d.name])
            if d.name in senses
            else d
            for d in self.bus.descriptors()
        ]

    def local_bus(self) -> LocalBus:
        """The bus as the node's own dashboard calls it."""
        return LocalBus(self.bus, self.me)

    async def start(self) -> None:
        """Bring the views up to date, then keep them so; start replication and discovery.

        The node starts whatever its log holds: views that cannot be brought up are reported
        as damage, and the whole log is verified in the background.
        """
        try:
            await self.refresh_views()
        except Exception as exc:  # served as damaged, retried by the views task
            self._damaged(f"the views could not be brought up to date: {exc}")
        await self.reader.open()
        await self._find_senses()
        self._tasks.append(asyncio.create_task(self._keep_views_current(), name="views"))
        self._tasks.append(asyncio.create_task(self._verify_log(), name="verify"))
        await self.peers.start()
        if self.connectivity is not None:
            self._tasks.append(asyncio.create_task(self.connectivity.run(), name="connectivity"))
        if self.node.config.alert_feeds:
            self._tasks.append(asyncio.create_task(self._poll_feeds(), name="alert feeds"))
        if self.options.discovery:
            self._discovery = Discovery(
                self.me, self.community, self.options.port, self._discovered, host=self.options.host
            )
            await self._discovery.start()

    async def _find_senses(self) -> None:
        """Find the OCR, speech and translation engines of this machine and serve them."""
        cache = Path(platformdirs.user_cache_dir("hearthnet"))
        self.senses = await asyncio.to_thread(NodeSenses.found, self.node.config.senses, cache)
        self.context.ocr = self.senses.reader
        self.context.stt = self.senses.transcriber
        self.context.tts = self.senses.voice
        self.context.translators = self.senses.translators
        self.context.language_guess = self.senses.guess

    def _damaged(self, what: str) -> None:
        self.damage.append(what)
        log.warning("log damaged: %s", what)

    async def _verify_log(self) -> None:
        """Audit the stored log once after start; say so loudly if it is damaged."""

        def stop_when_stopping(_: int) -> None:
            if self._stopping:
                raise InterruptedError("the node is stopping")

        try:
            report = await self.offload(lambda: audit(self.node.log, progress=stop_when_stopping))
        except InterruptedError:
            return
        if report.problems:
            first = report.problems[0]
            self._damaged(
                f"`log verify` finds {len(report.problems)} problems, the first at position "
                f"{first.position}: {first.problem}"
            )

    async def stop(self) -> None:
        """Stop replication and discovery, commit what is queued, close everything."""
        self._stopping = True
        try:
            if self._discovery is not None:
                await self._discovery.stop()
            await self.peers.stop()
            for task in (*self._tasks, *self._later):
                task.cancel()
            await asyncio.gather(*self._tasks, *self._later, return_exceptions=True)
            await asyncio.gather(*self._threads, return_exceptions=True)
            await self.client.aclose()
            await self.reader.close()
            self.keyring.close()
            await asyncio.to_thread(self.fetcher.close)
            await self.models.close()
            await asyncio.to_thread(self.senses.close)
            await asyncio.to_thread(self.library.close)
            self.store.close()
        finally:
            await asyncio.to_thread(self.writer.close)


class LocalBus:
    """The bus as the node's own dashboard calls it: caller self, routed to peers if need be."""

    def __init__(self, bus: Bus, me: str) -> None:
        self.bus, self.me = bus, me

    async def call(
        self, ref: str, input: dict[str, Any], params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Call a capability; return its output."""
        answer = await self.bus.call(ref, self.me, "self", params or {}, input)
        output: dict[str, Any] = answer["output"]
        return output

    def stream(
        self, ref: str, input: dict[str, Any], params: dict[str, Any] | None = None
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream a capability's frames."""
        return self.bus.stream(ref, self.me, "self", params or {}, input)
