"""Five real nodes and one alert: published under a role, co-signed by a second role holder,
received everywhere, a partition cuts the community while both sides answer, the partition
heals, and the audit is the same, byte for byte, on every node and equal to the timeline
written here by hand. An answer altered in one node's store is then named by its audit."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tests.e2e.cluster import NodeProcess, Proxy, cli, give_role, trust_root
from tests.e2e.test_replication import _agree, cluster

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["cluster"]


def _until(check: Any, what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.5)


def _alert(node: NodeProcess, event_id: str) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(cli(node.home, "alert", "show", event_id, "--json").stdout)
    return shown


def test_an_alert_through_a_partition_audits_the_same_everywhere(
    cluster: tuple[list[NodeProcess], list[Proxy], list[str]], tmp_path: Path
) -> None:
    nodes, proxies, ids = cluster
    a, b, c, d, e = nodes
    root = tmp_path / "root.key"
    trust_root(a.home, root)
    for holder, home in ((ids[0], a.home), (ids[1], b.home)):
        give_role(home, root, holder, "Severe", "Extreme")
    _until(
        lambda: len(json.loads(cli(a.home, "role", "list", "--json").stdout)["roles"]) == 2,
        "both certificates on the publisher's node",
    )
    published = json.loads(
        cli(
            a.home,
            "alert",
            "publish",
            "--event",
            "Deichbruch",
            "--severity",
            "Extreme",
            "--area",
            "Issum Ortskern",
            "--region",
            "DE.NRW.Kleve.Issum",
            "--instruction",
            "Obere Stockwerke",
            "--json",
        ).stdout
    )
    alert = published["event_id"]
    assert published["pending_cosign"]
    _until(lambda: cli(b.home, "alert", "list", "--json").stdout.count(alert), "alert at b")
    cli(b.home, "alert", "cosign", alert)
    for n in nodes:
        _until(
            lambda n=n: (
                _alert(n, alert)["state"] == "active" and _alert(n, alert)["acks"]["received"] == 4
            ),
            f"alert in force at {n.url}",
        )
    left, right = [0, 1, 2], [3, 4]
    for side, other in ((left, right), (right, left)):
        for i in side:
            proxies[i].cut({ids[j] for j in other})
    cli(c.home, "alert", "ack", alert, "--status", "acting")
    cli(d.home, "alert", "ack", alert, "--status", "standing_down")
    cli(e.home, "alert", "ack", alert, "--status", "need_help", "--note", "Keller voll")
    _until(lambda: _alert(e, alert)["acks"]["standing_down"] == 1, "d's answer at e")
    time.sleep(3)
    assert _alert(a, alert)["acks"]["need_help"] == 0, "the partition must really separate"
    for p in proxies:
        p.cut(set())
    _agree(nodes)
    # every event claimed before the agreement is on every node; checkpoints written later
    # (at most one a minute per node) would make the logs, and so the reports, differ
    as_of = (datetime.now(UTC) - timedelta(seconds=4)).isoformat()
    reports = [cli(n.home, "audit", "alerts", "--json", "--as-of", as_of) for n in nodes]
    assert len({r.stdout for r in reports}) == 1 and len({r.stderr for r in reports}) == 1
    report = json.loads(reports[0].stdout)
    [entry] = report["alerts"]
    expected = {
        (ids[1], "received", True),
        (ids[2], "received", True),
        (ids[3], "received", True),
        (ids[4], "received", True),
        (ids[2], "acting", False),
        (ids[3], "standing_down", False),
        (ids[4], "need_help", False),
    }
    assert {(x["node"], x["status"], x["automatic"]) for x in entry["answers"]} == expected
    assert all(x["counted"] for x in entry["answers"])
    assert (entry["published"]["node"], entry["status"], entry["severity"]) == (
        ids[0],
        "Actual",
        "Extreme",
    )
    assert entry["certificate"]["role"] == "DE.NRW.Kleve.Issum.Feuerwehr.Wehrleiter"
    assert [x["node"] for x in entry["cosigned"]] == [ids[1]]
    assert entry["counts_from"]["event_id"] == entry["cosigned"][0]["event_id"]
    assert entry["state"] == "active" and sorted(entry["targeted"]) == sorted(ids)
    assert entry["first_seen_by_another_node"]["by"] in ids[1:]
    assert report["problems"] == []
    need_help = next(x["event_id"] for x in entry["answers"] if x["status"] == "need_help")
    for n in nodes:
        n.stop()
    db = sqlite3.connect(a.home / "log.sqlite")
    with db:
        [(rowid, state)] = db.execute(
            "SELECT rowid, state FROM hearthnet_events WHERE instr(state, ?) > 0",
            (b"Keller voll",),
        ).fetchall()
        altered = bytes(state).replace(b"Keller voll", b"Alles gut!!")
        db.execute("UPDATE hearthnet_events SET state = ? WHERE rowid = ?", (altered, rowid))
    db.close()
    damaged = cli(a.home, "audit", "alerts", "--json", check=4)
    assert [p["event_id"] for p in json.loads(damaged.stdout)["problems"]] == [need_help]
