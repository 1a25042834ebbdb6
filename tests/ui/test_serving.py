"""How the node serves its dashboard: `--no-ui`, and only to this machine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from tests.e2e.cluster import NodeProcess, cli, free_port
from ui.app import DashboardOnThisMachine

if TYPE_CHECKING:
    from pathlib import Path


def test_no_ui_serves_the_api_without_the_dashboard(tmp_path: Path) -> None:
    cli(tmp_path, "init", "--name", "Headless")
    node = NodeProcess(tmp_path, free_port(), "--no-discovery", "--no-ui").start()
    try:
        assert httpx.get(node.url + "/health").json()["ok"] is True
        assert httpx.get(node.url + "/").status_code == 404
        assert httpx.get(node.url + "/manifest.webmanifest").status_code == 404
        assert httpx.get(node.url + "/manifest").status_code == 200
    finally:
        node.stop()
    with_ui = NodeProcess(tmp_path, free_port(), "--no-discovery").start()
    try:
        page = httpx.get(with_ui.url + "/")
        assert page.status_code == 200 and "<title>HearthNet</title>" in page.text
        wrong = httpx.get(with_ui.url + "/bus/v1/call/market.list")
        assert wrong.status_code == 405 and wrong.json()["error"] == "bad_request"
    finally:
        with_ui.stop()


def test_no_ui_without_a_community_is_refused(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", "--no-ui", "--port", str(free_port()), check=1)
    assert "no community yet" in done.stderr


async def test_the_dashboard_refuses_other_machines() -> None:
    reached: list[str] = []

    async def dashboard(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    guarded = DashboardOnThisMachine(dashboard)
    for host, status in (("127.0.0.1", 200), ("::1", 200), ("192.168.1.20", 403)):
        transport = httpx.ASGITransport(guarded, client=(host, 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            assert (await client.get("/board")).status_code == status
    assert reached == ["127.0.0.1", "::1"]


def test_bad_peer_urls_and_a_taken_port_are_clear_errors(tmp_path: Path) -> None:
    cli(tmp_path, "init", "--name", "Fehler")
    config = (tmp_path / "config.toml").read_text()
    refused = cli(tmp_path, "peer", "add", "http://bad host", check=2)
    assert "a peer URL is http(s)://host[:port]" in refused.stderr
    assert (tmp_path / "config.toml").read_text() == config
    node = NodeProcess(tmp_path, free_port(), "--no-discovery").start()
    try:
        other = tmp_path / "other"
        cli(other, "init", "--name", "Zweiter")
        taken = cli(other, "run", "--port", str(node.port), "--no-discovery", check=1)
        assert f"cannot serve on port {node.port}" in taken.stderr
        assert httpx.get(node.url + "/health").status_code == 200
    finally:
        node.stop()
