"""What a hostile member tries against civil-defence alerts, written straight into the log
(as a modified node would): alerting under another's certificate, naming its own trust root,
issuing itself a role, a compression bomb or broken XML as an alert, a flood of answers. The
fold refuses each, every node alike, and the node goes on."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

import msgspec

from hearthnet.adapters import cap_xml
from hearthnet.adapters.crypto import NaclSigner
from hearthnet.domain import alerts as a
from hearthnet.domain.bodies import encode_body
from hearthnet.services.alerts import PublishInput, compose
from tests.integration.test_alerts import ROOT, bus, certificate, with_roles
from tests.integration.test_e2e_keys import running
from tests.integration.test_governance import join, write
from tests.unit.test_cap_vectors import VECTORS

if TYPE_CHECKING:
    from pathlib import Path

FORM = PublishInput(
    event="Giftgas", severity="Moderate", area_desc="Issum", region="DE.NRW.Kleve.Issum"
)


def packed(sender: str, **over: object) -> bytes:
    message = msgspec.structs.replace(compose(FORM, sender, None), **over)
    return cap_xml.pack(cap_xml.write(message))


async def states(runtime: object) -> dict[str, tuple[str, str]]:
    shown = (await bus(runtime, "alert.list", {}))["alerts"]  # type: ignore[arg-type]
    return {x["event_id"]: (x["state"], x["refusal"]) for x in shown}


async def test_alerts_under_another_certificate_or_a_self_made_role_do_not_count(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        mallory = await join(runtime, 51, "Mallory")
        await with_roles(runtime)
        roles = (await bus(runtime, "role.list", {}))["roles"]
        founder_cert = roles[0]["cert_id"]
        stolen = a.AlertPublished(cap=packed(mallory.id), cert_id=founder_cert)
        first = await write(runtime, mallory, a.ALERT_PUBLISHED, encode_body(stolen))
        own_root = NaclSigner(bytes([7]) * 32)
        declared = a.RootDeclared(root_key=own_root.public_key.hex())
        await write(runtime, mallory, a.ROOT_DECLARED, encode_body(declared))
        forged = certificate(mallory.id, issuer=own_root)
        await write(
            runtime, mallory, a.ROLE_REGISTERED, encode_body(a.RoleRegistered(certificate=forged))
        )
        second = await write(
            runtime,
            mallory,
            a.ALERT_PUBLISHED,
            encode_body(a.AlertPublished(cap=packed(mallory.id), cert_id=a.cert_id(forged))),
        )
        found = await states(runtime)
        assert found[first] == (
            "refused",
            "civdef_cert_not_owned: the certificate is another node's",
        )
        assert found[second][0] == "refused" and "civdef_cert_unrecognised" in found[second][1]
        assert (await bus(runtime, "role.list", {}))["roots"] == [ROOT.public_key.hex()]
        assert not (await bus(runtime, "alert.list", {"live_only": True}))["alerts"]


async def test_bombs_and_broken_xml_are_refused_and_the_node_goes_on(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        bert = await join(runtime, 52, "Bert")
        await with_roles(runtime, bert)
        cid = next(
            r["cert_id"]
            for r in (await bus(runtime, "role.list", {}))["roles"]
            if r["holder"] == bert.id
        )
        bomb = zlib.compress(b"<" * (20 * 1024 * 1024), 9)[:6000]
        broken = zlib.compress(b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><oops")
        hostile = zlib.compress((VECTORS / "xee.cap").read_bytes())
        ids = []
        for body in (bomb, broken, hostile):
            alert = a.AlertPublished(cap=body, cert_id=cid)
            ids.append(await write(runtime, bert, a.ALERT_PUBLISHED, encode_body(alert)))
        for i in ids:
            shown = await bus(runtime, "alert.show", {"alert_event_id": i})
            assert shown["state"] == "refused" and "unreadable CAP" in shown["refusal"], shown
        ok = await bus(
            runtime,
            "alert.publish",
            {"event": "Test", "severity": "Minor", "area_desc": "Issum", "region": "DE.NRW.Kleve"},
        )
        assert (await states(runtime))[ok["event_id"]][0] == "active"


async def test_a_flood_of_answers_counts_five_a_minute(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        mallory = await join(runtime, 53, "Mallory")
        await with_roles(runtime)
        eid = (
            await bus(
                runtime,
                "alert.publish",
                {
                    "event": "Sturm",
                    "severity": "Minor",
                    "area_desc": "Issum",
                    "region": "DE.NRW.Kleve",
                },
            )
        )["event_id"]
        for k in range(30):
            ack = a.AlertAcked(alert_event_id=eid, status="need_help", note=f"Hilfe {k}")
            await write(runtime, mallory, a.ALERT_ACKED, encode_body(ack))
        shown = await bus(runtime, "alert.show", {"alert_event_id": eid})
        assert shown["acks"]["need_help"] == 5
        assert sum(1 for x in shown["answers"] if not x["counted"]) == 25
        assert (await bus(runtime, "node.status", {}))["node_id"] == runtime.me
