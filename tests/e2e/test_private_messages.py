"""Three real nodes write privately: direct messages and a group thread, one node cut off and
healed, a member removed, everyone restarted. Only the parties ever hold the plaintext: the
third member's files, export and `log show` are searched byte by byte."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.cluster import NodeProcess, Proxy, cli, free_port, keys_everywhere, new_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


def out(node: NodeProcess, *args: str) -> Any:
    return json.loads(cli(node.home, *args, "--json").stdout)


def until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.3)


def texts(node: NodeProcess, peer: str = "") -> list[str]:
    args = ("chat", "history", "--peer", peer) if peer else ("chat", "history")
    return [m["body"] for m in out(node, *args)]


def thread_texts(node: NodeProcess, thread: str) -> list[str]:
    return [m["body"] for m in out(node, "chat", "thread", "history", thread)["messages"]]


def holds(home: Path, secret: str) -> list[str]:
    """Every file under a node's directory that holds the secret's bytes (any of its forms)."""
    forms = [secret.encode(), secret.encode("utf-16-le"), json.dumps(secret).encode()]
    return [
        str(p.relative_to(home))
        for p in sorted(home.rglob("*"))
        if p.is_file() and any(f in p.read_bytes() for f in forms)
    ]


def in_keyring_only(files: list[str]) -> bool:
    return bool(files) and all(f.startswith("keys/e2e.sqlite") for f in files)


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[tuple[list[NodeProcess], list[Proxy], list[str]]]:
    homes = [tmp_path / n for n in "abc"]
    ports = [free_port() for _ in homes]
    proxies = [Proxy(p) for p in ports]
    ids = [json.loads(cli(homes[0], "init", "--name", "Leise", "--json").stdout)["node_id"]]
    nodes: list[NodeProcess] = []
    try:
        for i, home in enumerate(homes):
            if i:
                ids.append(new_key(home))
                link = cli(
                    homes[0], "invite", "create", "--node-id", ids[i], "--endpoint", proxies[0].url
                ).stdout.strip()
                cli(home, "join", link, "--name", "abc"[i])
            args = ("--no-discovery", "--sync-interval", "1", "--public-url", proxies[i].url)
            nodes.append(NodeProcess(home, ports[i], *args).start())
        keys_everywhere(nodes)
        yield nodes, proxies, ids
    finally:
        for n in nodes:
            n.stop()
        for p in proxies:
            p.close()


def test_only_the_parties_read_private_messages_through_a_partition_and_restarts(
    trio: tuple[list[NodeProcess], list[Proxy], list[str]], tmp_path: Path
) -> None:
    (a, b, c), proxies, (a_id, b_id, c_id) = trio
    to_b = "Der Schlüssel liegt unter dem Blumentopf 4711"
    cli(a.home, "chat", "send", b_id, to_b)
    until(lambda: to_b in texts(b), "b reads a's message")
    thread = cli(a.home, "chat", "thread", "create", "Hausrat", b_id, c_id).stdout.strip()
    first = "Treffen Donnerstag 19 Uhr im Keller"
    cli(a.home, "chat", "thread", "send", thread, first)
    for node in (b, c):
        until(lambda n=node: first in thread_texts(n, thread), "every member reads the thread")

    for i, others in ((2, {a_id, b_id}), (0, {c_id}), (1, {c_id})):
        proxies[i].cut(others)
    to_c = "Paket für dich liegt bei mir"
    in_thread = "Ich bringe Kuchen mit"
    cli(a.home, "chat", "send", c_id, to_c)
    cli(b.home, "chat", "thread", "send", thread, in_thread)
    until(lambda: in_thread in thread_texts(a, thread), "a reads b in the thread")
    time.sleep(2)
    assert to_c not in texts(c) and in_thread not in thread_texts(c, thread), "c is cut off"
    for p in proxies:
        p.cut(set())
    until(lambda: to_c in texts(c), "c reads what was sent while it was away")
    until(lambda: in_thread in thread_texts(c, thread), "and the thread's backlog")

    cli(a.home, "chat", "thread", "remove", thread, c_id)
    after = "Ab jetzt ohne c: Geschenk planen"
    until(lambda: c_id not in out(b, "chat", "thread", "history", thread)["members"], "b sees it")
    cli(a.home, "chat", "thread", "send", thread, after)
    until(lambda: after in thread_texts(b, thread), "b reads after the removal")
    reply = "Gute Idee!"
    cli(b.home, "chat", "thread", "send", thread, reply)
    until(lambda: reply in thread_texts(a, thread), "a reads b's new sender key")
    until(
        lambda: out(c, "log", "stats")["events"] == out(a, "log", "stats")["events"],
        "c holds every event, sealed",
    )

    export = tmp_path / "c-export.jsonl"
    cli(c.home, "log", "export", str(export))
    tail = cli(c.home, "log", "tail", "-n", "500", "--json").stdout.splitlines()
    shown = "".join(cli(c.home, "log", "show", json.loads(row)["id"]).stdout for row in tail)
    for secret in (to_b, after, reply):
        assert secret not in shown and secret not in export.read_text()
        assert holds(c.home, secret) == [], f"c's files hold {secret!r}"
    assert in_keyring_only(holds(b.home, to_b)), "the recipient keeps it in its keyring"
    assert after not in thread_texts(c, thread), "a removed member reads nothing after"

    for node in (a, b, c):
        node.stop()
    for node in (a, b):
        assert in_keyring_only(holds(node.home, after))
        node.start()
    assert to_b in texts(b, a_id) and to_b in texts(a, b_id), "both read it after a restart"
    later = "Noch da nach dem Neustart"
    cli(b.home, "chat", "send", a_id, later)
    until(lambda: later in texts(a), "the sessions survived the restart")
