"""A node key backed up and restored on a new device: the same member again, its log copied
from a neighbour, fresh keys for private messages, and messages to it reach it again."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from tests.e2e.cluster import NodeProcess, cli, free_port, keys_everywhere

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.3)
    return found


def texts(home: Path) -> list[str]:
    return [m["body"] for m in json.loads(cli(home, "chat", "history", "--json").stdout)]


def test_a_restored_key_is_the_same_member_and_reads_new_messages(tmp_path: Path) -> None:
    a_home, b_home, new_home = tmp_path / "a", tmp_path / "b", tmp_path / "b-new"
    cli(a_home, "init", "--name", "Umzugsdorf", "--display-name", "Anke")
    a = NodeProcess(a_home, free_port(), "--no-discovery", "--sync-interval", "1").start()
    b = NodeProcess(b_home, free_port(), "--no-discovery", "--sync-interval", "1")
    restored = NodeProcess(new_home, free_port(), "--no-discovery", "--sync-interval", "1")
    try:
        link = cli(a_home, "invite", "create", "--endpoint", a.url).stdout.strip()
        b_id = json.loads(cli(b_home, "join", link, "--name", "Berta", "--json").stdout)["node_id"]
        b.start()
        keys_everywhere([a, b])
        cli(a_home, "chat", "send", b_id, "vor dem Umzug")
        until(lambda: "vor dem Umzug" in texts(b_home), "b reads it")

        backup = tmp_path / "berta.key"
        saved = cli(b_home, "key", "backup", "-o", str(backup))
        assert "keep it offline" in saved.stderr and backup.stat().st_mode & 0o777 == 0o600
        b.stop()
        damaged = tmp_path / "damaged.key"
        damaged.write_text("hearthnet-key://v1/AAAA")
        refused = cli(tmp_path / "x", "init", "--restore", str(damaged), "--peer", a.url, check=1)
        assert "damaged" in refused.stderr
        again = cli(b_home, "init", "--restore", str(backup), "--peer", a.url, check=1)
        assert "exists already" in again.stderr, "a key is never overwritten"

        out = json.loads(
            cli(new_home, "init", "--restore", str(backup), "--peer", a.url, "--json").stdout
        )
        assert out["node_id"] == b_id and out["events_synced"] > 0
        restored.start()
        cli(a_home, "chat", "send", b_id, "nach dem Umzug")
        until(lambda: "nach dem Umzug" in texts(new_home), "the restored node reads new messages")
        until(lambda: "vor dem Umzug" in texts(new_home), "and, sent again, what came before")
        members = json.loads(cli(a_home, "member", "list", "--json").stdout)
        assert {m["display_name"] for m in members} == {"Anke", "Berta"}, "still one Berta"
    finally:
        for node in (a, b, restored):
            node.stop()
