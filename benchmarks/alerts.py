"""`python -m benchmarks.alerts [ALERTS] [BACKLOG]`: alerts on ten real nodes.

1. Ten `hearthnet run` processes form a mesh; a role holder publishes ALERTS Actual alerts;
   each one's delay until it is in every node's views is measured (p50, p99).
2. A partition: one node is stopped while 100,000 (BACKLOG) other events are written on the
   publisher's side; then an alert is published and the node comes back. The time until the
   alert is in its views, over the time until it holds the whole backlog, is
   `alert_first_ratio` (the last line; the goal is <= 0.05).
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import msgspec

from benchmarks.gossip import NODES, _mesh
from hearthnet.adapters.crypto import NaclSigner, blake3_256
from hearthnet.adapters.keystore import key_paths
from hearthnet.bootstrap import open_node
from hearthnet.domain import envelope
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from tests.e2e.cluster import NodeProcess, give_role, trust_root

ALERT = {
    "event": "Deichbruch",
    "severity": "Moderate",
    "area_desc": "Issum",
    "region": "DE.NRW.Kleve.Issum",
}


def _roles(publisher: NodeProcess, tmp: Path) -> None:
    root = tmp / "root.key"
    trust_root(publisher.home, root)
    me = publisher.call("node.status", {})["node_id"]
    give_role(publisher.home, root, me, "Moderate", role="DE.NRW.Kleve.Feuerwehr")


def _views(node: NodeProcess) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{node.home / 'views.sqlite'}?mode=ro", uri=True, timeout=30)


def _has(db: sqlite3.Connection, event_id: str) -> bool:
    try:
        row = db.execute("SELECT 1 FROM civdef_facts WHERE event_id = ?", (event_id,)).fetchone()
    except sqlite3.OperationalError:
        return False
    return row is not None


def _until_everywhere(nodes: list[NodeProcess], type_: str) -> None:
    """Wait until every node's views hold an event of this type."""
    views = [_views(n) for n in nodes]
    deadline = time.monotonic() + 120
    query = "SELECT 1 FROM civdef_facts WHERE type = ?"
    pending = set(range(len(nodes)))
    while pending:
        for i in list(pending):
            try:
                if views[i].execute(query, (type_,)).fetchone() is not None:
                    pending.discard(i)
            except sqlite3.OperationalError:
                pass  # the view is not made yet
        if time.monotonic() > deadline:
            raise SystemExit(f"no {type_} on nodes {sorted(pending)}")
        time.sleep(0.05)


def visibility(nodes: list[NodeProcess], alerts: int) -> list[float]:
    """Publish alerts one by one; return each one's ms until it is in every node's views."""
    views = [_views(n) for n in nodes]
    delays = []
    for k in range(alerts):
        started = time.perf_counter()
        out = nodes[0].call("alert.publish", {**ALERT, "identifier": f"bench-{k}"})
        pending = set(range(len(nodes)))
        while pending:
            pending = {i for i in pending if not _has(views[i], out["event_id"])}
            if time.perf_counter() - started > 120:
                raise SystemExit(f"alert {k} never reached nodes {sorted(pending)}")
            time.sleep(0.002)
        delays.append((time.perf_counter() - started) * 1000)
    return delays


def backlog(publisher: NodeProcess, authors: list[Path], count: int) -> int:
    """Write `count` board posts by these members into the stopped publisher's log."""
    node = open_node(publisher.home)
    log = node.log
    signers = [NaclSigner(key_paths(h)[0].read_bytes()) for h in authors]
    heads = {}
    for s in signers:
        head = log.head(s.public_key)
        assert head is not None, "every author has written before"
        heads[s.public_key] = (head.seq, head.id)
    lamport, batch = log.max_lamport, []
    for k in range(count):
        signer = signers[k % len(signers)]
        seq, prev = heads[signer.public_key]
        lamport += 1
        post = m.PostCreated(client_id=f"b{k}", title=f"Backlog {k}", body="x" * 200)
        e = envelope.unsigned(
            community=log.community or b"",
            author=signer.public_key,
            seq=seq + 1,
            prev=prev,
            lamport=lamport,
            ts=int(time.time() * 1000),
            type=m.POST_CREATED,
            body=encode_body(post),
        )
        raw = envelope.encode(
            msgspec.structs.replace(e, sig=signer.sign(envelope.signing_bytes(e)))
        )
        heads[signer.public_key] = (seq + 1, blake3_256(raw))
        batch.append(raw)
        if len(batch) == 5000:
            log.ingest(batch)
            batch = []
    log.ingest(batch)
    total = log.recorder.count_events()
    node.close()
    return total


def _count(node: NodeProcess) -> int:
    db = sqlite3.connect(f"file:{node.home / 'log.sqlite'}?mode=ro", uri=True, timeout=30)
    try:
        return int(db.execute("SELECT COUNT(*) FROM event_index").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def after_partition(nodes: list[NodeProcess], count: int) -> tuple[float, float]:
    """Seconds until the returning node holds the alert, and until it holds everything."""
    publisher, returning = nodes[0], nodes[-1]
    for n in nodes[1:]:
        n.stop()
    publisher.stop()
    total = backlog(publisher, [n.home for n in nodes[1:-1]], count)
    publisher.start()
    out = publisher.call("alert.publish", {**ALERT, "identifier": "after-partition"})
    total += 1
    returning.start()  # the partition heals: the node is back and serving
    started = time.perf_counter()
    views = _views(returning)
    alert_s = everything_s = 0.0
    while not everything_s:
        now = time.perf_counter() - started
        if not alert_s and _has(views, out["event_id"]):
            alert_s = now
        if _count(returning) >= total:
            everything_s = now
        if now > 600:
            raise SystemExit("the backlog never arrived")
        time.sleep(0.01)
    return alert_s, everything_s


def main() -> None:
    """Print visibility percentiles and the partition figures; the last line is the ratio."""
    alerts = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        nodes = _mesh(Path(tmp))
        try:
            _roles(nodes[0], Path(tmp))
            _until_everywhere(nodes, "civdef.role.registered")
            delays = sorted(visibility(nodes, alerts))
            alert_s, everything_s = after_partition(nodes, count) if count else (0.0, 1.0)
        finally:
            for n in nodes:
                n.stop()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"nodes={NODES} alerts={alerts} p50_ms={statistics.median(delays):.1f} "
        f"p99_ms={p99:.1f} max_ms={delays[-1]:.1f}"
    )
    print(f"backlog={count} alert_s={alert_s:.2f} backlog_s={everything_s:.2f}")
    print(f"alert_first_ratio={alert_s / everything_s:.4f}")


if __name__ == "__main__":
    main()
