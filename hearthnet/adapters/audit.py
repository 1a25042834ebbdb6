"""`hearthnet log verify`: re-check every stored event and every chain, reporting all problems.

The audit reads the store as it is on disk: it trusts no cache, and a problem in one event
does not stop it; each problem names the event, its author, its seq and what is wrong.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import itertools
import multiprocessing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.recorders import FORK_TOPIC, feed_uuid
from hearthnet.adapters.store import open_recorder
from hearthnet.domain import admission, envelope
from hearthnet.domain.chain import ForkProof, proves_fork
from hearthnet.domain.envelope import MalformedEvent
from hearthnet.domain.types import node_id

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

BATCH = 5000
PARALLEL_FROM = 100_000
"""Below this many stored rows, starting worker processes costs more than it saves."""


class ChainLink(msgspec.Struct, array_like=True):
    """The leading envelope fields, enough to follow a hash chain without a full decode."""

    v: int
    community: bytes
    author: bytes
    seq: int
    prev: bytes
    lamport: int
    ts: int
    type: str


_link = msgspec.msgpack.Decoder(ChainLink)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the store."""

    position: int
    event_id: str
    author: str
    seq: int
    problem: str


@dataclass
class AuditReport:
    """The outcome of an audit."""

    events: int = 0
    authors: int = 0
    fork_proofs: int = 0
    problems: list[Problem] = field(default_factory=list)


def _signature_problems(log: EventLog, raws: Sequence[bytes]) -> list[str | None]:
    def check(raw: bytes) -> str | None:
        try:
            e = envelope.decode(raw)
        except MalformedEvent as exc:
            return str(exc)
        if not log.verify(e.author, envelope.signing_bytes(e), e.sig):
            return "invalid signature"
        try:
            admission.check(e)
        except admission.Refused as exc:
            return f"fails the admission rule: {exc}"
        return None

    def chunk(part: Sequence[bytes]) -> list[str | None]:
        return [check(r) for r in part]

    out: list[str | None] = []
    for part in log.verifier.map_chunks(chunk, raws, 512):
        out += part
    return out


@dataclass
class Segment:
    """The audit of one stretch of positions; chains are stitched across segments after."""

    report: AuditReport = field(default_factory=AuditReport)
    first: dict[str, tuple[int, bytes, bytes, int, bytes, int]] = field(default_factory=dict)
    """originator -> (position, id, author, seq, prev, lamport) of its first event here."""
    last: dict[str, tuple[int, bytes, int]] = field(default_factory=dict)
    """originator -> (seq, id, lamport) of its last event here."""


def _storage_problems(
    owners: dict[str, bytes],
    originator: str,
    version: int,
    topic: str,
    link: ChainLink,
    found: list[str],
) -> None:
    """Add to `found` where the stored row disagrees with the signed event it holds."""
    owner = owners.get(originator)
    if owner is None:
        owner = owners[originator] = link.author
        if feed_uuid(link.author).hex != originator:
            found.append("stored in another author's feed")
    elif owner != link.author:
        found.append("stored in another author's feed")
    if version != link.seq:
        found.append(f"stored at seq {version} but signed as seq {link.seq}")
    if topic != link.type:
        found.append("stored under another event type")


def _audit_segment(
    log: EventLog,
    start: int,
    stop: int | None,
    signatures: bool,
    progress: Callable[[int], None] | None = None,
) -> Segment:
    seg = Segment()
    report, heads, first = seg.report, seg.last, seg.first
    owners: dict[str, bytes] = {}
    hash_, decode_link, problems = log.hash, _link.decode, report.problems
    for rows in log.scan_rows(start, BATCH):
        if stop is not None and rows[-1][0] > stop:
            rows = [r for r in rows if r[0] <= stop]
            if not rows:
                break
        events = [r for r in rows if r[3] != FORK_TOPIC]
        sig_problems = _signature_problems(log, [r[4] for r in events]) if signatures else []
        for i, (position, originator, version, topic, state) in enumerate(events):
            eid = hash_(state)
            try:
                link = decode_link(state)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                problems.append(
                    Problem(position, eid.hex(), "?", version, f"not an envelope: {exc}")
                )
                continue
            found: list[str] = []
            if sig_problems and sig_problems[i]:
                found.append(str(sig_problems[i]))
            _storage_problems(owners, originator, version, topic, link, found)
            last = heads.get(originator)
            if last is None:
                first[originator] = (position, eid, link.author, link.seq, link.prev, link.lamport)
            else:
                found += _link_problems(last, link.seq, link.prev, link.lamport)
            heads[originator] = (link.seq, eid, link.lamport)
            if found:
                problems += [
                    Problem(position, eid.hex(), _who(link.author), link.seq, f) for f in found
                ]
        report.events += len(events)
        for position, _, version, topic, state in rows:
            if topic == FORK_TOPIC:
                report.fork_proofs += 1
                _check_fork_proof(log, position, version, state, report, signatures)
        if progress:
            progress(len(rows))
        if stop is not None and rows[-1][0] >= stop:
            break
    return seg


