"""The composition root: the only place that wires adapters to ports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hearthnet.adapters.crypto import NaclSigner, blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.keystore import load_signer
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.adapters.recorders import open_recorder
from hearthnet.config import Config, load_config, store_url
from hearthnet.domain.types import parse_node_id
from hearthnet.projections.chat import ChatProjection
from hearthnet.projections.feeds import FeedsProjection
from hearthnet.projections.market import MarketProjection
from hearthnet.projections.membership import MembershipProjection

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from hearthnet.domain.capability import Descriptor
    from hearthnet.domain.invite import Invite
    from hearthnet.projections.base import Projection, Recorded

PROJECTIONS: tuple[Callable[[], Projection], ...] = (
    FeedsProjection,
    lambda: MembershipProjection(verify_ed25519),
    MarketProjection,
    ChatProjection,
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
    log = EventLog(open_recorder(url), verify_ed25519, blake3_256, community=community)
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


def admitted(
    membership: MembershipProjection, now_ms: int
) -> tuple[frozenset[bytes], dict[bytes, str], frozenset[bytes]]:
    """Who may sync (active members, open invitees), members' levels, and the revoked."""
    state = membership.fold()
    levels: dict[bytes, str] = {
        parse_node_id(who): m.level for who, m in state.members.items() if state.active(who)
    }
    keys = set(levels) | {
        parse_node_id(p.invitee)
        for p in state.invites.values()
        if p.status == "pending" and p.expires_at > now_ms
    }
    revoked = {parse_node_id(w) for w, m in state.members.items() if m.revoked_at is not None}
    return frozenset(keys), levels, frozenset(revoked)


