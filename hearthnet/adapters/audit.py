"""`hearthnet log verify`: re-check every stored event and every chain, reporting all problems.

The audit reads the store as it is on disk: it trusts no cache, and a problem in one event
does not stop it; each problem names the event, its author, its seq and what is wrong.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import msgspec

from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.recorders import FORK_TOPIC, feed_uuid
from hearthnet.domain import envelope
from hearthnet.domain.chain import ForkProof, proves_fork
from hearthnet.domain.envelope import MalformedEvent
from hearthnet.domain.types import node_id

BATCH = 5000


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
        if not log._verify(e.author, envelope.signing_bytes(e), e.sig):
            return "invalid signature"
        return None

    def chunk(part: Sequence[bytes]) -> list[str | None]:
        return [check(r) for r in part]

    size = 512
    out: list[str | None] = []
    for part in log._pool.map(chunk, [raws[i : i + size] for i in range(0, len(raws), size)]):
        out += part
    return out


def audit(
    log: EventLog, *, signatures: bool = True, progress: Callable[[int], None] | None = None
) -> AuditReport:
    """Check signatures (unless told not to), feed placement and every per-author chain."""
    report = AuditReport()
    heads: dict[uuid.UUID, tuple[int, bytes, int]] = {}
    owners: dict[uuid.UUID, bytes] = {}
    hash_, start = log._hash, 1
    while rows := log.recorder.select_notifications(start, BATCH):
        start = rows[-1].id + 1
        events = [n for n in rows if n.topic != FORK_TOPIC]
        sig_problems = _signature_problems(log, [n.state for n in events]) if signatures else []
        for i, n in enumerate(events):
            eid = hash_(n.state)
            report.events += 1
            try:
                link = _link.decode(n.state)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                report.problems.append(Problem(n.id, eid.hex(), "?", n.originator_version,
                                               f"not an envelope: {exc}"))  # fmt: skip
                continue
            author = node_id(link.author) if len(link.author) == 32 else link.author.hex()

            def problem(text: str, n: object = n, eid: bytes = eid) -> None:
                report.problems.append(Problem(n.id, eid.hex(), author, link.seq, text))  # type: ignore[attr-defined]

            if sig_problems and sig_problems[i]:
                problem(str(sig_problems[i]))
            owner = owners.get(n.originator_id)
            if owner is None:
                owner = owners[n.originator_id] = link.author
            if owner != link.author or feed_uuid(link.author) != n.originator_id:
                problem("stored in another author's feed")
            if n.originator_version != link.seq:
                problem(f"stored at seq {n.originator_version} but signed as seq {link.seq}")
            if n.topic != link.type:
                problem("stored under another event type")
            last = heads.get(n.originator_id)
            expected = last[0] + 1 if last else 1
            if link.seq != expected:
                problem(f"chain gap: expected seq {expected}")
            elif last is not None and link.prev != last[1]:
                problem(f"prev is not the id of seq {last[0]} ({last[1].hex()[:16]})")
            elif last is not None and link.lamport <= last[2]:
                problem("lamport does not increase along the feed")
            heads[n.originator_id] = (link.seq, eid, link.lamport)
        for n in rows:
            if n.topic == FORK_TOPIC:
                report.fork_proofs += 1
                _check_fork_proof(log, n.id, n.originator_version, n.state, report, signatures)
        if progress:
            progress(len(rows))
    report.authors = len(heads)
    indexed = log.recorder.count_events()
    if indexed != report.events:
        report.problems.append(Problem(0, "", "", 0, f"the id index holds {indexed} events, "
                                                      f"the log {report.events}"))  # fmt: skip
    return report


def _check_fork_proof(
    log: EventLog, position: int, seq: int, state: bytes, report: AuditReport, signatures: bool
) -> None:
    try:
        proof = msgspec.msgpack.decode(state, type=ForkProof)
        first, second = envelope.decode(proof.first), envelope.decode(proof.second)
    except (msgspec.DecodeError, msgspec.ValidationError, MalformedEvent) as exc:
        report.problems.append(Problem(position, "", "?", seq, f"unreadable fork proof: {exc}"))
        return
    ids = log._hash(proof.first), log._hash(proof.second)
    valid = proves_fork(first, ids[0], second, ids[1]) == seq
    if signatures:
        valid = valid and all(log._verify(e.author, envelope.signing_bytes(e), e.sig)
                              for e in (first, second))  # fmt: skip
    if not valid:
        report.problems.append(Problem(position, ids[1].hex(), node_id(first.author), seq,
                                       "fork proof does not prove a fork"))  # fmt: skip