def _link_problems(
    last: tuple[int, bytes, int] | None, seq: int, prev: bytes, lamport: int
) -> list[str]:
    """Check one event against the event before it in its author's feed."""
    if last is None:
        return [] if seq == 1 else ["chain gap: expected seq 1"]
    if seq != last[0] + 1:
        return [f"chain gap: expected seq {last[0] + 1}"]
    if prev != last[1]:
        return [f"prev is not the id of seq {last[0]} ({last[1].hex()[:16]})"]
    if lamport <= last[2]:
        return ["lamport does not increase along the feed"]
    return []


def _who(author: bytes) -> str:
    return node_id(author) if len(author) == 32 else author.hex()


def _segment_in_worker(url: str, start: int, stop: int, signatures: bool) -> Segment:
    log = EventLog(open_recorder(url), verify_ed25519, blake3_256)
    try:
        return _audit_segment(log, start, stop, signatures)
    finally:
        log.close()


def audit(
    log: EventLog,
    *,
    signatures: bool = True,
    progress: Callable[[int], None] | None = None,
    url: str | None = None,
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
) -> AuditReport:
    """Check signatures (unless told not to), feed placement and every per-author chain.

    Given the store's url and workers > 1, stretches of the log are audited in parallel
    processes and the per-author chains stitched together at the seams.
    """
    top = log.recorder.max_notification_id() or 0
    if url is None or workers < 2 or top < parallel_from:
        segments = [_audit_segment(log, 1, None, signatures, progress)]
    else:
        bounds = [top * i // workers for i in range(workers + 1)]
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            futures = [
                pool.submit(_segment_in_worker, url, lo + 1, hi, signatures)
                for lo, hi in itertools.pairwise(bounds)
            ]
            segments = [f.result() for f in futures]
        if progress:
            progress(top)
    report = AuditReport()
    chain: dict[str, tuple[int, bytes, int]] = {}
    for seg in segments:
        report.events += seg.report.events
        report.fork_proofs += seg.report.fork_proofs
        report.problems += seg.report.problems
        for originator, (position, eid, author, seq, prev, lamport) in seg.first.items():
            for text in _link_problems(chain.get(originator), seq, prev, lamport):
                report.problems.append(Problem(position, eid.hex(), _who(author), seq, text))
        chain.update(seg.last)
    report.problems = _name_by_recorded_id(log, report.problems)
    report.authors = len(chain)
    indexed = log.recorder.count_events()
    if indexed != report.events:
        report.problems.append(
            Problem(0, "", "", 0, f"the id index holds {indexed} events, the log {report.events}")
        )
    return report


def _name_by_recorded_id(log: EventLog, problems: list[Problem]) -> list[Problem]:
    """Name each damaged event by the id the log recorded when it was stored.

    Changed bytes hash to a new id; the recorded one is what peers and auditors know.
    """
    positions = sorted({p.position for p in problems if p.event_id})
    recorded = log.recorder.recorded_ids(positions) if positions else {}
    named: list[Problem] = []
    for p in sorted(problems, key=lambda p: p.position):
        original = recorded.get(p.position)
        if original is None or original.hex() == p.event_id:
            named.append(p)
            continue
        named.append(dataclasses.replace(p, event_id=original.hex()))
        if not any(q.position == p.position and "recorded id" in q.problem for q in named):
            named.append(
                dataclasses.replace(
                    p,
                    event_id=original.hex(),
                    problem="stored bytes no longer match the recorded id "
                    f"(they hash to {p.event_id})",
                )
            )
    return named


def _check_fork_proof(
    log: EventLog, position: int, seq: int, state: bytes, report: AuditReport, signatures: bool
) -> None:
    try:
        proof = msgspec.msgpack.decode(state, type=ForkProof)
        first, second = envelope.decode(proof.first), envelope.decode(proof.second)
    except (msgspec.DecodeError, msgspec.ValidationError, MalformedEvent) as exc:
        report.problems.append(Problem(position, "", "?", seq, f"unreadable fork proof: {exc}"))
        return
    ids = log.hash(proof.first), log.hash(proof.second)
    valid = proves_fork(first, ids[0], second, ids[1]) == seq
    if signatures:
        valid = valid and all(
            log.verify(e.author, envelope.signing_bytes(e), e.sig) for e in (first, second)
        )
    if not valid:
        report.problems.append(
            Problem(
                position,
                ids[1].hex(),
                node_id(first.author),
                seq,
                "fork proof does not prove a fork",
            )
        )


def check_event(log: EventLog, raw: bytes) -> dict[str, bool]:
    """Check one stored event: canonical form, signature, and its link to seq - 1."""
    try:
        event = envelope.decode(raw)
    except MalformedEvent:
        return {"canonical": False, "signature": False, "chain": False}
    signature = log.verify(event.author, envelope.signing_bytes(event), event.sig)
    if event.seq == 1:
        chain = True
    else:
        before = log.raw_at(event.author, event.seq - 1)
        chain = before is not None and log.hash(before) == event.prev
    return {"canonical": True, "signature": signature, "chain": chain}
