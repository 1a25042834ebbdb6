"""Civil-defence alerts: role certificates under a trust root, CAP messages as events, the
two-person rule, acknowledgements, checkpoints, and the one fold that decides them all.

Every decision is made by `AlertBook`, folding the civil-defence events in (lamport, id) order:
an event is judged against what precedes it in that order, so every node holding the same
events decides the same, and an auditor replaying a node's log reaches the same verdicts.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from hearthnet.domain import cap
from hearthnet.domain.community import COMMUNITY_CREATED, MEMBER_INVITED, MemberInvited
from hearthnet.domain.types import InvalidIdentifier, TimeMs, node_id, parse_node_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from hearthnet.domain.ports import Verify

ROOT_DECLARED = "civdef.root.declared"
ROLE_REGISTERED = "civdef.role.registered"
ROLE_REVOKED = "civdef.role.revoked"
ALERT_PUBLISHED = "civdef.alert.published"
ALERT_MIRRORED = "civdef.alert.mirrored"
ALERT_COSIGNED = "civdef.alert.cosigned"
ALERT_ACKED = "civdef.alert.acked"
CHECKPOINTED = "civdef.audit.checkpointed"
PRIORITY_TYPES = (
    ROOT_DECLARED,
    ROLE_REGISTERED,
    ROLE_REVOKED,
    ALERT_PUBLISHED,
    ALERT_MIRRORED,
    ALERT_COSIGNED,
    ALERT_ACKED,
)
"""What sync reconciles and moves before anything else."""
FOLDED_TYPES = (*PRIORITY_TYPES, CHECKPOINTED, COMMUNITY_CREATED, MEMBER_INVITED)

CERT_CONTEXT = b"hearthnet/role-certificate/v1\x00"
REVOCATION_CONTEXT = b"hearthnet/role-revocation/v1\x00"
REGION_CODE = "hearthnet-region"
"""The geocode `valueName` that names an area's region (`DE.NRW.Kleve.Issum`)."""
TWO_PERSON: tuple[cap.Severity, ...] = ("Severe", "Extreme")
ACKS_PER_MINUTE = 5
MAX_CAP_BYTES = 64 * 1024
"""The largest CAP message kept (decompressed)."""

HexKey = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
EventIdHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
Role = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=200)]
AckStatus = Literal["received", "acting", "need_help", "standing_down", "mistaken"]
Note = Annotated[str, msgspec.Meta(max_length=280)]
Reason = Annotated[str, msgspec.Meta(max_length=280)]
Signature = Annotated[bytes, msgspec.Meta(min_length=64, max_length=64)]
CompressedCap = Annotated[bytes, msgspec.Meta(min_length=1, max_length=7000)]


class RoleCertificate(msgspec.Struct, frozen=True, kw_only=True):
    """A trust root (or an issuer it delegated to) says: this node holds this role."""

    holder: str
    role: Role
    region: Role
    severities: list[cap.Severity]
    statuses: list[cap.Status]
    may_cosign: bool = True
    may_issue: bool = False
    issuer: HexKey
    issued_at: TimeMs
    not_before: TimeMs
    not_after: TimeMs
    signature: Signature | None = None


def certificate_bytes(cert: RoleCertificate) -> bytes:
    """What the issuer signs: a context tag and the certificate without its signature."""
    return CERT_CONTEXT + msgspec.msgpack.encode(msgspec.structs.replace(cert, signature=None))


def cert_id(cert: RoleCertificate) -> str:
    """A certificate's id: SHA-256 of what its issuer signed."""
    return hashlib.sha256(certificate_bytes(cert)).hexdigest()


def revocation_bytes(cert: str, reason: str, revoked_at: int) -> bytes:
    """What an issuer signs to revoke a certificate."""
    return REVOCATION_CONTEXT + msgspec.msgpack.encode([cert, reason, revoked_at])


class RootDeclared(msgspec.Struct, frozen=True, kw_only=True):
    """The founder names a regional trust root's public key (counted from the founder only)."""

    root_key: HexKey
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""


class RoleRegistered(msgspec.Struct, frozen=True, kw_only=True):
    """A role certificate put on the log (a renewal is a new certificate)."""

    certificate: RoleCertificate


class RoleRevoked(msgspec.Struct, frozen=True, kw_only=True):
    """A certificate's issuer (or a trust root) withdraws it."""

    cert_id: HexKey
    reason: Reason = ""
    revoked_at: TimeMs
    signer: HexKey
    signature: Signature


class AlertPublished(msgspec.Struct, frozen=True, kw_only=True):
    """A CAP 1.2 message (Alert, Update or Cancel), zlib-compressed, under a certificate."""

    cap: CompressedCap
    cert_id: HexKey


