"""The dashboard over a log of 100,000 events: every page answers from one indexed page of the
views, pages on with a cursor, and nothing loads the whole log."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from benchmarks.corpus import founder_home
from tests.ui.conftest import call_as_node, running_dashboard
from tests.ui.test_pages import eventually, one

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
    async with running_dashboard(big_home) as dashboard:
        user, runtime = dashboard.user, dashboard.runtime
        await user.open("/log")
        table = one(user, "events")
        await eventually(lambda: len(table.rows) == 50, seconds=10)
        newest = table.rows[0]["lamport"]
        assert newest == EVENTS + 1, "the corpus, then this node's keys"
        for pages in (1, 2, 3):
            user.find(marker="older").click()
            await eventually(
                lambda n=pages: table.rows[0]["lamport"] == newest - 50 * n, seconds=10
            )
        me = runtime.me
        user.find(marker="filter-author").click()
        user.find(me[8:24]).click()
        await eventually(
            lambda: len(table.rows) == 50 and {r["author"] for r in table.rows} == {me},
            seconds=10,
        )
        page = await call_as_node(runtime, "log.page", {"author": me, "limit": 200})
        seqs = [e["seq"] for e in page["events"]]
        assert seqs == sorted(seqs, reverse=True) and len(seqs) == 200

        await user.open("/board")
        await user.should_see(marker="fulfil", retries=100)
        own = user.find(marker="fulfil").elements
        assert 0 < len(own) <= 50
        board = await call_as_node(runtime, "market.list", {"limit": 50})
        assert len(board["posts"]) == 50
        found = await call_as_node(runtime, "market.search", {"query": "ladder"})
        assert found["posts"] and all("ladder" in str(p).lower() for p in found["posts"])
