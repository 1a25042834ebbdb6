"""`hearthnet audit alerts`: the alerting history rebuilt from one node's log, as of any moment.

The replay reads only the log's civil-defence and membership events, checks each one (its
bytes still hash to the recorded id, its signature verifies, its feed predecessor is there and
is the one it links to), folds the sound ones through the same alert book every node uses,
and writes a report that names no local detail: the same events give the same bytes, and the
same digest, on every node.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.adapters import cap_xml
from hearthnet.domain import alerts as a
from hearthnet.domain import envelope
from hearthnet.domain.envelope import MalformedEvent
from hearthnet.domain.types import node_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hearthnet.adapters.event_log import EventLog

_json = msgspec.json.Encoder(order="sorted")


def iso(ms: int) -> str:
    """A time in ms as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _node(key_hex: str) -> str:
    return node_id(bytes.fromhex(key_hex))


def read_facts(log: EventLog) -> tuple[list[a.Fact], list[dict[str, Any]]]:
    """The folded event types from the log, checked; return (sound facts, problems)."""
    rows = log.recorder.topic_rows(list(a.FOLDED_TYPES))
    ids = [log.hash(row[4]) for row in rows]
    known = log.recorder.known(ids)
    altered = [row[0] for row, eid in zip(rows, ids, strict=True) if eid not in known]
    recorded = log.recorder.recorded_ids(altered) if altered else {}
    by_feed = {(row[1], row[2]): eid for row, eid in zip(rows, ids, strict=True)}
    signed: list[bool] = []
    for part in log.verifier.map_chunks(partial(_signatures, log), [r[4] for r in rows], 512):
        signed += part
    facts: list[a.Fact] = []
    problems: list[dict[str, Any]] = []
    for (position, feed, version, _, raw), eid, sound in zip(rows, ids, signed, strict=True):
        if eid not in known:
            named = recorded.get(position, eid).hex()
            problems.append(
                {
                    "event_id": named,
                    "author": "?",
                    "seq": version,
                    "problem": "stored bytes no longer match the recorded id",
                }
            )
            continue
        try:
            event = envelope.decode(raw)
        except MalformedEvent as exc:
            problems.append(
                {
                    "event_id": eid.hex(),
                    "author": "?",
                    "seq": version,
                    "problem": f"unreadable: {exc}",
                }
            )
            continue
        where = {"event_id": eid.hex(), "author": node_id(event.author), "seq": event.seq}
        if not sound:
            problems.append({**where, "problem": "signature does not verify"})
            continue
        if event.seq > 1 and _before(log, by_feed, feed, event) != event.prev:
            problems.append(
                {
                    **where,
                    "problem": f"the feed's event {event.seq - 1} is missing "
                    "or does not match its link",
                }
            )
        facts.append(
            a.Fact(
                eid.hex(),
                event.author.hex(),
                event.seq,
                event.lamport,
                event.ts,
                event.type,
                event.body,
                event.sig.hex(),
            )
        )
    return facts, problems


def _signatures(log: EventLog, raws: Sequence[bytes]) -> list[bool]:
    """Whether each event's signature verifies (False for bytes that do not decode)."""
    out = []
    for raw in raws:
        try:
            e = envelope.decode_stored(raw)
        except msgspec.DecodeError:
            out.append(False)
            continue
        out.append(log.verify(e.author, envelope.signing_bytes(e), e.sig))
    return out


def _before(
    log: EventLog, by_feed: dict[tuple[str, int], bytes], feed: str, event: envelope.Event
) -> bytes | None:
    """The id of the event before this one in its feed (None when it is not stored)."""
    known = by_feed.get((feed, event.seq - 1))
    if known is not None:
        return known
    raw = log.raw_at(event.author, event.seq - 1)
    return log.hash(raw) if raw is not None else None


def _proof(f: a.Fact) -> dict[str, Any]:
    return {
        "event_id": f.event_id,
        "node": _node(f.author),
        "seq": f.seq,
        "lamport": f.lamport,
        "claimed_at": iso(f.ts),
        "signature": f.sig,
    }


def _first_seen(book: a.AlertBook, record: a.AlertRecord) -> dict[str, Any] | None:
    """The earliest proof that another node held the event: an ack or a checkpoint."""
    seen = [(k.fact.ts, "ack", k.fact) for k in record.acks if k.fact.author != record.fact.author]
    witness = book.witnessed(record.fact)
    if witness is not None:
        seen.append((witness.ts, "checkpoint", witness))
    if not seen:
        return None
    ts, kind, fact = min(seen, key=lambda s: (s[0], s[2].event_id))
    return {
        "by": _node(fact.author),
        "claimed_at": iso(ts),
        "proof": kind,
        "event_id": fact.event_id,
    }


def _cert(book: a.AlertBook, cid: str) -> dict[str, Any]:
    c = book.certs.get(cid)
    if c is None:
        return {"cert_id": cid, "registered": False}
    return {
        "cert_id": cid,
        "holder": c.cert.holder,
        "role": c.cert.role,
        "region": c.cert.region,
        "issuer": c.cert.issuer,
        "issuer_is_root": c.cert.issuer in book.roots,
        "valid_from": iso(c.cert.not_before),
        "valid_until": iso(c.cert.not_after),
        "registered": _proof(c.registered),
        "revoked": _proof(c.revoked) if c.revoked else None,
        "problem": c.refusal,
    }


