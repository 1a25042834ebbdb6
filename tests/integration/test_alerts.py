"""Civil-defence alerts on a running node: roles under a trust root, the publish checks, the
two-person rule, update and cancel chains, answers, and the audit replay of the log."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from hearthnet.adapters import alert_audit, cap_xml
from hearthnet.adapters.crypto import NaclSigner
from hearthnet.domain import alerts as a
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import node_id, parse_node_id
from tests.integration.test_e2e_keys import running
from tests.integration.test_governance import join, write

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime
    from tests.factories import Author

ROOT = NaclSigner(bytes(range(32)))
DAY = 86_400_000


def certificate(
    holder: str,
    *,
    issuer: NaclSigner = ROOT,
    region: str = "DE.NRW.Kleve",
    severities: tuple[str, ...] = ("Minor", "Moderate", "Severe", "Extreme"),
    statuses: tuple[str, ...] = ("Actual", "Exercise", "Test"),
    valid: tuple[int, int] | None = None,
    may_issue: bool = False,
) -> a.RoleCertificate:
    now = int(time.time() * 1000)
    start, end = valid or (now - DAY, now + DAY)
    cert = a.RoleCertificate(
        holder=holder,
        role=f"{region}.Feuerwehr.Wehrleiter",
        region=region,
        severities=list(severities),  # type: ignore[arg-type]
        statuses=list(statuses),  # type: ignore[arg-type]
        may_issue=may_issue,
        issuer=issuer.public_key.hex(),
        issued_at=start,
        not_before=start,
        not_after=end,
    )
    return msgspec.structs.replace(cert, signature=issuer.sign(a.certificate_bytes(cert)))


async def bus(runtime: NodeRuntime, ref: str, data: dict[str, Any]) -> dict[str, Any]:
    return await runtime.local_bus().call(ref, data)


async def with_roles(runtime: NodeRuntime, *others: Author) -> None:
    """Trust ROOT, and give this node and the others a certificate from it."""
    await bus(runtime, "role.declare_root", {"root_key": ROOT.public_key.hex()})
    for holder in (runtime.me, *(o.id for o in others)):
        cert = msgspec.to_builtins(certificate(holder))
        await bus(runtime, "role.register", {"certificate": cert})


FLOOD = {
    "event": "Hochwasser",
    "severity": "Moderate",
    "area_desc": "Issum, Ortskern",
    "region": "DE.NRW.Kleve.Issum",
    "instruction": "Keller räumen.",
}


async def test_publishing_needs_a_certificate_in_scope(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        with pytest.raises(BusError) as refused:
            await bus(runtime, "alert.publish", FLOOD)
        assert refused.value.code == "civdef_cert_not_owned"
        await with_roles(runtime)
        out = await bus(runtime, "alert.publish", FLOOD)
        assert not out["pending_cosign"]
        with pytest.raises(BusError) as outside:
            await bus(runtime, "alert.publish", {**FLOOD, "region": "DE.NRW.Wesel"})
        assert outside.value.code == "civdef_cert_out_of_scope"
        with pytest.raises(BusError) as no_region:
            await bus(runtime, "alert.publish", {**FLOOD, "region": "DE.NRW"})
        assert no_region.value.code == "civdef_cert_out_of_scope"
        listed = (await bus(runtime, "alert.list", {}))["alerts"]
        assert [x["state"] for x in listed] == ["active"]
        assert listed[0]["live"]


async def test_revoked_expired_and_foreign_certificates_are_refused(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        await bus(runtime, "role.declare_root", {"root_key": ROOT.public_key.hex()})
        now = int(time.time() * 1000)
        old = certificate(runtime.me, valid=(now - 3 * DAY, now - DAY))
        await bus(runtime, "role.register", {"certificate": msgspec.to_builtins(old)})
        with pytest.raises(BusError) as expired:
            await bus(runtime, "alert.publish", {**FLOOD, "cert_id": a.cert_id(old)})
        assert expired.value.code == "civdef_cert_invalid"
        stranger = certificate(runtime.me, issuer=NaclSigner(bytes(32)))
        with pytest.raises(BusError) as foreign:
            await bus(runtime, "role.register", {"certificate": msgspec.to_builtins(stranger)})
        assert foreign.value.code == "civdef_cert_unrecognised"
        good = certificate(runtime.me)
        await bus(runtime, "role.register", {"certificate": msgspec.to_builtins(good)})
        signature = ROOT.sign(a.revocation_bytes(a.cert_id(good), "lost device", now))
        revocation = {
            "cert_id": a.cert_id(good),
            "reason": "lost device",
            "revoked_at": now,
            "signer": ROOT.public_key.hex(),
            "signature": signature,
        }
        await bus(runtime, "role.revoke", msgspec.to_builtins(revocation))
        with pytest.raises(BusError) as revoked:
            await bus(runtime, "alert.publish", {**FLOOD, "cert_id": a.cert_id(good)})
        assert revoked.value.code == "civdef_role_revoked"
        roles = (await bus(runtime, "role.list", {}))["roles"]
        assert {r["state"] for r in roles} == {"revoked", "invalid"}


async def test_severe_actual_alerts_wait_for_a_second_role_holder(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        bert = await join(runtime, 41, "Bert", "trusted")
        mallory = await join(runtime, 42, "Mallory")
        await with_roles(runtime, bert)
        out = await bus(runtime, "alert.publish", {**FLOOD, "severity": "Extreme"})
        assert out["pending_cosign"]
        eid = out["event_id"]
        shown = await bus(runtime, "alert.show", {"alert_event_id": eid})
        assert shown["state"] == "pending" and not shown["live"]
        with pytest.raises(BusError):
            await bus(runtime, "alert.cosign", {"alert_event_id": eid})  # not its own
        # a member without a role co-signs under Bert's certificate: it does not count
        bert_cert = next(
            r["cert_id"]
            for r in (await bus(runtime, "role.list", {}))["roles"]
            if r["holder"] == bert.id
        )
        forged = a.AlertCosigned(alert_event_id=eid, cert_id=bert_cert)
        await write(runtime, mallory, a.ALERT_COSIGNED, encode_body(forged))
        shown = await bus(runtime, "alert.show", {"alert_event_id": eid})
        assert shown["state"] == "pending" and shown["cosigned_by"] == []
        await write(runtime, bert, a.ALERT_COSIGNED, encode_body(forged))
        shown = await bus(runtime, "alert.show", {"alert_event_id": eid})
        assert shown["state"] == "active" and shown["cosigned_by"] == [bert.id]
        exercise = await bus(
            runtime, "alert.publish", {**FLOOD, "severity": "Extreme", "status": "Exercise"}
        )
        assert not exercise["pending_cosign"]


async def test_updates_and_cancels_reference_what_they_change(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        await with_roles(runtime)
        first = await bus(runtime, "alert.publish", FLOOD)
        update = await bus(
            runtime,
            "alert.publish",
            {**FLOOD, "headline": "Pegel steigt", "updates": first["event_id"]},
        )
        states = {x["event_id"]: x for x in (await bus(runtime, "alert.list", {}))["alerts"]}
        assert states[first["event_id"]]["state"] == "updated"
        assert states[update["event_id"]]["msg_type"] == "Update"
        assert states[update["event_id"]]["references"]
        await bus(runtime, "alert.cancel", {"alert_event_id": update["event_id"]})
        states = {x["event_id"]: x for x in (await bus(runtime, "alert.list", {}))["alerts"]}
        assert states[update["event_id"]]["state"] == "cancelled"
        assert not (await bus(runtime, "alert.list", {"live_only": True}))["alerts"]
        xml = (await bus(runtime, "alert.export", {"alert_event_id": first["event_id"]}))["xml"]
        assert cap_xml.parse(xml.encode()).infos[0].areas[0].area_desc == "Issum, Ortskern"


async def test_answers_are_rate_limited(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        await with_roles(runtime)
        eid = (await bus(runtime, "alert.publish", FLOOD))["event_id"]
        for status in ("received", "acting", "need_help", "standing_down", "mistaken"):
            await bus(runtime, "alert.ack", {"alert_event_id": eid, "status": status})
        with pytest.raises(BusError) as limited:
            await bus(runtime, "alert.ack", {"alert_event_id": eid, "status": "acting"})
        assert limited.value.code == "civdef_ack_rate_limited"
        shown = await bus(runtime, "alert.show", {"alert_event_id": eid})
        assert sum(shown["acks"].values()) == 5


async def test_the_audit_replays_the_log_and_names_an_altered_answer(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        bert = await join(runtime, 43, "Bert", "trusted")
        await with_roles(runtime, bert)
        eid = (await bus(runtime, "alert.publish", {**FLOOD, "severity": "Severe"}))["event_id"]
        await write(
            runtime,
            bert,
            a.ALERT_COSIGNED,
            encode_body(
                a.AlertCosigned(
                    alert_event_id=eid,
                    cert_id=_cert_of(await bus(runtime, "role.list", {}), bert.id),
                )
            ),
        )
        ack = a.AlertAcked(alert_event_id=eid, status="acting", note="Pumpe unterwegs")
        ack_id = await write(runtime, bert, a.ALERT_ACKED, encode_body(ack))
        founder = parse_node_id(runtime.community)
        report, _ = alert_audit.audit_alerts(runtime.node.log, founder)
        assert not report["problems"]
        [alert] = report["alerts"]
        assert alert["state"] == "active" and alert["counts_from"]["node"] == bert.id
        assert alert["certificate"]["role"] == "DE.NRW.Kleve.Feuerwehr.Wehrleiter"
        assert [x["status"] for x in alert["answers"]] == ["acting"]
        published = datetime.fromisoformat(alert["published"]["claimed_at"]).timestamp()
        before, _ = alert_audit.audit_alerts(
            runtime.node.log, founder, as_of_ms=int(published * 1000) - 1
        )
        assert before["alerts"] == [] and before["roles"]
    from hearthnet.bootstrap import open_node

    node = open_node(tmp_path)
    try:
        _, first = alert_audit.audit_alerts(node.log, founder)
        _, again = alert_audit.audit_alerts(node.log, founder)
    finally:
        node.close()
    assert first == again, "a stopped node's log gives one report"
    _alter_note(tmp_path, ack_id)
    node = open_node(tmp_path)
    try:
        report, _ = alert_audit.audit_alerts(node.log, founder)
    finally:
        node.close()
    assert [p["event_id"] for p in report["problems"]] == [ack_id]
    assert report["alerts"][0]["answers"] == []


def _cert_of(roles: dict[str, Any], holder: str) -> str:
    return str(next(r["cert_id"] for r in roles["roles"] if r["holder"] == holder))


def _alter_note(home: Path, event_id: str) -> None:
    """Change one stored answer's note in place, as a tamperer with the file would."""
    import sqlite3

    db = sqlite3.connect(home / "log.sqlite")
    with db:
        rows = db.execute(
            "SELECT e.rowid, e.state FROM hearthnet_events e JOIN event_index i ON "
            "i.originator_id = e.originator_id AND i.originator_version = e.originator_version "
            "WHERE i.id = ?",
            (bytes.fromhex(event_id),),
        ).fetchall()
        [(rowid, state)] = rows
        db.execute(
            "UPDATE hearthnet_events SET state = ? WHERE rowid = ?",
            (bytes(state).replace(b"Pumpe", b"Leute"), rowid),
        )
    db.close()