async def serve(node: Node, options: RunOptions) -> None:
    """Run a node until SIGINT or SIGTERM: API and sync on one event loop, nothing lost."""
    import asyncio
    import contextlib
    import json
    import logging
    import os
    import secrets
    import signal
    import time

    import httpx
    import msgspec
    import uvicorn

    from hearthnet.adapters.event_log import LogWriter
    from hearthnet.adapters.http_api import Admission, NodeApi, create_app
    from hearthnet.adapters.http_bus import HttpBusRemote
    from hearthnet.adapters.http_peer import HttpPeer
    from hearthnet.adapters.http_server import NodeServer
    from hearthnet.adapters.replica import LocalReplica
    from hearthnet.adapters.view_reader import ViewReader
    from hearthnet.domain.bodies import encode_body
    from hearthnet.domain.chat import MESSAGE_DELIVERED, Receipt
    from hearthnet.domain.envelope import encode
    from hearthnet.domain.manifest import TTL_MS as MANIFEST_TTL_MS
    from hearthnet.domain.manifest import Manifest, sign_manifest
    from hearthnet.domain.mesh import PEER_LOST, PEER_SEEN, PeerChanged
    from hearthnet.domain.types import node_id
    from hearthnet.projections.chat import UNDELIVERED_SQL
    from hearthnet.services.bus import Bus
    from hearthnet.services.handlers import register as register_handlers
    from hearthnet.sync.driver import PeerManager, PeerState
    from hearthnet.sync.protocol import Bundle

    signer = node.signer
    assert signer is not None
    me, community = node_id(signer.public_key), node.config.community
    url = options.public_url or (
        f"http://{options.host if options.host != '0.0.0.0' else '127.0.0.1'}:{options.port}"
    )
    writer = LogWriter(node.log)
    replica = LocalReplica(node.log, writer)
    admission = Admission()
    views = node.views
    refresh = asyncio.Event()
    client = httpx.AsyncClient()
    background: set[asyncio.Task[int]] = set()

    views_lock = asyncio.Lock()
    reader = ViewReader(node.home / "views.sqlite")

    async def refresh_views() -> None:
        async with views_lock:
            await asyncio.to_thread(views.catch_up)
            membership = views.projections["membership"]
            assert isinstance(membership, MembershipProjection)
            admission.update(
                *await asyncio.to_thread(admitted, membership, int(time.time() * 1000))
            )

    async def acknowledge_messages() -> None:
        for row in await reader.query(UNDELIVERED_SQL, {"me": me}):
            receipt = Receipt(target_event_id=row["event_id"], at=int(time.time() * 1000))
            await record(MESSAGE_DELIVERED, encode_body(receipt))

    async def keep_views_current() -> None:
        while True:
            refresh.clear()
            try:
                await refresh_views()
                await acknowledge_messages()
            except Exception as exc:  # the views lag, the node keeps serving; retried shortly
                logging.getLogger("hearthnet").warning("views not updated: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(refresh.wait(), timeout=2.0)

    async def record(type_: str, body: bytes) -> Recorded:
        recorded = await writer.append(signer, type_, body)
        refresh.set()
        pushing = asyncio.create_task(peers.push(Bundle(events=[encode(recorded.event)])))
        background.add(pushing)
        pushing.add_done_callback(background.discard)
        return recorded

    async def append(type_: str, body: bytes) -> dict[str, object]:
        recorded = await record(type_, body)
        return {
            "event_id": recorded.id.hex(),
            "seq": recorded.event.seq,
            "lamport": recorded.event.lamport,
        }

    async def on_change(state: PeerState, change: str) -> None:
        body = encode_body(PeerChanged(node_id=state.node_id, url=state.url))
        await append(PEER_SEEN if change == "seen" else PEER_LOST, body)

    peers = PeerManager(
        replica,
        lambda u: HttpPeer(u, signer, community, client, url),
        me=me,
        community=community,
        on_change=on_change,
        interval=options.sync_interval,
        own_url=url,
    )
    for peer_url in (*node.config.peers, *options.peers):
        peers.add(peer_url)

    bus = Bus(
        lambda: [
            HttpBusRemote(s.url, signer, community, client)
            for s in peers.peers.values()
            if s.state == "connected"
        ]
    )
    started_at = time.time()

    def describe() -> dict[str, Any]:
        return {
            "node_id": me,
            "name": node.config.name,
            "community": community,
            "url": url,
            "uptime_seconds": round(time.time() - started_at),
            "log_head_lamport": node.log.max_lamport,
            "peers": [
                {"url": s.url, "node_id": s.node_id, "state": s.state} for s in peers.peers.values()
            ],
            "capabilities": [d.ref for d in bus.descriptors()],
        }

    context = ServiceContext(
        me, record, refresh_views, reader.query, bus.descriptors, describe, node.log
    )
    register_handlers(bus, context, skip=frozenset(options.without))

    def manifest() -> dict[str, object]:
        now = int(time.time() * 1000)
        unsigned = Manifest(
            node_id=me,
            community=community,
            name=node.config.name,
            url=url,
            peers=[s.url for s in peers.peers.values() if s.state == "connected"],
            capabilities=bus.descriptors(),
            issued_at=now,
            expires_at=now + MANIFEST_TTL_MS,
        )
        signed: dict[str, object] = msgspec.to_builtins(sign_manifest(unsigned, signer))
        return signed

    token = secrets.token_urlsafe(24)
    api = NodeApi(
        replica,
        peers,
        admission,
        community,
        manifest,
        token,
        append,
        lambda _: refresh.set(),
        bus,
        me,
    )
    config = uvicorn.Config(
        create_app(api),
        host=options.host,
        port=options.port,
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = NodeServer(config)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, server.stop)
    await refresh_views()
    await reader.open()
    tasks = [asyncio.create_task(keep_views_current(), name="views")]
    discovery = None
    try:
        serving = asyncio.create_task(server.serve(), name="http")
        while not server.started:
            if serving.done():
                await serving
                raise OSError(f"could not listen on {options.host}:{options.port}")
            await asyncio.sleep(0.02)
        address = {"url": url, "pid": os.getpid(), "node_id": me}
        (node.home / "admin.token").write_text(token)
        (node.home / "admin.token").chmod(0o600)
        (node.home / "node.json").write_text(json.dumps(address))
        await peers.start()
        if options.discovery:
            from hearthnet.adapters.discovery import Discovery

            discovery = Discovery(
                me, community, options.port, lambda u: peers.add(u, "discovered"), host=options.host
            )
            await discovery.start()
        options.ready(url)
        await serving
    finally:
        if discovery is not None:
            await discovery.stop()
        await peers.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await client.aclose()
        await reader.close()
        await asyncio.to_thread(writer.close)
        for name in ("node.json", "admin.token"):
            (node.home / name).unlink(missing_ok=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


@dataclass
class ServiceContext:
    """What the capability handlers see of a node: append with read-your-writes, and views."""

    me: str
    record: Callable[[str, bytes], Awaitable[Recorded]]
    refresh: Callable[[], Awaitable[None]]
    query: Callable[[str, dict[str, Any]], Awaitable[list[dict[str, Any]]]]
    capabilities: Callable[[], list[Descriptor]]
    status: Callable[[], dict[str, Any]]
    log: EventLog | None = None

    async def events(self, since: int, limit: int) -> list[dict[str, Any]]:
        """Stored events after a local position, read off the event loop."""
        from hearthnet.adapters.archive import event_row, stored_events

        log = self.log
        assert log is not None

        def read() -> list[dict[str, Any]]:
            rows = []
            for position, raw in stored_events(log, since + 1):
                rows.append(event_row(position, raw, log.hash(raw)))
                if len(rows) == limit:
                    break
            return rows

        return await asyncio.to_thread(read)

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

    from hearthnet.adapters.event_log import LogWriter
    from hearthnet.adapters.http_peer import HttpPeer
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