class AlertMirrored(msgspec.Struct, frozen=True, kw_only=True):
    """An official CAP message imported as it arrived: the original bytes and their hash."""

    cap: CompressedCap
    sha256: HexKey
    via: Literal["file", "feed"]
    source: Annotated[str, msgspec.Meta(max_length=400)]
    cert_id: HexKey


class AlertCosigned(msgspec.Struct, frozen=True, kw_only=True):
    """A second role holder countersigns an alert (the two-person rule)."""

    alert_event_id: EventIdHex
    cert_id: HexKey


class AlertAcked(msgspec.Struct, frozen=True, kw_only=True):
    """A node's answer to an alert: a CAP Ack referencing it."""

    alert_event_id: EventIdHex
    status: AckStatus
    note: Note = ""
    automatic: bool = False


class Head(msgspec.Struct, frozen=True, array_like=True):
    """One author's feed head as a checkpoint witnessed it."""

    author: HexKey
    seq: int
    event_id: EventIdHex


class Checkpointed(msgspec.Struct, frozen=True, kw_only=True):
    """A node signs the heads of the feeds it holds: every event up to them existed by now."""

    heads: Annotated[list[Head], msgspec.Meta(max_length=100)]


EVENTS: dict[str, type[msgspec.Struct]] = {
    ROOT_DECLARED: RootDeclared,
    ROLE_REGISTERED: RoleRegistered,
    ROLE_REVOKED: RoleRevoked,
    ALERT_PUBLISHED: AlertPublished,
    ALERT_MIRRORED: AlertMirrored,
    ALERT_COSIGNED: AlertCosigned,
    ALERT_ACKED: AlertAcked,
    CHECKPOINTED: Checkpointed,
}


@dataclass(frozen=True)
class Fact:
    """One stored event as the fold needs it."""

    event_id: str
    author: str
    """The author's key in hex."""
    seq: int
    lamport: int
    ts: int
    type: str
    body: bytes
    sig: str = ""


@dataclass
class Certificate:
    """A registered certificate and what became of it."""

    id: str
    cert: RoleCertificate
    registered: Fact
    refusal: str = ""
    revoked: Fact | None = None
    revoke_reason: str = ""


@dataclass
class Ack:
    """One node's answer to an alert."""

    fact: Fact
    status: str
    note: str
    automatic: bool
    counted: bool = True


@dataclass
class AlertRecord:
    """A CAP message on the log and everything that followed it."""

    fact: Fact
    message: cap.Alert | None
    cert_id: str
    mirrored: dict[str, str] | None = None
    state: str = "active"
    """pending (awaiting a co-signature), active, updated, cancelled, refused, done (a
    Cancel message itself)."""
    refusal: str = ""
    cosigns: list[Fact] = field(default_factory=list)
    counted_from: Fact | None = None
    """The event from which it counts (itself, or the co-signature that completed it)."""
    acks: list[Ack] = field(default_factory=list)
    changed_by: str = ""
    targeted: list[str] = field(default_factory=list)


def region_covers(outer: str, inner: str) -> bool:
    """Whether region `outer` contains `inner` (`DE.NRW.Kleve` covers `DE.NRW.Kleve.Issum`)."""
    return inner == outer or inner.startswith(outer + ".")


def regions_of(message: cap.Alert) -> list[str | None]:
    """Each area's region geocode (None for an area without one)."""
    found: list[str | None] = []
    for info in message.infos:
        for area in info.areas:
            codes = [g.value for g in area.geocodes if g.value_name == REGION_CODE]
            found.append(codes[0] if codes else None)
    return found


