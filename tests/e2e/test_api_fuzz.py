"""Schemathesis fuzzes the running node's API from its OpenAPI description: no 500s, no hangs,
and only documented answers."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import httpx

from tests.e2e.cluster import ROOT, NodeProcess, cli, free_port

if TYPE_CHECKING:
    from pathlib import Path


def test_generated_requests_never_break_the_node(tmp_path: Path) -> None:
    home = tmp_path / "node"
    cli(home, "init", "--name", "Fuzz")
    with (home / "config.toml").open("a") as config:  # the AI capabilities' inputs are fuzzed,
        config.write('models = []\nembedding_model = ""\n')  # not minutes of generation
    node = NodeProcess(home, free_port(), "--no-discovery").start()
    try:
        spec = httpx.get(node.url + "/openapi.json").json()
        assert "/bus/v1/call/market.post" in spec["paths"]
        for raw in ("/sync/v1/push", "/sync/v1/fetch", "/sync/v1/reconcile", "/admin/v1/append"):
            assert raw in spec["paths"], raw
        token = (home / "admin.token").read_text()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                node.url + "/openapi.json",
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance",
                "-H",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "30",
                "--request-timeout",
                "10",
                "--suppress-health-check",
                "all",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        operations = sum(len(methods) for methods in spec["paths"].values())
        assert f"Tested: {operations}\n" in done.stdout, done.stdout[-4000:]
        assert "Unresolvable references" not in done.stdout, done.stdout[-4000:]
        stats = json.loads(cli(home, "log", "verify", "--json").stdout)
        assert stats["ok"] is True
        assert httpx.get(node.url + "/health").status_code == 200
    finally:
        node.stop()
