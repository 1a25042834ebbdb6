"""Civil-defence alerts on the bus: roles, CAP alerts with the two-person rule, acks, import,
export and checkpoints. Every check is the alert book's (`hearthnet.domain.alerts`), run on
the facts this node holds, so a refusal here is the verdict every other node would reach.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import time
import uuid
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import msgspec

from hearthnet.domain import alerts as a
from hearthnet.domain import cap
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import node_id, parse_node_id
from hearthnet.projections.alerts import facts
from hearthnet.services.bus import Capability
from hearthnet.services.context import Limit, Reactions

if TYPE_CHECKING:
    from collections.abc import Callable

    from hearthnet.domain.ports import CapCodec
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

EventIdHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Line = Annotated[str, msgspec.Meta(max_length=160)]
Long = Annotated[str, msgspec.Meta(max_length=1000)]
CHECKPOINT_EVERY_MS = 60_000
"""How long a node waits after its last checkpoint before witnessing new alert activity."""


class PublishInput(msgspec.Struct, kw_only=True):
    """An alert (or, with `updates`, an update of one) as the publish form gives it."""

    event: Annotated[str, msgspec.Meta(min_length=1, max_length=160)]
    severity: cap.Severity
    area_desc: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    region: a.Role
    status: cap.Status = "Actual"
    category: cap.Category = "Other"
    urgency: cap.Urgency = "Immediate"
    certainty: cap.Certainty = "Observed"
    response_type: cap.ResponseType | None = None
    headline: Line = ""
    description: Long = ""
    instruction: Long = ""
    expires_minutes: Annotated[int, msgspec.Meta(ge=1, le=7 * 24 * 60)] = 240
    polygon: Annotated[str, msgspec.Meta(max_length=2000)] | None = None
    circle: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    scope: cap.Scope = "Public"
    addresses: Annotated[list[str], msgspec.Meta(max_length=100)] = []
    restriction: Line = ""
    language: Annotated[str, msgspec.Meta(max_length=20)] = "en-US"
    identifier: Annotated[str, msgspec.Meta(max_length=100)] = ""
    updates: EventIdHex | None = None
    cert_id: str = ""


class AlertRef(msgspec.Struct, kw_only=True):
    """One alert, by the id of its event."""

    alert_event_id: EventIdHex
    note: Annotated[str, msgspec.Meta(max_length=280)] = ""
    cert_id: str = ""


class AckInput(msgspec.Struct, kw_only=True):
    """A person's answer to an alert."""

    alert_event_id: EventIdHex
    status: a.AckStatus
    note: a.Note = ""


class ImportInput(msgspec.Struct, kw_only=True):
    """An official CAP message, as it arrived."""

    xml: Annotated[str, msgspec.Meta(min_length=1, max_length=a.MAX_CAP_BYTES)]
    source: Annotated[str, msgspec.Meta(max_length=400)] = ""
    via: Literal["file", "feed"] = "file"
    cert_id: str = ""


class ListInput(msgspec.Struct, kw_only=True):
    """Which alerts to list."""

    live_only: bool = False
    limit: Limit = 100


class RegisterInput(msgspec.Struct, kw_only=True):
    """A role certificate to put on the log."""

    certificate: a.RoleCertificate


class _Kept(NamedTuple):
    folded: int
    last_row: int
    top: tuple[int, str]
    book: a.AlertBook


