"""The CAP vectors of ../shared/vectors/cap/, each as its README says: valid 1.2 alerts import
and export with every field kept and pass the OASIS schema; 1.1 alerts are read as 1.2 by
decision; invalid and rule-breaking ones are refused with the reason named; the hostile one is
refused with no file read and no network access attempted."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import xmlschema

from hearthnet.adapters import cap_xml
from hearthnet.adapters.cap_xml import CapRefused

VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors" / "cap"
OASIS = xmlschema.XMLSchema(str(VECTORS / "cap12.xsd"))


@pytest.mark.parametrize(
    "name",
    ["43b080713727.cap", "canada.cap", "earthquake.cap", "no_optional_fields.cap", "weather.cap"],
)
def test_valid_alerts_import_and_export_with_every_field(name: str) -> None:
    message = cap_xml.parse((VECTORS / name).read_bytes())
    exported = cap_xml.write(message)
    OASIS.validate(exported.decode())
    assert cap_xml.parse(exported) == message
    if name in ("43b080713727.cap", "canada.cap"):
        OASIS.validate(str(VECTORS / name))


def test_the_dhs_alert_keeps_its_fields() -> None:
    message = cap_xml.parse((VECTORS / "43b080713727.cap").read_bytes())
    assert (message.identifier, message.sender, message.sent) == (
        "43b080713727",
        "hsas@dhs.gov",
        "2003-04-02T14:39:01-05:00",
    )
    [info] = message.infos
    assert (info.severity, info.parameters[0].value, info.resources[0].mime_type) == (
        "Severe",
        "ORANGE",
        "image/gif",
    )


def test_cap_1_1_is_read_as_1_2() -> None:
    message = cap_xml.parse((VECTORS / "earthquake.cap").read_bytes())
    assert b"urn:oasis:names:tc:emergency:cap:1.2" in cap_xml.write(message)


def test_a_message_without_scope_fails_the_schema() -> None:
    with pytest.raises(CapRefused, match=r"schema.*scope"):
        cap_xml.parse((VECTORS / "invalid.cap").read_bytes())


@pytest.mark.parametrize(
    ("name", "rule"), [("canada_errors.cap", "references"), ("noaa_errors.cap", "urgency")]
)
def test_broken_rules_are_named(name: str, rule: str) -> None:
    with pytest.raises(CapRefused, match=rule):
        cap_xml.parse((VECTORS / name).read_bytes())


def test_sent_in_z_form_breaks_a_rule() -> None:
    text = (VECTORS / "43b080713727.cap").read_text().replace("14:39:01-05:00", "19:39:01Z")
    with pytest.raises(CapRefused, match="sent"):
        cap_xml.parse(text.encode())


def test_the_hostile_message_reads_no_file_and_opens_no_connection() -> None:
    seen: list[tuple[str, object]] = []
    watching = [True]

    def hook(event: str, args: tuple[object, ...]) -> None:
        if watching[0] and event in (
            "open",
            "socket.connect",
            "socket.getaddrinfo",
            "urllib.Request",
        ):
            seen.append((event, args[0] if args else None))

    hostile = (VECTORS / "xee.cap").read_bytes()
    cap_xml.schema()  # loaded before watching: the package's own schema file
    sys.addaudithook(hook)
    try:
        with pytest.raises(CapRefused, match="hostile"):
            cap_xml.parse(hostile)
    finally:
        watching[0] = False
    assert seen == []


def test_an_inflating_body_is_refused() -> None:
    import zlib

    with pytest.raises(CapRefused, match="inflates"):
        cap_xml.unpack(zlib.compress(b" " * (10 * 1024 * 1024)))
