"""Five real nodes: join by invite, write, lose a node, partition, heal, and agree."""

from __future__ import annotations

import json
import signal
import time
from typing import TYPE_CHECKING

import pytest

from tests.e2e.cluster import NodeProcess, Proxy, cli, free_port, new_key

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

NAMES = "abcde"


def _write(node: NodeProcess, count: int) -> None:
    for _ in range(count):
        cli(node.home, "invite", "create", "--node-id", new_key(node.home / "scratch"))


def _state(node: NodeProcess) -> tuple[int, list[dict[str, object]]]:
    """What a running node holds: how many events, and every feed's head."""
    stats = json.loads(cli(node.home, "log", "stats", "--json").stdout)
    return stats["events"], stats["heads"]


def _agree(nodes: list[NodeProcess], timeout: float = 180.0) -> list[tuple[int, list[object]]]:
    """Wait until every node holds the same events, and keeps holding them a moment."""
    deadline = time.monotonic() + timeout
    while True:
        states = [_state(n) for n in nodes]
        if all(s == states[0] for s in states):
            time.sleep(2.5)  # and stays so: no late peer.seen/peer.lost still travelling
            again = [_state(n) for n in nodes]
            if again == states:
                return states  # type: ignore[return-value]
        assert time.monotonic() < deadline, f"the nodes never agreed: {states}"
        time.sleep(1.0)


def _rebuilt_digests(node: NodeProcess) -> dict[str, str]:
    """The views of a stopped node's log, rebuilt from zero."""
    digests: dict[str, str] = json.loads(cli(node.home, "log", "replay", "--json").stdout)[
        "digests"
    ]
    return digests


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[list[NodeProcess], list[Proxy], list[str]]]:
    homes = [tmp_path / n for n in NAMES]
    ports = [free_port() for _ in NAMES]
    proxies = [Proxy(p) for p in ports]
    ids = [json.loads(cli(homes[0], "init", "--name", "Flussdorf", "--json").stdout)["node_id"]]
    nodes: list[NodeProcess] = []
    try:
        for i, home in enumerate(homes):
            if i:
                ids.append(new_key(home))
                link = cli(
                    homes[0], "invite", "create", "--node-id", ids[i], "--endpoint", proxies[0].url
                ).stdout.strip()
                cli(home, "join", link, "--name", NAMES[i])
            nodes.append(
                NodeProcess(
                    home,
                    ports[i],
                    "--no-discovery",
                    "--sync-interval",
                    "1",
                    "--public-url",
                    proxies[i].url,
                ).start()
            )
        yield nodes, proxies, ids
    finally:
        for n in nodes:
            n.stop()
        for p in proxies:
            p.close()


def test_five_nodes_survive_a_kill_and_a_partition(
    cluster: tuple[list[NodeProcess], list[Proxy], list[str]],
) -> None:
    nodes, proxies, ids = cluster
    for n in nodes[1:3]:
        _write(n, 2)
    settled = _agree(nodes)
    assert all(s == settled[0] for s in settled), settled
    assert settled[0][0] >= 1 + 2 * 4 + 4, "genesis, invites, joins and writes all arrived"
    members = json.loads(
        cli(
            nodes[0].home,
            "log",
            "query",
            "select count(*) as n from members where status = 'active'",
            "--json",
        ).stdout
    )
    assert members == [{"n": 5}]

    nodes[2].stop(signal.SIGKILL)
    _write(nodes[1], 2)
    _write(nodes[3], 1)

    left, right = [0, 1], [3, 4]
    for side, other in ((left, right), (right, left)):
        for i in side:
            proxies[i].cut({ids[j] for j in other})
    _write(nodes[0], 2)
    _write(nodes[4], 2)
    time.sleep(3)
    assert _state(nodes[0]) != _state(nodes[4]), "the partition must really separate"

    for p in proxies:
        p.cut(set())
    nodes[2].start()
    final = _agree(nodes)
    assert all(s == final[0] for s in final), final
    for n in nodes:  # all at once, so that no node records the others leaving
        assert n.process is not None
        n.process.kill()
    for n in nodes:
        n.stop()
    assert [_state(n) for n in nodes] == final, "the logs stayed as agreed"
    digests = [_rebuilt_digests(n) for n in nodes]
    assert all(d == digests[0] for d in digests), digests
    for n in nodes:
        verify = cli(n.home, "log", "verify", "--json")
        assert json.loads(verify.stdout)["ok"] is True
    changes = json.loads(
        cli(
            nodes[0].home,
            "log",
            "query",
            "select type, count(*) as n from events where type like 'peer.%' "
            "group by type order by type",
            "--json",
        ).stdout
    )
    counts = {row["type"]: row["n"] for row in changes}
    assert counts.get("peer.lost", 0) >= 1, "the killed node was noticed as lost"
    assert 4 <= counts["peer.seen"] <= 60, "peer.seen is recorded on change, not per contact"