async def test_an_answer_exports_as_a_cap_ack_referencing_the_alert(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        await with_roles(runtime)
        eid = (await bus(runtime, "alert.publish", FLOOD))["event_id"]
        answer = await bus(
            runtime,
            "alert.ack",
            {"alert_event_id": eid, "status": "need_help", "note": "Keller voll"},
        )
        alert = cap_xml.parse(
            (await bus(runtime, "alert.export", {"alert_event_id": eid}))["xml"].encode()
        )
        xml = (await bus(runtime, "alert.export", {"alert_event_id": answer["event_id"]}))["xml"]
    ack = cap_xml.parse(xml.encode())
    assert (ack.msg_type, ack.sender, ack.note) == ("Ack", runtime.me, "need_help: Keller voll")
    assert ack.references == f"{alert.sender},{alert.identifier},{alert.sent}"


async def test_a_delegated_issuer_certifies_within_its_own_region(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        bert = await join(runtime, 44, "Bert", "trusted")
        await bus(runtime, "role.declare_root", {"root_key": ROOT.public_key.hex()})
        kreis = NaclSigner(bytes([9]) * 32)
        delegate = certificate(node_id(kreis.public_key), region="DE.NRW.Kleve", may_issue=True)
        await bus(runtime, "role.register", {"certificate": msgspec.to_builtins(delegate)})
        inside = certificate(bert.id, issuer=kreis, region="DE.NRW.Kleve.Issum")
        await bus(runtime, "role.register", {"certificate": msgspec.to_builtins(inside)})
        outside = certificate(bert.id, issuer=kreis, region="DE.NRW.Wesel")
        with pytest.raises(BusError) as refused:
            await bus(runtime, "role.register", {"certificate": msgspec.to_builtins(outside)})
        assert refused.value.code == "civdef_cert_unrecognised"
        states = {r["region"]: r["state"] for r in (await bus(runtime, "role.list", {}))["roles"]}
        assert states == {"DE.NRW.Kleve": "active", "DE.NRW.Kleve.Issum": "active"}
