"""The composition root: the only place that wires adapters to ports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from hearthnet.adapters.crypto import NaclSigner, blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.keystore import load_signer
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.adapters.store import open_recorder
from hearthnet.config import Config, load_config, store_url
from hearthnet.domain.community import Standing, standing
from hearthnet.domain.types import InvalidIdentifier, parse_node_id
from hearthnet.projections.chat import ChatProjection
from hearthnet.projections.feeds import FeedsProjection
from hearthnet.projections.market import MarketProjection
from hearthnet.projections.membership import MembershipProjection
from hearthnet.projections.timeline import TimelineProjection
from hearthnet.services import chat, community, inspection, market, mesh
from hearthnet.services import node as node_feature

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path

    from hearthnet.domain.capability import Descriptor
    from hearthnet.domain.invite import Invite
    from hearthnet.domain.ports import Verify
    from hearthnet.domain.records import Recorded
    from hearthnet.projections.base import Projection
    from ui.ports import NodePorts

T = TypeVar("T")
FEATURES = (market, chat, community, node_feature, inspection)
"""The features whose capabilities every node serves (mesh has reactions only)."""
PROJECTIONS: tuple[Callable[[], Projection], ...] = (
    FeedsProjection,
    lambda: MembershipProjection(verify_ed25519),
    MarketProjection,
    ChatProjection,
    TimelineProjection,
)


@dataclass
class Node:
    """A node's parts, opened on one data directory."""

    home: Path
    config: Config
    signer: NaclSigner | None
    log: EventLog
    store_url: str
    _runner: ProjectionRunner | None = None

    @property
    def views(self) -> ProjectionRunner:
        """The projection runner (opened on first use)."""
        if self._runner is None:
            self._runner = ProjectionRunner(
                self.log, self.home / "views.sqlite", PROJECTIONS, self.store_url
            )
        return self._runner

    def close(self) -> None:
        """Close the views and the log."""
        if self._runner is not None:
            self._runner.close()
        self.log.close()


def open_node(home: Path, *, create_key: bool = False) -> Node:
    """Open the log, keys and views of a data directory."""
    home.mkdir(parents=True, exist_ok=True)
    config = load_config(home)
    signer = load_signer(home, create=create_key)
    url = store_url(home, config)
    community = parse_node_id(config.community) if config.community else None
    log = EventLog(
        open_recorder(url), verify_ed25519, blake3_256, community=community, members_only=True
    )
    return Node(home, config, signer, log, url)


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