class _Books:
    """The alert book of each node, brought up to date with the facts it has not folded: the
    rows added since, read with the table's count in one statement (one snapshot), are folded
    here on the event loop when they all come after the last fact folded; otherwise (a fact
    arrived out of order, a row went away) a fresh book is folded off the loop and swapped
    in, so that no reader ever sees a book change under it."""

    INCREMENT = 500
    NEW_ROWS = (
        "SELECT t.total, f.rowid AS row_id, f.* FROM (SELECT COUNT(*) AS total FROM "
        "civdef_facts) t LEFT JOIN civdef_facts f ON f.rowid > :after ORDER BY f.rowid LIMIT 501"
    )

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    async def of(self, node: NodeContext, codec: CapCodec) -> a.AlertBook:
        async with node.serial("alert book"):
            kept = self._kept.get(node.me)
            if kept is not None:
                rows = await node.query(self.NEW_ROWS, {"after": kept.last_row})
                new = [r for r in rows if r["row_id"] is not None]
                in_order = all((r["lamport"], r["event_id"]) > kept.top for r in new)
                if (
                    in_order
                    and len(new) <= self.INCREMENT
                    and kept.folded + len(new) == rows[0]["total"]
                ):
                    if new:
                        folded = facts(new)
                        kept.book.fold(folded)
                        top = max(kept.top, *((f.lamport, f.event_id) for f in folded))
                        kept = _Kept(rows[0]["total"], new[-1]["row_id"], top, kept.book)
                        self._kept[node.me] = kept
                    return kept.book
            rows = await node.query("SELECT rowid AS row_id, * FROM civdef_facts", {})
            founder = parse_node_id(node.status()["community"]).hex()
            book = a.AlertBook(founder, node.verify, _parser(codec))
            every = facts(rows)
            await asyncio.to_thread(book.fold, every)
            top = max(((f.lamport, f.event_id) for f in every), default=(0, ""))
            last = max((r["row_id"] for r in rows), default=0)
            self._kept[node.me] = _Kept(len(every), last, top, book)
            return book


_PARSERS: dict[int, Callable[[bytes], cap.Alert]] = {}


def _parser(codec: CapCodec) -> Callable[[bytes], cap.Alert]:
    """The codec's reader of packed CAP, remembering what it read (a book folds again when
    facts arrive out of order)."""
    if id(codec) not in _PARSERS:
        _PARSERS[id(codec)] = functools.lru_cache(maxsize=4096)(codec.parse_packed)
    return _PARSERS[id(codec)]


BOOKS = _Books()


def _me(node: NodeContext) -> str:
    return parse_node_id(node.me).hex()


def _now_fact(node: NodeContext, type_: str = a.ALERT_PUBLISHED) -> a.Fact:
    """A stand-in for the event about to be written, to judge it before signing."""
    return a.Fact("f" * 64, _me(node), 2**62, 2**62, int(time.time() * 1000), type_, b"")


def _own_cert(book: a.AlertBook, node: NodeContext, wanted: str, cosign: bool = False) -> str:
    """The certificate to act under: the one asked for, else this node's newest in force."""
    if wanted:
        return wanted
    me, now = _me(node), int(time.time() * 1000)
    mine = [
        c
        for c in book.certs.values()
        if not book.cert_refusal(c.id, me, now) and (c.cert.may_cosign or not cosign)
    ]
    if not mine:
        raise BusError("civdef_cert_not_owned", "this node holds no role certificate in force")
    return max(mine, key=lambda c: c.cert.not_after).id


def _sent() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _area(q: PublishInput) -> cap.Area:
    return cap.Area(
        area_desc=q.area_desc,
        polygons=[q.polygon] if q.polygon else [],
        circles=[q.circle] if q.circle else [],
        geocodes=[cap.Pair(value_name=a.REGION_CODE, value=q.region)],
    )


def compose(q: PublishInput, sender: str, references: str | None) -> cap.Alert:
    """The CAP message a publish form describes."""
    expires = datetime.now().astimezone().timestamp() + q.expires_minutes * 60
    info = cap.Info(
        language=q.language,
        categories=[q.category],
        event=q.event,
        response_types=[q.response_type] if q.response_type else [],
        urgency=q.urgency,
        severity=q.severity,
        certainty=q.certainty,
        expires=datetime.fromtimestamp(expires).astimezone().isoformat(timespec="seconds"),
        sender_name=sender,
        headline=q.headline or q.event,
        description=q.description or None,
        instruction=q.instruction or None,
        areas=[_area(q)],
    )
    return cap.Alert(
        identifier=q.identifier or f"hearthnet-{uuid.uuid4().hex}",
        sender=sender,
        sent=_sent(),
        status=q.status,
        msg_type="Update" if references else "Alert",
        scope=q.scope,
        restriction=q.restriction or None if q.scope == "Restricted" else None,
        addresses=" ".join(q.addresses) or None if q.scope == "Private" else None,
        references=references,
        infos=[info],
    )


