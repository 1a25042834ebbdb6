"""The asyncio side of replication: one loop per peer, live push, periodic anti-entropy.

Each peer is reconciled on (re)connect and then every `interval` seconds, or sooner when
kicked; new local events are pushed to every connected peer at once. A peer's state changes
(reachable, lost) are reported once per change, never per attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from hearthnet.domain.types import InvalidIdentifier, parse_peer_url
from hearthnet.sync.session import Peer, PeerMisbehaved, Replica, SyncError, synchronise

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from hearthnet.sync.protocol import Bundle

LOST_AFTER_FAILURES = 2
MAX_BACKOFF_S = 30.0
QUARANTINE_S = 600.0
"""How long a peer that served corrupt or forged data is left alone."""


class RemoteNode(Peer, Protocol):
    """A peer that can also describe itself."""

    async def describe(self) -> tuple[str, str, list[str]]:
        """Return its node id, its community and the peer URLs it knows."""
        ...


@dataclass
class PeerState:
    """What this node knows of one peer."""

    url: str
    source: str = "manual"
    node_id: str = ""
    state: str = "new"
    last_sync_ms: int | None = None
    last_error: str = ""
    failures: int = 0
    synced_events: int = 0
    quarantined_until: float = 0.0


class PeerManager:
    """Keeps every known peer reconciled and pushes new events to the connected ones."""

    def __init__(
        self,
        replica: Replica,
        connect: Callable[[str], RemoteNode],
        *,
        me: str,
        community: str,
        on_change: Callable[[PeerState, str], Awaitable[None]],
        interval: float = 30.0,
        own_url: str = "",
    ) -> None:
        self.replica = replica
        self.own_url = own_url
        self.connect = connect
        self.me = me
        self.community = community
        self.on_change = on_change
        self.interval = interval
        self.peers: dict[str, PeerState] = {}
        self._remotes: dict[str, RemoteNode] = {}
        self._kicks: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running = False
        self.pushed_events = 0
        """Event copies pushed to peers that took them (each copy counts once)."""

    def add(self, url: str, source: str = "manual") -> PeerState:
        """Start looking after a peer URL (known URLs are kicked instead); a URL that is not
        one raises InvalidIdentifier."""
        url = parse_peer_url(url)
        if url == self.own_url:
            return PeerState(url, source, state="self")
        if url in self.peers:
            known = self.peers[url]
            if source == "discovered" and known.source in ("inbound", "exchange"):
                known.source = source  # found on the LAN ourselves: the best provenance
            self.kick(url)
            return known
        state = self.peers[url] = PeerState(url, source)
        self._remotes[url] = self.connect(url)
        self._kicks[url] = asyncio.Event()
        if self._running:
            self._tasks[url] = asyncio.create_task(self._loop(state), name=f"peer {url}")
        return state

    def forget(self, url: str) -> bool:
        """Stop looking after a peer (a dead one, say); False for a URL it did not know."""
        url = parse_peer_url(url)
        if url not in self.peers:
            return False
        task = self._tasks.pop(url, None)
        if task is not None:
            task.cancel()
        del self.peers[url], self._remotes[url], self._kicks[url]
        return True

    def kick(self, url: str | None = None) -> None:
        """Reconcile now with one peer, or with all."""
        for u in [url] if url else list(self._kicks):
            if u in self._kicks:
                self._kicks[u].set()

    def quarantine(self, url: str, why: str) -> None:
        """Leave a peer that served corrupt data alone for a while (no sync, no calls)."""
        state = self.peers.get(url)
        if state is None:
            return
        state.state, state.last_error = "quarantined", why[:300]
        state.quarantined_until = time.monotonic() + QUARANTINE_S

    async def start(self) -> None:
        """Start the peer loops."""
        self._running = True
        for url, state in self.peers.items():
            self._tasks[url] = asyncio.create_task(self._loop(state), name=f"peer {url}")

    async def stop(self) -> None:
        """Stop the peer loops."""
        self._running = False
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()

    async def push(self, bundle: Bundle) -> int:
        """Push a bundle to every connected peer at once; return how many took it. A peer whose
        first session is still running may have missed the bundle: it is reconciled again."""
        targets = [(u, self._remotes[u]) for u, s in self.peers.items() if s.state == "connected"]
        for url in [u for u, s in self.peers.items() if s.state == "new"]:
            self.kick(url)
        results = await asyncio.gather(
            *(r.push(bundle) for _, r in targets), return_exceptions=True
        )
        for (url, _), result in zip(targets, results, strict=True):
            if isinstance(result, BaseException):
                self.kick(url)
            else:
                self.pushed_events += len(bundle.events)
        return sum(not isinstance(r, BaseException) for r in results)

    async def _loop(self, state: PeerState) -> None:
        remote, kick = self._remotes[state.url], self._kicks[state.url]
        while True:
            kick.clear()
            if (left := state.quarantined_until - time.monotonic()) > 0:
                await asyncio.sleep(left)
            try:
                await self._session(state, remote)
                wait = self.interval * random.uniform(0.8, 1.2)
            except SyncError as exc:
                if state.state == "self":
                    return
                said = str(exc)  # the peer's URL is its own field: the error says what went wrong
                state.last_error = said.removeprefix(state.url).removeprefix(": ")[:300]
                state.failures += 1
                if state.state == "connected" and state.failures >= LOST_AFTER_FAILURES:
                    state.state = "unreachable"
                    await self.on_change(state, "lost")
                elif state.state == "new":
                    state.state = "unreachable"
                wait = min(MAX_BACKOFF_S, 0.5 * 2 ** min(state.failures, 6))
                if isinstance(exc, PeerMisbehaved):
                    if state.state == "connected":
                        await self.on_change(state, "lost")
                    state.state, wait = "quarantined", QUARANTINE_S
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):  # wait_for may swallow a cancel (3.11)
                    await kick.wait()

    async def _session(self, state: PeerState, remote: RemoteNode) -> None:
        node_id, community, known = await remote.describe()
        if community != self.community:
            raise SyncError(f"{state.url} belongs to another community")
        if node_id == self.me:
            state.state, state.node_id = "self", node_id
            raise SyncError("that address is this node")
        state.node_id = node_id
        stats = await synchronise(self.replica, remote)
        state.synced_events += stats.stored
        state.last_sync_ms = int(time.time() * 1000)
        if state.quarantined_until > time.monotonic():
            return  # penalised while this session ran: it stays left alone
        state.failures, state.last_error = 0, ""
        if state.state != "connected":
            state.state = "connected"
            await self.on_change(state, "seen")
        for url in known:
            with contextlib.suppress(InvalidIdentifier):
                if parse_peer_url(url) not in self.peers and parse_peer_url(url) != self.own_url:
                    self.add(url, "exchange")