def _alert(book: a.AlertBook, r: a.AlertRecord) -> dict[str, Any]:
    m = r.message
    return {
        "event_id": r.fact.event_id,
        "published": _proof(r.fact),
        "kind": "mirrored" if r.mirrored else "published",
        "provenance": r.mirrored,
        "certificate": _cert(book, r.cert_id),
        "identifier": m.identifier if m else None,
        "sender": m.sender if m else None,
        "sent": m.sent if m else None,
        "status": m.status if m else None,
        "msg_type": m.msg_type if m else None,
        "scope": m.scope if m else None,
        "severity": m.severity if m else None,
        "headline": m.headline if m else None,
        "areas": [ar.area_desc for i in (m.infos if m else []) for ar in i.areas],
        "references": (m.references or "").split() if m else [],
        "state": r.state,
        "refusal": r.refusal,
        "counts_from": _proof(r.counted_from) if r.counted_from else None,
        "changed_by": r.changed_by or None,
        "cosigned": [_proof(f) for f in r.cosigns],
        "targeted": [_node(k) for k in r.targeted if k],
        "first_seen_by_another_node": _first_seen(book, r),
        "answers": [
            {
                **_proof(k.fact),
                "status": k.status,
                "note": k.note,
                "automatic": k.automatic,
                "counted": k.counted,
            }
            for k in sorted(r.acks, key=lambda k: (k.fact.lamport, k.fact.event_id))
        ],
    }


def audit_alerts(
    log: EventLog, founder: bytes, *, as_of_ms: int | None = None, alert: str = ""
) -> tuple[dict[str, Any], bytes]:
    """Rebuild the alerting history; return the report and its canonical JSON bytes."""
    facts, problems = read_facts(log)
    if as_of_ms is not None:
        facts = [f for f in facts if f.ts <= as_of_ms]
    book = a.AlertBook(founder.hex(), log.verify, cap_xml.parse_packed).fold(facts)
    records = sorted(book.alerts.values(), key=lambda r: (r.fact.lamport, r.fact.event_id))
    if alert:
        records = [r for r in records if r.fact.event_id.startswith(alert)]
    for orphan in book.orphans:
        problems.append(
            {
                "event_id": orphan.event_id,
                "author": _node(orphan.author),
                "seq": orphan.seq,
                "problem": "answers an alert that is not on the log",
            }
        )
    for fact, why in book.unreadable:
        problems.append(
            {
                "event_id": fact.event_id,
                "author": _node(fact.author),
                "seq": fact.seq,
                "problem": why,
            }
        )
    report = {
        "community": node_id(founder),
        "as_of": iso(as_of_ms) if as_of_ms is not None else "end of log",
        "trust_roots": [{"key": k, **_proof(f)} for k, f in sorted(book.roots.items())],
        "roles": [_cert(book, c) for c in sorted(book.certs)],
        "alerts": [_alert(book, r) for r in records],
        "checkpoints": len(book.checkpoints),
        "problems": sorted(problems, key=lambda p: (p["event_id"], p["problem"])),
    }
    return report, _json.encode(report)


def digest(canonical: bytes) -> str:
    """The report's digest: SHA-256 of its canonical JSON."""
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def as_text(report: dict[str, Any]) -> str:
    """The report for people: one block per alert, every statement with its event."""
    lines = [f"Alert audit of community {report['community']} as of {report['as_of']}", ""]
    for root in report["trust_roots"]:
        lines.append(
            f"trust root {root['key']} declared in {root['event_id']} "
            f"(seq {root['seq']}, {root['claimed_at']})"
        )
    for alert in report["alerts"]:
        p, c = alert["published"], alert["certificate"]
        lines += [
            "",
            f"{alert['status']} {alert['msg_type']} [{alert['severity']}] {alert['headline']}",
            f"  state: {alert['state']}" + (f" ({alert['refusal']})" if alert["refusal"] else ""),
            f"  {alert['kind']} by {p['node']} at {p['claimed_at']} (claimed), event "
            f"{p['event_id']}, seq {p['seq']}, lamport {p['lamport']}",
            f"  under certificate {c['cert_id'][:16]} role {c.get('role', '?')} "
            f"region {c.get('region', '?')}",
            f"  CAP {alert['identifier']} sent {alert['sent']} areas: {'; '.join(alert['areas'])}",
        ]
        if alert["provenance"]:
            prov = alert["provenance"]
            lines.append(f"  original sha256 {prov['sha256']} via {prov['via']} {prov['source']}")
        for co in alert["cosigned"]:
            lines.append(
                f"  co-signed by {co['node']} at {co['claimed_at']}, event "
                f"{co['event_id']}, seq {co['seq']}"
            )
        seen = alert["first_seen_by_another_node"]
        if seen:
            lines.append(
                f"  first held by another node: {seen['by']} by {seen['claimed_at']} "
                f"({seen['proof']} {seen['event_id']})"
            )
        lines.append(f"  targeted: {len(alert['targeted'])} nodes")
        for ans in alert["answers"]:
            flag = "" if ans["counted"] else " (not counted: over the rate or repeated)"
            how = "automatic " if ans["automatic"] else ""
            lines.append(
                f"  {how}{ans['status']} from {ans['node']} at {ans['claimed_at']}, "
                f"event {ans['event_id']}, seq {ans['seq']}{flag}"
            )
    lines += ["", f"{report['checkpoints']} checkpoints", f"{len(report['problems'])} problems"]
    for problem in report["problems"]:
        lines.append(f"  PROBLEM {problem['event_id']}: {problem['problem']}")
    return "\n".join(lines) + "\n"