async def _write_cap(
    node: NodeContext, codec: CapCodec, book: a.AlertBook, message: cap.Alert, cid: str
) -> dict[str, Any]:
    try:
        xml = codec.write(message)
        codec.check_written(xml)
    except ValueError as exc:
        raise BusError("civdef_alert_target_invalid", str(exc)) from None
    refusal = book.judge(_now_fact(node), message, cid, mirrored=False)
    if refusal:
        code, _, why = refusal.partition(": ")
        raise BusError(code if code.startswith("civdef_") else "bad_request", why or refusal)
    body = a.AlertPublished(cap=codec.pack(xml), cert_id=cid)
    recorded = await node.append(a.ALERT_PUBLISHED, encode_body(body))
    return {
        "event_id": recorded.id.hex(),
        "identifier": message.identifier,
        "pending_cosign": a.needs_cosign(message),
    }


async def publish(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: PublishInput = call.input
    async with node.serial("alerts"):
        book = await BOOKS.of(node, codec)
        cid = _own_cert(book, node, q.cert_id)
        references = None
        if q.updates:
            target = _record(book, q.updates)
            assert target.message is not None
            references = cap.reference(target.message)
        return await _write_cap(node, codec, book, compose(q, node.me, references), cid)


async def cancel(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: AlertRef = call.input
    async with node.serial("alerts"):
        book = await BOOKS.of(node, codec)
        target = _record(book, q.alert_event_id)
        assert target.message is not None
        message = cap.Alert(
            identifier=f"hearthnet-{uuid.uuid4().hex}",
            sender=node.me,
            sent=_sent(),
            status=target.message.status,
            msg_type="Cancel",
            scope=target.message.scope,
            restriction=target.message.restriction,
            addresses=target.message.addresses,
            note=q.note or None,
            references=cap.reference(target.message),
        )
        return await _write_cap(node, codec, book, message, _own_cert(book, node, q.cert_id))


def _record(book: a.AlertBook, event_id: str) -> a.AlertRecord:
    record = book.alerts.get(event_id)
    if record is None or record.message is None or record.state == "refused":
        raise BusError("civdef_alert_not_found", f"no alert {event_id}")
    return record


async def cosign(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: AlertRef = call.input
    async with node.serial("alerts"):
        book = await BOOKS.of(node, codec)
        record = _record(book, q.alert_event_id)
        cid = _own_cert(book, node, q.cert_id, cosign=True)
        if record.fact.author == _me(node):
            raise BusError("civdef_cert_out_of_scope", "the publisher cannot co-sign its own alert")
        refusal = book.cert_refusal(cid, _me(node), int(time.time() * 1000))
        if refusal:
            code, _, why = refusal.partition(": ")
            raise BusError(code, why)
        if not book.certs[cid].cert.may_cosign:
            raise BusError("civdef_cert_out_of_scope", "this certificate may not co-sign")
        body = a.AlertCosigned(alert_event_id=q.alert_event_id, cert_id=cid)
        recorded = await node.append(a.ALERT_COSIGNED, encode_body(body))
        return {"event_id": recorded.id.hex()}


async def ack(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: AckInput = call.input
    async with node.serial("alerts"):
        book = await BOOKS.of(node, codec)
        _record(book, q.alert_event_id)
        now, me = int(time.time() * 1000), _me(node)
        recent = [
            k
            for r in book.alerts.values()
            for k in r.acks
            if k.fact.author == me and not k.automatic and k.fact.ts > now - 60_000
        ]
        if len(recent) >= a.ACKS_PER_MINUTE:
            raise BusError(
                "civdef_ack_rate_limited", f"at most {a.ACKS_PER_MINUTE} answers a minute"
            )
        body = a.AlertAcked(alert_event_id=q.alert_event_id, status=q.status, note=q.note)
        recorded = await node.append(a.ALERT_ACKED, encode_body(body))
        return {"event_id": recorded.id.hex()}


async def import_cap(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: ImportInput = call.input
    original = q.xml.encode()
    try:
        message = codec.parse(original)
    except ValueError as exc:
        raise BusError("bad_request", str(exc)) from None
    packed = codec.pack(original)
    if len(packed) > 7000:
        raise BusError("bad_request", "the message does not fit one event, even compressed")
    async with node.serial("alerts"):
        book = await BOOKS.of(node, codec)
        existing = book.by_reference.get(cap.reference(message))
        if existing:
            return {"event_id": existing, "identifier": message.identifier, "duplicate": True}
        cid = _own_cert(book, node, q.cert_id)
        refusal = book.judge(_now_fact(node, a.ALERT_MIRRORED), message, cid, mirrored=True)
        if refusal:
            code, _, why = refusal.partition(": ")
            raise BusError(code, why)
        body = a.AlertMirrored(
            cap=packed,
            sha256=hashlib.sha256(original).hexdigest(),
            via=q.via,
            source=q.source,
            cert_id=cid,
        )
        recorded = await node.append(a.ALERT_MIRRORED, encode_body(body))
        return {"event_id": recorded.id.hex(), "identifier": message.identifier}


async def export_cap(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: AlertRef = call.input
    book = await BOOKS.of(node, codec)
    for record in book.alerts.values():
        for answer in record.acks:
            if answer.fact.event_id == q.alert_event_id and record.message is not None:
                return {"xml": codec.write(ack_message(record.message, answer)).decode()}
    record = _record(book, q.alert_event_id)
    assert record.message is not None
    return {"xml": codec.write(record.message).decode()}


def ack_message(alert: cap.Alert, answer: a.Ack) -> cap.Alert:
    """An answer as the CAP Ack message it is: from the answering node, referencing the alert."""
    sent = datetime.fromtimestamp(answer.fact.ts / 1000).astimezone()
    note = answer.status + (f": {answer.note}" if answer.note else "")
    return cap.Alert(
        identifier=f"hearthnet-ack-{answer.fact.event_id}",
        sender=node_id(bytes.fromhex(answer.fact.author)),
        sent=sent.isoformat(timespec="seconds"),
        status=alert.status,
        msg_type="Ack",
        scope=alert.scope,
        restriction=alert.restriction,
        addresses=alert.addresses,
        note=note,
        references=cap.reference(alert),
    )


async def list_alerts(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: ListInput = call.input
    book, now = await BOOKS.of(node, codec), int(time.time() * 1000)
    shown = [
        alert_view(book, r, now)
        for r in book.alerts.values()
        if r.message is not None and (not q.live_only or a.is_live(r, now))
    ]
    shown.sort(key=lambda v: (-v["lamport"], v["event_id"]))
    return {"alerts": shown[: q.limit]}


async def show(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: AlertRef = call.input
    book = await BOOKS.of(node, codec)
    record = book.alerts.get(q.alert_event_id)
    if record is None:
        raise BusError("civdef_alert_not_found", f"no alert {q.alert_event_id}")
    return alert_view(book, record, int(time.time() * 1000), detail=True)


def alert_view(
    book: a.AlertBook, r: a.AlertRecord, now: int, *, detail: bool = False
) -> dict[str, Any]:
    """An alert as the list, the show command and the dashboard present it."""
    m = r.message
    cert = book.certs.get(r.cert_id)
    info = m.infos[0] if m is not None and m.infos else None
    view: dict[str, Any] = {
        "event_id": r.fact.event_id,
        "lamport": r.fact.lamport,
        "publisher": node_id(bytes.fromhex(r.fact.author)),
        "state": r.state,
        "live": a.is_live(r, now),
        "refusal": r.refusal,
        "mirrored": r.mirrored,
        "cert_id": r.cert_id,
        "role": cert.cert.role if cert else "",
        "identifier": m.identifier if m else "",
        "sender": m.sender if m else "",
        "sent": m.sent if m else "",
        "status": m.status if m else "",
        "msg_type": m.msg_type if m else "",
        "scope": m.scope if m else "",
        "severity": m.severity if m else "Unknown",
        "headline": m.headline if m else "",
        "event": info.event if info else "",
        "urgency": info.urgency if info else "",
        "certainty": info.certainty if info else "",
        "description": info.description or "" if info else "",
        "instruction": info.instruction or "" if info else "",
        "expires": info.expires or "" if info else "",
        "areas": [
            {
                "area_desc": ar.area_desc,
                "regions": [g.value for g in ar.geocodes if g.value_name == a.REGION_CODE],
                "polygons": ar.polygons,
                "circles": ar.circles,
            }
            for i in (m.infos if m else [])
            for ar in i.areas
        ],
        "references": cap.referenced(m) if m else [],
        "changed_by": r.changed_by,
        "pending_cosign": r.state == "pending",
        "cosigned_by": [node_id(bytes.fromhex(f.author)) for f in r.cosigns],
        "acks": {
            s: sum(1 for k in r.acks if k.counted and k.status == s)
            for s in ("received", "acting", "need_help", "standing_down", "mistaken")
        },
    }
    if detail:
        view["targeted"] = [node_id(bytes.fromhex(k)) for k in r.targeted if k]
        view["answers"] = [
            {
                "node": node_id(bytes.fromhex(k.fact.author)),
                "status": k.status,
                "note": k.note,
                "automatic": k.automatic,
                "counted": k.counted,
                "ts": k.fact.ts,
                "event_id": k.fact.event_id,
            }
            for k in r.acks
        ]
    return view


async def declare_root(call: Call, node: NodeContext) -> dict[str, Any]:
    body: a.RootDeclared = call.input
    if node.me != node.status()["community"]:
        raise BusError("unauthorized", "only the community's founder declares a trust root")
    recorded = await node.append(a.ROOT_DECLARED, encode_body(body))
    return {"event_id": recorded.id.hex()}


async def register_role(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: RegisterInput = call.input
    book = await BOOKS.of(node, codec)
    cid = a.cert_id(q.certificate)
    if cid in book.certs:
        return {"cert_id": cid, "duplicate": True}
    refusal = book.issuer_refusal(q.certificate, _now_fact(node, a.ROLE_REGISTERED))
    if refusal:
        code, _, why = refusal.partition(": ")
        raise BusError(code, why)
    recorded = await node.append(
        a.ROLE_REGISTERED, encode_body(a.RoleRegistered(certificate=q.certificate))
    )
    return {"cert_id": cid, "event_id": recorded.id.hex()}


async def revoke_role(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    q: a.RoleRevoked = call.input
    book = await BOOKS.of(node, codec)
    record = book.certs.get(q.cert_id)
    if record is None:
        raise BusError("not_found", f"no certificate {q.cert_id}")
    message = a.revocation_bytes(q.cert_id, q.reason, q.revoked_at)
    if not (q.signer == record.cert.issuer or q.signer in book.roots) or not node.verify(
        bytes.fromhex(q.signer), message, q.signature
    ):
        raise BusError("civdef_role_invalid", "not signed by the certificate's issuer or a root")
    recorded = await node.append(a.ROLE_REVOKED, encode_body(q))
    return {"event_id": recorded.id.hex()}


async def list_roles(codec: CapCodec, call: Call, node: NodeContext) -> dict[str, Any]:
    book, now = await BOOKS.of(node, codec), int(time.time() * 1000)
    roles = []
    for c in book.certs.values():
        holder = c.cert.holder
        refusal = c.refusal or book.cert_refusal(c.id, a.key_of(holder), now)
        roles.append(
            {
                "cert_id": c.id,
                "holder": holder,
                "role": c.cert.role,
                "region": c.cert.region,
                "severities": c.cert.severities,
                "statuses": c.cert.statuses,
                "may_cosign": c.cert.may_cosign,
                "may_issue": c.cert.may_issue,
                "not_before": c.cert.not_before,
                "not_after": c.cert.not_after,
                "state": "revoked" if c.revoked else ("active" if not refusal else "invalid"),
                "problem": refusal,
            }
        )
    return {"roots": sorted(book.roots), "roles": roles}


_acked: dict[str, set[str]] = {}


async def acknowledge_receipt(codec: CapCodec, node: NodeContext) -> None:
    """Acknowledge, once, every alert addressed to this node that another node published."""
    if not (await node.query("SELECT 1 FROM civdef_facts LIMIT 1", {})):
        return
    async with node.serial("alerts"):
        book, me = await BOOKS.of(node, codec), _me(node)
        done = _acked.setdefault(node.me, set())
        for record in list(book.alerts.values()):  # the book may grow while recording
            if (
                record.state in ("pending", "active", "updated")
                and record.fact.author != me
                and me in record.targeted
                and record.fact.event_id not in done
                and not any(k.automatic and k.fact.author == me for k in record.acks)
            ):
                done.add(record.fact.event_id)
                body = a.AlertAcked(
                    alert_event_id=record.fact.event_id, status="received", automatic=True
                )
                await node.record(a.ALERT_ACKED, encode_body(body))


async def witness(codec: CapCodec, node: NodeContext) -> None:
    """Checkpoint the alert activity of other nodes once a minute at most: the heads of the
    feeds that hold civil-defence events, signed, bound when each event existed."""
    me = _me(node)
    rows = await node.query(
        "SELECT author, MAX(seq) AS seq FROM civdef_facts WHERE type != :cp GROUP BY author",
        {"cp": a.CHECKPOINTED},
    )
    if not any(r["author"] != me for r in rows):
        return
    last = await node.query(
        "SELECT MAX(ts) AS ts FROM civdef_facts WHERE author = :me AND type = :cp",
        {"me": me, "cp": a.CHECKPOINTED},
    )
    if (last[0]["ts"] or 0) > time.time() * 1000 - CHECKPOINT_EVERY_MS:
        return
    newest = await node.query(
        "SELECT MAX(ts) AS ts FROM civdef_facts WHERE author != :me AND type != :cp",
        {"me": me, "cp": a.CHECKPOINTED},
    )
    if (last[0]["ts"] or 0) >= (newest[0]["ts"] or 0):
        return
    heads = []
    for r in sorted(rows, key=lambda r: -int(r["seq"]))[:100]:
        found = await node.query(
            "SELECT event_id FROM civdef_facts WHERE author = :a AND seq = :s",
            {"a": r["author"], "s": r["seq"]},
        )
        heads.append(a.Head(str(r["author"]), int(r["seq"]), str(found[0]["event_id"])))
    async with node.serial("alerts"):
        await node.record(a.CHECKPOINTED, encode_body(a.Checkpointed(heads=heads)))


def capabilities(codec: CapCodec) -> tuple[Capability, ...]:
    """The alert capabilities, reading and writing CAP through `codec`."""
    return (
        Capability("alert.publish", "self", PublishInput, partial(publish, codec)),
        Capability("alert.cancel", "self", AlertRef, partial(cancel, codec)),
        Capability("alert.cosign", "self", AlertRef, partial(cosign, codec)),
        Capability("alert.ack", "self", AckInput, partial(ack, codec)),
        Capability("alert.import", "self", ImportInput, partial(import_cap, codec)),
        Capability("alert.export", "member", AlertRef, partial(export_cap, codec)),
        Capability("alert.list", "member", ListInput, partial(list_alerts, codec)),
        Capability("alert.show", "member", AlertRef, partial(show, codec)),
        Capability("role.declare_root", "self", a.RootDeclared, declare_root),
        Capability("role.register", "self", RegisterInput, partial(register_role, codec)),
        Capability("role.revoke", "self", a.RoleRevoked, partial(revoke_role, codec)),
        Capability("role.list", "member", ListInput, partial(list_roles, codec)),
    )


def reactions(codec: CapCodec) -> Reactions:
    """Acknowledge receipt; witness other nodes' alert activity."""
    return Reactions(
        on_views_updated=(partial(acknowledge_receipt, codec), partial(witness, codec))
    )