class NodeRuntime:
    """A node running its community on one event loop: writer, views and their broadcaster,
    the capability bus with its handlers, replication and the HTTP routes."""

    def __init__(self, node: Node, options: RunOptions) -> None:
        import secrets
        import time

        import httpx

        from hearthnet.adapters.http_access import Gate
        from hearthnet.adapters.http_api import NodeApi, create_app
        from hearthnet.adapters.http_peer import HttpPeer
        from hearthnet.adapters.log_writer import LogWriter
        from hearthnet.adapters.replica import LocalReplica
        from hearthnet.adapters.view_reader import ViewReader
        from hearthnet.domain.types import node_id
        from hearthnet.services.broadcast import Broadcaster
        from hearthnet.services.bus import Bus
        from hearthnet.sync.driver import PeerManager

        signer = node.signer
        assert signer is not None
        self.node, self.options, self.signer = node, options, signer
        self.me, self.community = node_id(signer.public_key), node.config.community
        self.url = options.public_url or (
            f"http://{options.host if options.host != '0.0.0.0' else '127.0.0.1'}:{options.port}"
        )
        self.writer = LogWriter(node.log)
        self.admin_token = secrets.token_urlsafe(24)
        self.gate = Gate(self.community, self.me, self.admin_token, Standing())
        self.broadcaster = Broadcaster()
        self.reader = ViewReader(node.home / "views.sqlite")
        self.client = httpx.AsyncClient()
        self._refresh = asyncio.Event()
        self._views_lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._threads: set[asyncio.Future[Any]] = set()
        self._remotes: dict[str, Any] = {}
        self._discovery: Any = None
        self._stopping = False
        self.damage: list[str] = []
        """What is wrong with this node's log or views, in words (empty when healthy)."""
        self.unfolded = 0
        self.started_at = time.time()
        self.peers = PeerManager(
            LocalReplica(node.log, self.writer),
            lambda u: HttpPeer(u, signer, self.community, self.client, self.url),
            me=self.me,
            community=self.community,
            on_change=self._peer_changed,
            interval=options.sync_interval,
            own_url=self.url,
        )
        for peer_url in (*node.config.peers, *options.peers):
            try:
                self.peers.add(peer_url)
            except InvalidIdentifier as exc:
                logging.getLogger("hearthnet").warning("peer skipped: %s", exc)
        self.bus = Bus(self._connected_remotes)
        self.context = ServiceContext(
            self.me,
            self.record,
            self.refresh_views,
            self.reader.query,
            self.bus.descriptors,
            self.describe,
            node.log,
            signer=signer,
            endpoints=lambda: [self.url],
            peers=self._peer_rows,
            add_peer=self.peers.add,
            offload=self.offload,
            unfolded=node.views.unfolded,
        )
        for feature in FEATURES:
            self.bus.serve(feature.CAPABILITIES, self.context, frozenset(options.without))
        api = NodeApi(
            LocalReplica(node.log, self.writer),
            self.peers,
            self.gate,
            self.manifest,
            self.append,
            lambda _: self._refresh.set(),
            self.bus,
            self.me,
        )
        self.routes = create_app(api).routes

    def _discovered(self, url: str) -> None:
        with contextlib.suppress(InvalidIdentifier):
            self.peers.add(url, "discovered")

    def _connected_remotes(self) -> list[Any]:
        from hearthnet.adapters.http_bus import HttpBusRemote

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
        import dataclasses

        from hearthnet.domain.capability import BusError

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
        import time

        from hearthnet.services.broadcast import LogChange

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
                await chat.acknowledge_delivery(self.context)
            except Exception as exc:  # the views lag, the node keeps serving; retried shortly
                logging.getLogger("hearthnet").warning("views not updated: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._refresh.wait(), timeout=2.0)

    async def record(self, type_: str, body: bytes) -> Recorded:
        """Append one of this node's events and push it to the connected peers."""
        from hearthnet.domain.envelope import encode
        from hearthnet.sync.protocol import Bundle

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

    async def _peer_changed(self, state: Any, change: str) -> None:
        await mesh.record_peer_change(self.context, state.node_id, state.url, change == "seen")

    def describe(self) -> dict[str, Any]:
        """The node's status: identity, community, uptime, log head, peers, capabilities."""
        import time

        return {
            "node_id": self.me,
            "name": self.node.config.name,
            "community": self.community,
            "url": self.url,
            "uptime_seconds": round(time.time() - self.started_at),
            "log_head_lamport": self.node.log.max_lamport,
            "log_damaged": bool(self.damage or self.unfolded),
            "log_problems": [
                *self.damage,
                *([f"{self.unfolded} events a view could not fold"] if self.unfolded else []),
            ],
            "peers": [
                {"url": s.url, "node_id": s.node_id, "state": s.state}
                for s in self.peers.peers.values()
            ],
            "capabilities": [d.ref for d in self.bus.descriptors()],
        }

    def manifest(self) -> dict[str, object]:
        """This node's signed manifest (30 s lifetime)."""
        import time

        import msgspec

        from hearthnet.domain.manifest import TTL_MS, Manifest, sign_manifest

        now = int(time.time() * 1000)
        unsigned = Manifest(
            node_id=self.me,
            community=self.community,
            name=self.node.config.name,
            url=self.url,
            peers=[s.url for s in self.peers.peers.values() if s.state == "connected"],
            capabilities=self.bus.descriptors(),
            issued_at=now,
            expires_at=now + TTL_MS,
        )
        signed: dict[str, object] = msgspec.to_builtins(sign_manifest(unsigned, self.signer))
        return signed

    def ports(self) -> NodePorts:
        """The dashboard's ports on this node."""
        from ui.ports import NodePorts

        return NodePorts(LocalBus(self.bus, self.me), self.broadcaster)

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
        self._tasks.append(asyncio.create_task(self._keep_views_current(), name="views"))
        self._tasks.append(asyncio.create_task(self._verify_log(), name="verify"))
        await self.peers.start()
        if self.options.discovery:
            from hearthnet.adapters.discovery import Discovery

            self._discovery = Discovery(
                self.me,
                self.community,
                self.options.port,
                self._discovered,
                host=self.options.host,
            )
            await self._discovery.start()

    def _damaged(self, what: str) -> None:
        self.damage.append(what)
        logging.getLogger("hearthnet").warning("log damaged: %s", what)

    async def _verify_log(self) -> None:
        """Audit the stored log once after start; say so loudly if it is damaged."""
        from hearthnet.adapters.audit import audit

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
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await asyncio.gather(*self._threads, return_exceptions=True)
            await self.client.aclose()
            await self.reader.close()
        finally:
            await asyncio.to_thread(self.writer.close)


class LocalBus:
    """The bus as the node's own dashboard calls it: caller self, routed to peers if need be."""

    def __init__(self, bus: Any, me: str) -> None:
        self.bus, self.me = bus, me

    async def call(self, ref: str, input: dict[str, Any]) -> dict[str, Any]:
        """Call a capability; return its output."""
        answer = await self.bus.call(ref, self.me, "self", {}, input)
        output: dict[str, Any] = answer["output"]
        return output

    def stream(self, ref: str, input: dict[str, Any]) -> AsyncIterator[tuple[str, Any]]:
        """Stream a capability's frames."""
        frames: AsyncIterator[tuple[str, Any]] = self.bus.stream(ref, self.me, "self", {}, input)
        return frames


class BrowserOnboarding:
    """Founding or joining a community from the dashboard, for a node that has none yet;
    `start` then runs the node on that community."""

    def __init__(self, node: Node, start: Callable[[], Awaitable[None]]) -> None:
        self.node, self.start = node, start
        self._lock = asyncio.Lock()

    async def create(self, name: str, revoke_threshold: int) -> dict[str, Any]:
        """Found a community; return once the node runs it."""
        async with self._lock:
            out = await asyncio.to_thread(found_community, self.node, name, revoke_threshold)
            await self.start()
        return out

    async def join(self, link: str, display_name: str) -> dict[str, Any]:
        """Redeem an invite link; return once the node runs the community."""
        async with self._lock:
            out = await redeem_invite(self.node, link, display_name)
            await self.start()
        return out


async def serve(node: Node, options: RunOptions) -> None:
    """Run a node until SIGINT or SIGTERM: API, sync and dashboard on one event loop.

    A node without a community serves only the dashboard's onboarding until one is founded
    or joined there; then the node starts on the same server.
    """
    import json
    import os
    import signal

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from hearthnet.adapters.http_server import GuardedH11Protocol, NodeServer
    from hearthnet.domain.types import node_id

    async def health(_: Any) -> JSONResponse:
        return JSONResponse({"ok": True, "community": node.config.community or None})

    signer = node.signer
    assert signer is not None
    root = Starlette(routes=[Route("/health", health)])
    runtimes: list[NodeRuntime] = []

    async def start() -> None:
        runtime = NodeRuntime(node, options)
        await runtime.start()
        runtimes.append(runtime)
        root.router.routes[0:0] = runtime.routes
        if host is not None:
            host.node = runtime.ports()
        address = {"url": runtime.url, "pid": os.getpid(), "node_id": runtime.me}
        (node.home / "admin.token").write_text(runtime.admin_token)
        (node.home / "admin.token").chmod(0o600)
        (node.home / "node.json").write_text(json.dumps(address))
        options.ready(runtime.url)

    host = None
    if options.dashboard:
        from ui.app import mount
        from ui.ports import DashboardHost

        host = DashboardHost(node_id(signer.public_key), BrowserOnboarding(node, start))
        mount(root, host)
    elif not node.config.community:
        raise ValueError("a node without a community needs its dashboard to onboard")
    config = uvicorn.Config(
        root,
        host=options.host,
        port=options.port,
        log_level="warning",
        lifespan="on" if options.dashboard else "off",
        access_log=False,
        http=GuardedH11Protocol,
    )
    server = NodeServer(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    try:
        serving = asyncio.create_task(server.serve(), name="http")
        while not server.started:
            if serving.done():
                await serving
                raise OSError(f"could not listen on {options.host}:{options.port}")
            await asyncio.sleep(0.02)
        if node.config.community:
            await start()
        else:
            options.ready(f"http://127.0.0.1:{options.port} (no community yet: onboard there)")
        await serving
    finally:
        for runtime in runtimes:
            await runtime.stop()
        for name in ("node.json", "admin.token"):
            (node.home / name).unlink(missing_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@dataclass
class ServiceContext:
    """What the capability handlers see of a node: append with read-your-writes, views, the
    log for inspection and the peers."""

    me: str
    record: Callable[[str, bytes], Awaitable[Recorded]]
    refresh: Callable[[], Awaitable[None]]
    query: Callable[[str, dict[str, Any]], Awaitable[list[dict[str, Any]]]]
    capabilities: Callable[[], list[Descriptor]]
    status: Callable[[], dict[str, Any]]
    log: EventLog
    signer: NaclSigner
    endpoints: Callable[[], list[str]]
    peers: Callable[[], Awaitable[list[dict[str, Any]]]]
    add_peer: Callable[[str], object]
    offload: Callable[[Callable[[], Any]], Awaitable[Any]]
    """Runs blocking reads of the log on a thread the node waits for before closing."""
    unfolded: Callable[[], list[dict[str, Any]]] = list
    """The events a view could not fold, with the reason."""
    verify: Verify = verify_ed25519
    """The one Ed25519 verification policy."""

    async def events(self, since: int, limit: int) -> list[dict[str, Any]]:
        """Stored events after a local position, read off the event loop."""
        from hearthnet.adapters.archive import event_row, stored_events

        log = self.log

        def read() -> list[dict[str, Any]]:
            rows = []
            for position, raw in stored_events(log, since + 1):
                rows.append(event_row(position, raw, log.hash(raw)))
                if len(rows) == limit:
                    break
            return rows

        rows: list[dict[str, Any]] = await self.offload(read)
        return rows

    async def find_events(self, prefix: bytes) -> list[dict[str, Any]]:
        """Stored events whose id starts with prefix, each with its verification."""
        from hearthnet.adapters.archive import event_row
        from hearthnet.adapters.audit import check_event

        log = self.log

        def read() -> list[dict[str, Any]]:
            rows = []
            for raw in log.find(prefix):
                row = event_row(0, raw, log.hash(raw))
                del row["position"]
                rows.append({**row, "verification": check_event(log, raw)})
            return rows

        found: list[dict[str, Any]] = await self.offload(read)
        return found

    async def verify_log(self, progress: Callable[[int, int], None]) -> dict[str, Any]:
        """Audit every signature and chain of the log, reporting progress as it goes."""
        from hearthnet.adapters.audit import audit

        log = self.log

        def run() -> dict[str, Any]:
            total = log.recorder.max_notification_id() or 0
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                progress(min(done, total), total)

            report = audit(log, progress=advance)
            return {
                "unfolded": self.unfolded(),
                "events": report.events,
                "authors": report.authors,
                "fork_proofs": report.fork_proofs,
                "ok": not report.problems,
                "problems": [p.__dict__ for p in report.problems[:100]],
            }

        summary: dict[str, Any] = await self.offload(run)
        return summary

    async def append(self, type_: str, body: bytes) -> Recorded:
        """Append an event of this node and return once the views hold it."""
        recorded = await self.record(type_, body)
        await self.refresh()
        return recorded


class JoinError(RuntimeError):
    """Joining failed; `code` is the onboarding error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


async def join_community(node: Node, invite: Invite, display_name: str) -> dict[str, object]:
    """Sync the community log from the invite's bootstrap node, then announce our join."""
    import asyncio

    import httpx

    from hearthnet.adapters.http_peer import HttpPeer
    from hearthnet.adapters.log_writer import LogWriter
    from hearthnet.adapters.replica import LocalReplica
    from hearthnet.domain import community as c
    from hearthnet.domain.bodies import encode_body
    from hearthnet.domain.envelope import encode
    from hearthnet.sync.protocol import Bundle
    from hearthnet.sync.session import SyncError, synchronise

    signer = node.signer
    assert signer is not None
    node.log.community = parse_node_id(invite.community_id)
    writer = LogWriter(node.log)
    replica = LocalReplica(node.log, writer)
    errors = []
    try:
        async with httpx.AsyncClient() as client:
            for url in invite.bootstrap_endpoints:
                peer = HttpPeer(url, signer, invite.community_id, client)
                try:
                    _, community, _ = await peer.describe()
                    if community != invite.community_id:
                        raise SyncError(f"{url} serves another community")
                    stats = await synchronise(replica, peer)
                except SyncError as exc:
                    errors.append(str(exc))
                    continue
                known = await asyncio.to_thread(
                    node.log.find, bytes.fromhex(invite.invite_event_id)
                )
                if not known:
                    raise JoinError("sync_failed", "the synced log does not hold the invitation")
                body = c.MemberJoined(
                    invite_event_id=invite.invite_event_id, display_name=display_name
                )
                recorded = await writer.append(signer, c.MEMBER_JOINED, encode_body(body))
                await peer.push(Bundle(events=[encode(recorded.event)]))
                return {
                    "community_id": invite.community_id,
                    "bootstrap": url,
                    "events_synced": stats.stored,
                    "event_id": recorded.id.hex(),
                }
    finally:
        await asyncio.to_thread(writer.close)
    if not invite.bootstrap_endpoints:
        raise JoinError("bootstrap_unreachable", "the invite names no bootstrap endpoint")
    raise JoinError("bootstrap_unreachable", "; ".join(errors))


def found_community(node: Node, name: str, revoke_threshold: int = 3) -> dict[str, Any]:
    """Found a community with this node as its anchor: the genesis event, the saved config."""
    from hearthnet.config import save_config
    from hearthnet.domain import community as c
    from hearthnet.domain.bodies import encode_body
    from hearthnet.domain.invite import InviteError
    from hearthnet.domain.types import node_id

    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise InviteError("bad_request", "a community's name is 1 to 64 characters")
    if not 1 <= revoke_threshold <= 20:
        raise InviteError("bad_request", "the revoke threshold is 1 to 20 co-signatures")
    signer = node.signer
    assert signer is not None
    if node.config.community:
        raise InviteError(
            "already_member", f"this node already belongs to community {node.config.community}"
        )
    me = node_id(signer.public_key)
    genesis = c.CommunityCreated(
        name=name, founder_node_id=me, policy=c.Policy(min_signatures_to_revoke=revoke_threshold)
    )
    node.log.community = signer.public_key
    recorded = node.log.append_local(signer, c.COMMUNITY_CREATED, encode_body(genesis))
    node.config.community, node.config.name = me, node.config.name or name
    save_config(node.home, node.config)
    return {
        "node_id": me,
        "community_id": me,
        "community_name": name,
        "event_id": recorded.id.hex(),
        "data_dir": str(node.home),
    }


async def redeem_invite(node: Node, link: str, display_name: str) -> dict[str, Any]:
    """Check an invite link against this node, join its community, save the config.

    Raises InviteError with the onboarding code (invite_invalid, invite_expired,
    invitee_mismatch, already_member, bootstrap_unreachable, sync_failed).
    """
    from datetime import UTC, datetime

    from hearthnet.config import save_config
    from hearthnet.domain.invite import InviteError, check_invite, parse_invite
    from hearthnet.domain.types import node_id

    signer = node.signer
    assert signer is not None
    me = node_id(signer.public_key)
    invite = parse_invite(link.strip())
    check_invite(invite, verify_ed25519, me, datetime.now(UTC))
    if node.config.community:
        code = "already_member" if node.config.community == invite.community_id else "bad_request"
        raise InviteError(code, f"this node already belongs to {node.config.community}")
    try:
        result = await join_community(node, invite, display_name)
    except JoinError as exc:
        raise InviteError(exc.code, str(exc)) from None
    node.config.community = invite.community_id
    node.config.name = node.config.name or display_name
    node.config.peers = sorted({*node.config.peers, *invite.bootstrap_endpoints})
    save_config(node.home, node.config)
    return {"node_id": me, **result}
