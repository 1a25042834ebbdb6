"""A node mirrors an agency's Atom feed of CAP messages served over real HTTP: each linked
message arrives with its provenance, a hostile one is refused, and a second poll adds nothing."""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hearthnet.adapters.onboarding import found_community
from hearthnet.adapters.runtime import RunOptions
from hearthnet.bootstrap import node_runtime, open_node
from hearthnet.config import save_config
from tests.e2e.cluster import free_port
from tests.integration.test_alerts import with_roles
from tests.unit.test_cap_vectors import VECTORS

if TYPE_CHECKING:
    from pathlib import Path

    from starlette.requests import Request

SERVED = ("43b080713727.cap", "canada.cap", "xee.cap")


def feed(base: str) -> bytes:
    entries = "".join(
        f"<entry><id>{name}</id><title>{name}</title><updated>2026-11-30T00:00:00Z</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{base}/{name}"/></entry>'
        for name in SERVED
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{base}/feed</id><title>Warnungen</title><updated>2026-11-30T00:00:00Z</updated>"
        f"{entries}</feed>"
    ).encode()


async def test_a_configured_feed_is_mirrored_with_provenance(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hits: list[str] = []

    async def serve(request: Request) -> Response:
        name = request.path_params["name"]
        hits.append(name)
        if name == "feed":
            return Response(feed(base), media_type="application/atom+xml")
        return Response((VECTORS / name).read_bytes(), media_type="application/cap+xml")

    server = uvicorn.Server(
        uvicorn.Config(Starlette(routes=[Route("/{name}", serve)]), port=port, log_level="error")
    )
    serving = asyncio.create_task(server.serve())
    node = open_node(tmp_path, create_key=True)
    found_community(node, "Issum")
    node.config.alert_feeds = [f"{base}/feed"]
    save_config(node.home, node.config)
    runtime = node_runtime(
        node, RunOptions(port=free_port(), discovery=False, dashboard=False, feed_every=0.2)
    )
    await runtime.start()
    try:
        await with_roles(runtime)
        deadline = time.monotonic() + 30
        while True:
            listed = (await runtime.local_bus().call("alert.list", {}))["alerts"]
            if len(listed) == 2:
                break
            assert time.monotonic() < deadline, listed
            await asyncio.sleep(0.05)
        before = hits.count("feed")
        while hits.count("feed") < before + 2:
            await asyncio.sleep(0.05)
        assert len((await runtime.local_bus().call("alert.list", {}))["alerts"]) == 2
    finally:
        await runtime.stop()
        node.close()
        server.should_exit = True
        await serving
    by_source = {x["mirrored"]["source"].rsplit("/", 1)[1]: x for x in listed}
    assert sorted(by_source) == ["43b080713727.cap", "canada.cap"]
    for name, x in by_source.items():
        assert x["mirrored"]["via"] == "feed"
        assert x["mirrored"]["sha256"] == hashlib.sha256((VECTORS / name).read_bytes()).hexdigest()
    assert by_source["43b080713727.cap"]["state"] == "pending"  # Actual Severe: two persons
    assert (
        by_source["canada.cap"]["state"] == "active"
        and by_source["canada.cap"]["msg_type"] == "Update"
    )