class AlertBook:
    """Every civil-defence decision, folded from the events in (lamport, id) order."""

    def __init__(self, founder: str, verify: Verify, parse: Callable[[bytes], cap.Alert]) -> None:
        self.founder = founder
        self._verify = verify
        self._parse = parse
        self.roots: dict[str, Fact] = {}
        self.certs: dict[str, Certificate] = {}
        self.alerts: dict[str, AlertRecord] = {}
        self.by_reference: dict[str, str] = {}
        self.members: list[str] = [founder]
        self.checkpoints: list[tuple[Fact, dict[str, int]]] = []
        self.orphans: list[Fact] = []
        """Co-signatures and acks of alerts that are not on the log."""
        self.unreadable: list[tuple[Fact, str]] = []
        self._acks_at: dict[str, list[int]] = defaultdict(list)

    def fold(self, facts: list[Fact]) -> AlertBook:
        """Fold facts (any order: they are sorted by (lamport, id) first)."""
        for fact in sorted(facts, key=lambda f: (f.lamport, f.event_id)):
            self.apply(fact)
        return self

    def apply(self, fact: Fact) -> None:
        """Fold one fact that comes after every fact folded so far."""
        schema = EVENTS.get(fact.type)
        if fact.type == MEMBER_INVITED:
            invited = _decode(fact.body, MemberInvited)
            if invited is not None:
                self.members.append(key_of(invited.invitee_node_id))
            return
        if schema is None:
            return
        body = _decode(fact.body, schema)
        if body is None:
            self.unreadable.append((fact, f"{fact.type} body does not fit its schema"))
            return
        handler = getattr(self, "_" + fact.type.rsplit(".", 1)[1])
        handler(fact, body)

    def _declared(self, fact: Fact, body: RootDeclared) -> None:
        if fact.author == self.founder and body.root_key not in self.roots:
            self.roots[body.root_key] = fact

    def _registered(self, fact: Fact, body: RoleRegistered) -> None:
        cert = body.certificate
        record = Certificate(cert_id(cert), cert, fact)
        if record.id in self.certs:
            return
        record.refusal = self.issuer_refusal(cert, fact)
        self.certs[record.id] = record

    def issuer_refusal(self, cert: RoleCertificate, fact: Fact) -> str:
        if cert.signature is None or not self._verify(
            bytes.fromhex(cert.issuer), certificate_bytes(cert), cert.signature
        ):
            return "civdef_cert_invalid: the issuer's signature does not verify"
        if cert.not_after <= cert.not_before:
            return "civdef_cert_invalid: it is never valid"
        if cert.issuer in self.roots:
            return ""
        for parent in self.certs.values():
            if (
                key_of(parent.cert.holder) == cert.issuer
                and parent.cert.may_issue
                and not self.cert_refusal(parent.id, cert.issuer, fact.ts)
                and region_covers(parent.cert.region, cert.region)
                and set(cert.severities) <= set(parent.cert.severities)
                and set(cert.statuses) <= set(parent.cert.statuses)
            ):
                return ""
        return "civdef_cert_unrecognised: not issued by a declared trust root or its delegate"

    def _revoked(self, fact: Fact, body: RoleRevoked) -> None:
        record = self.certs.get(body.cert_id)
        if record is None or record.revoked is not None:
            return
        allowed = body.signer == record.cert.issuer or body.signer in self.roots
        message = revocation_bytes(body.cert_id, body.reason, body.revoked_at)
        if allowed and self._verify(bytes.fromhex(body.signer), message, body.signature):
            record.revoked, record.revoke_reason = fact, body.reason

    def cert_refusal(self, cid: str, author: str, ts: int) -> str:
        """Why certificate `cid` does not let `author` act at time `ts` ('' when it does)."""
        record = self.certs.get(cid)
        if record is None:
            return "civdef_cert_invalid: no such certificate is registered"
        if record.refusal:
            return record.refusal
        if key_of(record.cert.holder) != author:
            return "civdef_cert_not_owned: the certificate is another node's"
        if record.revoked is not None:
            return "civdef_role_revoked: the certificate was revoked"
        if not record.cert.not_before <= ts < record.cert.not_after:
            return "civdef_cert_invalid: the certificate is expired or not yet valid"
        return ""

    def judge(self, fact: Fact, message: cap.Alert, cid: str, *, mirrored: bool) -> str:
        """Why this CAP message does not count ('' when it does), as of the facts folded."""
        refusal = self.cert_refusal(cid, fact.author, fact.ts)
        if refusal:
            return refusal
        cert = self.certs[cid].cert
        if message.msg_type not in ("Alert", "Update", "Cancel"):
            return f"civdef_alert_target_invalid: a {message.msg_type} message is not an alert"
        broken = cap.rule_violations(message)
        if broken:
            return "civdef_alert_target_invalid: " + "; ".join(broken)
        if cap.reference(message) in self.by_reference:
            return "duplicate: this sender, identifier and sent are on the log already"
        if message.status not in cert.statuses:
            return f"civdef_cert_out_of_scope: the certificate does not cover {message.status}"
        if message.msg_type != "Cancel":
            bad = [i.severity for i in message.infos if i.severity not in cert.severities]
            if bad or not message.infos:
                return "civdef_cert_out_of_scope: the certificate does not cover " + (
                    bad[0] if bad else "a message without info"
                )
        if not mirrored and message.msg_type != "Cancel":
            for region in regions_of(message) or [None]:
                if region is None:
                    return f"civdef_alert_target_invalid: every area needs a {REGION_CODE} code"
                if not region_covers(cert.region, region):
                    return f"civdef_cert_out_of_scope: {region} is outside {cert.region}"
        for ref in cap.referenced(message) if message.msg_type != "Alert" else ():
            target = self.alerts.get(self.by_reference.get(ref, ""))
            if target is None and mirrored:
                continue  # an official update of a message issued before it was mirrored here
            if target is None:
                return f"civdef_alert_not_found: {ref} is not on the log"
            if target.fact.author != fact.author and not mirrored:
                theirs = self.certs[target.cert_id].cert.region
                if not region_covers(cert.region, theirs):
                    return (
                        "civdef_cert_out_of_scope: only its publisher or a wider region changes it"
                    )
        return ""

    def _published(self, fact: Fact, body: AlertPublished) -> None:
        self._alert(fact, body.cap, body.cert_id, None)

    def _mirrored(self, fact: Fact, body: AlertMirrored) -> None:
        provenance = {"sha256": body.sha256, "via": body.via, "source": body.source}
        self._alert(fact, body.cap, body.cert_id, provenance)

    def _alert(self, fact: Fact, packed: bytes, cid: str, mirrored: dict[str, str] | None) -> None:
        try:
            message = self._parse(packed)
        except ValueError as exc:
            record = AlertRecord(fact, None, cid, mirrored, "refused", f"unreadable CAP: {exc}")
            self.alerts[fact.event_id] = record
            return
        record = AlertRecord(fact, message, cid, mirrored)
        record.refusal = self.judge(fact, message, cid, mirrored=mirrored is not None)
        self.alerts[fact.event_id] = record
        if record.refusal:
            record.state = "refused"
            return
        self.by_reference[cap.reference(message)] = fact.event_id
        record.targeted = self._targets(message)
        if needs_cosign(message):
            record.state = "pending"
        else:
            self._take_effect(record, fact)

    def _targets(self, message: cap.Alert) -> list[str]:
        if message.scope == "Private":
            named = set((message.addresses or "").split())
            return sorted(k for k in self.members if k in named or _node(k) in named)
        return sorted(set(self.members))

    def _take_effect(self, record: AlertRecord, at: Fact) -> None:
        assert record.message is not None
        record.counted_from = at
        record.state = "done" if record.message.msg_type == "Cancel" else "active"
        change = "cancelled" if record.message.msg_type == "Cancel" else "updated"
        for ref in cap.referenced(record.message) if record.message.msg_type != "Alert" else ():
            target = self.alerts.get(self.by_reference.get(ref, ""))
            if target is not None and target.state in ("active", "pending"):
                target.state, target.changed_by = change, record.fact.event_id

    def _cosigned(self, fact: Fact, body: AlertCosigned) -> None:
        record = self.alerts.get(body.alert_event_id)
        if record is None:
            self.orphans.append(fact)
            return
        refusal = self.cert_refusal(body.cert_id, fact.author, fact.ts)
        if refusal or fact.author == record.fact.author:
            return
        if not self.certs[body.cert_id].cert.may_cosign:
            return
        record.cosigns.append(fact)
        if record.state == "pending":
            self._take_effect(record, fact)

    def _acked(self, fact: Fact, body: AlertAcked) -> None:
        record = self.alerts.get(body.alert_event_id)
        if record is None:
            self.orphans.append(fact)
            return
        ack = Ack(fact, body.status, body.note, body.automatic)
        if body.automatic:
            ack.counted = not any(a.fact.author == fact.author and a.automatic for a in record.acks)
        else:
            recent = [t for t in self._acks_at[fact.author] if t > fact.ts - 60_000]
            ack.counted = len(recent) < ACKS_PER_MINUTE
            if ack.counted:
                self._acks_at[fact.author] = [*recent, fact.ts]
        record.acks.append(ack)

    def _checkpointed(self, fact: Fact, body: Checkpointed) -> None:
        self.checkpoints.append((fact, {h.author: h.seq for h in body.heads}))

    def witnessed(self, fact: Fact) -> Fact | None:
        """The first checkpoint by another node that covers this event."""
        for checkpoint, heads in self.checkpoints:
            if checkpoint.author != fact.author and heads.get(fact.author, 0) >= fact.seq:
                return checkpoint
        return None


def needs_cosign(message: cap.Alert) -> bool:
    """The two-person rule: an Actual Severe or Extreme Alert or Update needs a co-signature."""
    return (
        message.status == "Actual"
        and message.msg_type != "Cancel"
        and message.severity in TWO_PERSON
    )


def is_live(record: AlertRecord, now_ms: int) -> bool:
    """Whether an alert is in force at `now_ms`: active, and not every info expired."""
    if record.state != "active" or record.message is None:
        return False
    expiries = [i.expires for i in record.message.infos]
    if any(e is None for e in expiries):
        return True
    return max(cap.parse_time(e) for e in expiries if e is not None) > now_ms


def _decode(raw: bytes, schema: type[Any]) -> Any:
    try:
        return msgspec.msgpack.decode(raw, type=schema)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def key_of(node: str) -> str:
    """A node id (`ed25519:<b64url>`) as a hex key ('' when it does not parse)."""
    try:
        return parse_node_id(node).hex()
    except InvalidIdentifier:
        return ""


def _node(key_hex: str) -> str:
    return node_id(bytes.fromhex(key_hex))
