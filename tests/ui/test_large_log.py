"""The dashboard over a log of 100,000 events: every page answers from one indexed page of the
views, pages on with a cursor, and nothing loads the whole log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from nicegui.testing.user_simulation import user_simulation

from benchmarks.corpus import founder_home
from hearthnet.bootstrap import BrowserOnboarding, NodeRuntime, RunOptions, open_node
from tests.e2e.cluster import free_port
from tests.ui.test_pages import eventually, one
from ui.app import root
from ui.ports import DashboardHost

if TYPE_CHECKING:
    from pathlib import Path

EVENTS = 100_000


@pytest.fixture(scope="module")
def big_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node that founded a community whose log holds 100,000 live posts and setup events."""
    home = tmp_path_factory.mktemp("big")
    founder_home(home, EVENTS)
    return home


async def test_pages_stay_paged_over_a_large_log(big_home: Path) -> None:
    node = open_node(big_home)
    runtime = NodeRuntime(node, RunOptions(port=free_port(), discovery=False))
    await runtime.start()

    async def never() -> None:
        raise AssertionError("this node has a community")

    host = DashboardHost(runtime.me, BrowserOnboarding(node, never), runtime.ports())
    try:
        async with user_simulation(root=lambda: root(host)) as user:
            await user.open("/log")
            table = one(user, "events")
            await eventually(lambda: len(table.rows) == 50, seconds=10)
            newest = table.rows[0]["lamport"]
            assert newest == EVENTS
            for pages in (1, 2, 3):
                user.find(marker="older").click()
                await eventually(
                    lambda n=pages: table.rows[0]["lamport"] == EVENTS - 50 * n, seconds=10
                )
            me = runtime.me
            user.find(marker="filter-author").click()
            user.find(me[8:24]).click()
            await eventually(
                lambda: len(table.rows) == 50 and {r["author"] for r in table.rows} == {me},
                seconds=10,
            )
            page = await as_node_runtime(runtime, "log.page", {"author": me, "limit": 200})
            seqs = [e["seq"] for e in page["events"]]
            assert seqs == sorted(seqs, reverse=True) and len(seqs) == 200

            await user.open("/board")
            await user.should_see(marker="fulfil", retries=100)
            own = user.find(marker="fulfil").elements
            assert 0 < len(own) <= 50
            board = await as_node_runtime(runtime, "market.list", {"limit": 50})
            assert len(board["posts"]) == 50
            found = await as_node_runtime(runtime, "market.search", {"query": "ladder"})
            assert found["posts"] and all("ladder" in str(p).lower() for p in found["posts"])
    finally:
        await runtime.stop()
        node.close()


async def as_node_runtime(runtime: NodeRuntime, ref: str, data: dict[str, Any]) -> dict[str, Any]:
    """Call a capability as the node itself; return its output."""
    answer = await runtime.bus.call(ref, runtime.me, "self", {}, data)
    output: dict[str, Any] = answer["output"]
    return output
