"""Emergency mode on a running node, driven by the shipped TCP probe against a real listener
that goes away and comes back: the mode changes with hysteresis, syncing speeds up in
emergency, the status says so, and every change is recorded in the data directory."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

from hearthnet.adapters.connectivity import TcpProbe, history
from hearthnet.adapters.onboarding import found_community
from hearthnet.adapters.runtime import RunOptions
from hearthnet.bootstrap import node_runtime, open_node
from tests.e2e.cluster import free_port

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def test_a_lost_uplink_puts_the_node_in_emergency_and_back(tmp_path: Path) -> None:
    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    port = free_port()
    uplink = await asyncio.start_server(accept, "127.0.0.1", port)
    node = open_node(tmp_path, create_key=True)
    found_community(node, "Issum")
    options = RunOptions(
        port=free_port(),
        discovery=False,
        dashboard=False,
        sync_interval=30.0,
        probe=TcpProbe([f"127.0.0.1:{port}"], timeout=1.0),
        probe_every=0.02,
    )
    runtime = node_runtime(node, options)
    await runtime.start()
    try:
        await asyncio.sleep(0.2)
        assert runtime.describe()["mode"] == "normal"
        uplink.close()
        await uplink.wait_closed()
        await until(lambda: runtime.describe()["mode"] == "emergency", "emergency")
        assert runtime.peers.interval == options.emergency_sync_interval
        uplink = await asyncio.start_server(accept, "127.0.0.1", port)
        await until(lambda: runtime.describe()["mode"] == "normal", "normal again")
        assert runtime.peers.interval == 30.0
    finally:
        uplink.close()
        with contextlib.suppress(Exception):
            await uplink.wait_closed()
        await runtime.stop()
        node.close()
    assert [c.mode for c in history(tmp_path / "modes.jsonl")] == [
        "degraded",
        "emergency",
        "normal",
    ]
