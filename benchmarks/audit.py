"""`python -m benchmarks.audit [EVENTS]`: `hearthnet audit alerts` over a large log.

The log holds the market corpus, then a trust root, a certificate per author, 1,000 alerts and
100,000 acks (scaled down with EVENTS below 1,000,000). The audit runs as the CLI runs it, in a
fresh process on the data directory. Last line `audit_1m_s=N` (seconds for the log built).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from benchmarks.corpus import BASE_TS, authors, generate
from hearthnet.adapters import cap_xml
from hearthnet.adapters.crypto import blake3_256
from hearthnet.config import Config, save_config
from hearthnet.domain import alerts as a
from hearthnet.domain import envelope
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.types import node_id
from hearthnet.services.alerts import PublishInput, compose

BENCH = Path(os.environ.get("HEARTHNET_BENCH_DIR", Path(__file__).resolve().parents[1] / ".bench"))


def civdef_events(n: int, heads: dict[bytes, tuple[int, bytes]], lamport: int) -> list[bytes]:
    """A root, certificates, n // 1000 alerts and n // 10 acks continuing the corpus feeds."""
    signers, root = authors(8), authors(9)[8]
    out: list[bytes] = []

    def sign(i: int, type_: str, body: msgspec.Struct) -> bytes:
        nonlocal lamport
        lamport += 1
        signer = signers[i]
        seq, prev = heads[signer.public_key]
        e = envelope.unsigned(
            community=signers[0].public_key,
            author=signer.public_key,
            seq=seq + 1,
            prev=prev,
            lamport=lamport,
            ts=BASE_TS + lamport * 1000,
            type=type_,
            body=encode_body(body),
        )
        raw = envelope.encode(
            msgspec.structs.replace(e, sig=signer.sign(envelope.signing_bytes(e)))
        )
        heads[signer.public_key] = (seq + 1, blake3_256(raw))
        out.append(raw)
        return raw

    sign(0, a.ROOT_DECLARED, a.RootDeclared(root_key=root.public_key.hex()))
    certs = []
    for i, s in enumerate(signers):
        cert = a.RoleCertificate(
            holder=node_id(s.public_key),
            role="DE.NRW.Kleve.Feuerwehr",
            region="DE.NRW.Kleve",
            severities=["Moderate"],
            statuses=["Actual"],
            issuer=root.public_key.hex(),
            issued_at=BASE_TS,
            not_before=BASE_TS,
            not_after=BASE_TS + 10**12,
        )
        cert = msgspec.structs.replace(cert, signature=root.sign(a.certificate_bytes(cert)))
        certs.append(a.cert_id(cert))
        sign(i, a.ROLE_REGISTERED, a.RoleRegistered(certificate=cert))
    alerts = []
    for k in range(max(1, n // 1000)):
        form = PublishInput(
            event=f"Hochwasser {k}",
            severity="Moderate",
            area_desc="Issum",
            region="DE.NRW.Kleve.Issum",
            expires_minutes=60,
        )
        xml = cap_xml.write(compose(form, node_id(signers[k % 8].public_key), None))
        raw = sign(
            k % 8, a.ALERT_PUBLISHED, a.AlertPublished(cap=cap_xml.pack(xml), cert_id=certs[k % 8])
        )
        alerts.append(blake3_256(raw).hex())
    for k in range(n // 10):
        ack = a.AlertAcked(alert_event_id=alerts[k % len(alerts)], status="received")
        sign(1 + k % 7, a.ALERT_ACKED, ack)
    return out


def build_home(n: int) -> Path:
    """A founder's data directory whose log holds n events (built once, then reused)."""
    home = BENCH / f"audit-{n}"
    if (home / "done").exists():
        return home
    from hearthnet.adapters.keystore import key_paths
    from hearthnet.bootstrap import open_node

    founder = authors(8)[0]
    private, public = key_paths(home)
    private.parent.mkdir(parents=True, exist_ok=True)
    private.write_bytes(founder.seed)
    public.write_bytes(founder.public_key)
    save_config(home, Config(name="Audit", community=node_id(founder.public_key)))
    node = open_node(home)
    extra = n // 1000 + n // 10 + 9
    heads: dict[bytes, tuple[int, bytes]] = {}
    batch, lamport = [], 0
    for raw in generate(n - extra):
        e = envelope.decode_stored(raw)
        heads[e.author] = (e.seq, blake3_256(raw))
        lamport = e.lamport
        batch.append(raw)
        if len(batch) == 5000:
            node.log.ingest(batch)
            batch = []
    node.log.ingest(batch)
    events = civdef_events(n, heads, lamport)
    for i in range(0, len(events), 5000):
        node.log.ingest(events[i : i + 5000])
    node.close()
    (home / "done").write_text("")
    return home


def main() -> None:
    """Build the log, run the audit in a fresh process; print its time."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    home = build_home(n)
    env = {**os.environ, "HEARTHNET_HOME": str(home)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "hearthnet", "audit", "alerts", "--json"],
        env=env,
        capture_output=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"audit failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    report = msgspec.json.decode(done.stdout)
    answers = sum(len(x["answers"]) for x in report["alerts"])
    print(f"events={n} alerts={len(report['alerts'])} answers={answers}")
    print(done.stderr.decode().strip())
    print(f"audit_1m_s={seconds:.2f}")


if __name__ == "__main__":
    main()
