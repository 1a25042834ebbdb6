"""The dashboard on a real node: a founded community in a temporary data directory, its
runtime (writer, views, broadcaster, bus with every handler) on the test's loop, and a
NiceGUI simulated user on the pages."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from nicegui.testing.user_simulation import user_simulation

from hearthnet.adapters.onboarding import BrowserOnboarding, found_community
from hearthnet.adapters.runtime import NodeRuntime, RunOptions
from hearthnet.bootstrap import dashboard_pages, dashboard_ports, node_runtime, open_node
from hearthnet.domain import chat, e2e
from hearthnet.domain import community as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.types import node_id, parse_node_id
from tests.correspondent import Correspondent
from tests.e2e.cluster import free_port
from tests.factories import Author, signer
from ui.app import root
from ui.ports import DashboardHost

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from nicegui.testing import User


async def call_as_node(runtime: NodeRuntime, ref: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call a capability on a running node as the node itself; return its output."""
    answer = await runtime.bus.call(ref, runtime.me, "self", {}, data)
    output: dict[str, Any] = answer["output"]
    return output


@dataclass
class Dashboard:
    """A simulated user on a running node's dashboard."""

    user: User
    runtime: NodeRuntime
    scratch: Path
    neighbour: Author | None = None
    correspondent: Correspondent | None = None
    others: list[Correspondent] = field(default_factory=list)

    async def add_member(self, n: int, name: str) -> Correspondent:
        """Invite a member and record their join and keys, as their own node would."""
        author = Author(signer(n), parse_node_id(self.runtime.community))
        invite = await call_as_node(
            self.runtime,
            "community.invite",
            {"invitee_node_id": author.id, "display_name": name},
        )
        member = Correspondent(author, self.scratch / f"member{n}", n)
        self.others.append(member)
        joined = c.MemberJoined(invite_event_id=invite["event_id"], display_name=name)
        await self.write(author, c.MEMBER_JOINED, encode_body(joined))
        await self.write(author, e2e.PREKEYS_PUBLISHED, await member.keys())
        return member

    async def add_neighbour(self, name: str = "Nachbarin") -> Author:
        """The neighbour joins (the member most tests talk with)."""
        self.correspondent = await self.add_member(2, name)
        self.neighbour = self.correspondent.author
        return self.neighbour

    async def write(self, author: Author, type_: str, body: bytes) -> str:
        """Store an event a member wrote (as if synced); return its id."""
        author.clock[0] = max(author.clock[0], self.runtime.node.log.max_lamport)
        raw = author.event(type_, body, ts=int(time.time() * 1000))
        report = await self.runtime.writer.ingest([raw])
        assert report.stored, report
        await self.runtime.refresh_views()
        return self.runtime.node.log.hash(raw).hex()

    async def from_neighbour(self, type_: str, body: bytes) -> str:
        """Store an event the neighbour wrote (as if synced); return its id."""
        assert self.neighbour is not None
        return await self.write(self.neighbour, type_, body)

    async def message_from_neighbour(self, text: str, client_id: str = "n1") -> str:
        """The neighbour writes to this node, sealed."""
        assert self.correspondent is not None
        body = await self.correspondent.message(self.runtime, text, client_id)
        return await self.from_neighbour(chat.MESSAGE_SENT, body)


@dataclass
class Onboarding:
    """A simulated user on the dashboard of a node without a community."""

    user: User
    host: DashboardHost
    runtimes: list[NodeRuntime]


async def keys_published(runtime: NodeRuntime) -> None:
    """Wait until the node has published its keys (its own event after the genesis), so
    every page starts from the same log."""
    deadline = time.monotonic() + 30
    mine = {"me": runtime.me}
    while not await runtime.reader.query("SELECT 1 FROM e2e_keys WHERE node_id = :me", mine):
        assert time.monotonic() < deadline, "the node never published its keys"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_dashboard(home: Path) -> AsyncIterator[Dashboard]:
    """Run the node of a data directory that has a community; a simulated user on its pages."""
    node = open_node(home)
    runtime = node_runtime(node, RunOptions(port=free_port(), discovery=False))
    await runtime.start()
    await keys_published(runtime)

    async def already_running() -> None:
        raise AssertionError("this node has a community")

    host = DashboardHost(
        runtime.me, BrowserOnboarding(node, already_running), dashboard_ports(runtime)
    )
    try:
        async with user_simulation(root=lambda: root(host, dashboard_pages())) as user:
            dashboard = Dashboard(user, runtime, home.parent)
            try:
                yield dashboard
            finally:
                for member in dashboard.others:
                    member.close()
    finally:
        await runtime.stop()
        node.close()


@pytest.fixture
async def dashboard(tmp_path: Path) -> AsyncIterator[Dashboard]:
    """The dashboard of a node that founded the community Testdorf."""
    node = open_node(tmp_path / "node", create_key=True)
    found_community(node, "Testdorf")
    node.close()
    async with running_dashboard(tmp_path / "node") as d:
        yield d


@pytest.fixture
async def onboarding(tmp_path: Path) -> AsyncIterator[Onboarding]:
    """The dashboard of a node with a key and no community: onboarding only."""
    node = open_node(tmp_path / "new", create_key=True)
    runtimes: list[NodeRuntime] = []

    async def start() -> None:
        runtime = node_runtime(node, RunOptions(port=free_port(), discovery=False))
        await runtime.start()
        runtimes.append(runtime)
        host.node = dashboard_ports(runtime)

    assert node.signer is not None
    host = DashboardHost(node_id(node.signer.public_key), BrowserOnboarding(node, start))
    try:
        async with user_simulation(root=lambda: root(host, dashboard_pages())) as user:
            yield Onboarding(user, host, runtimes)
    finally:
        for runtime in runtimes:
            await runtime.stop()
        node.close()
