"""CAP 1.2 XML in and out: hardened parsing, schema validation, and canonical writing.

Parsing refuses any DTD, entity or external reference before a byte of it is acted on
(defusedxml over the standard expat parser: no network, no file access), then validates
against the OASIS CAP 1.2 schema kept in this package. CAP 1.1 is read by decision as 1.2
when, with its namespace moved, it passes the 1.2 schema (ADR 0019).
"""

from __future__ import annotations

import functools
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET  # type: ignore[import-untyped]
import msgspec
from defusedxml import DefusedXmlException

from hearthnet.domain import cap
from hearthnet.domain.alerts import MAX_CAP_BYTES

if TYPE_CHECKING:
    import xmlschema

SCHEMA_PATH = Path(__file__).with_name("schemas") / "cap12.xsd"
_NS = "{" + cap.NAMESPACE + "}"

_LISTS = {
    "code": "codes",
    "info": "infos",
    "category": "categories",
    "responseType": "response_types",
    "eventCode": "event_codes",
    "parameter": "parameters",
    "resource": "resources",
    "area": "areas",
    "polygon": "polygons",
    "circle": "circles",
    "geocode": "geocodes",
}
_ORDER = {
    "alert": (
        "identifier",
        "sender",
        "sent",
        "status",
        "msgType",
        "source",
        "scope",
        "restriction",
        "addresses",
        "code",
        "note",
        "references",
        "incidents",
        "info",
    ),
    "info": (
        "language",
        "category",
        "event",
        "responseType",
        "urgency",
        "severity",
        "certainty",
        "audience",
        "eventCode",
        "effective",
        "onset",
        "expires",
        "senderName",
        "headline",
        "description",
        "instruction",
        "web",
        "contact",
        "parameter",
        "resource",
        "area",
    ),
    "resource": ("resourceDesc", "mimeType", "size", "uri", "derefUri", "digest"),
    "area": ("areaDesc", "polygon", "circle", "geocode", "altitude", "ceiling"),
    "pair": ("valueName", "value"),
}
_CHILD = {
    "info": "info",
    "resource": "resource",
    "area": "area",
    "eventCode": "pair",
    "parameter": "pair",
    "geocode": "pair",
}


class CapRefused(ValueError):
    """A CAP message that is not taken in; the message says why."""


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """The OASIS CAP 1.2 schema (loaded once, resolving nothing outside this package)."""
    import xmlschema  # a quarter second to import: only commands that validate pay it

    return xmlschema.XMLSchema(
        SCHEMA_PATH.read_text(encoding="utf-8"), allow="none", defuse="always"
    )


def _snake(name: str) -> str:
    return _LISTS.get(name) or "".join("_" + c.lower() if c.isupper() else c for c in name)


def _read(element: ET.Element) -> dict[str, Any] | str:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    data: dict[str, Any] = {}
    for child in children:
        if not child.tag.startswith(_NS):
            continue
        name = child.tag[len(_NS) :]
        value = _read(child)
        if name in _LISTS:
            data.setdefault(_LISTS[name], []).append(value)
        else:
            data[_snake(name)] = value
    return data


def parse(data: bytes, *, validate: bool = True) -> cap.Alert:
    """Read one CAP message; raise CapRefused with the reason (schema, rule or hostility)."""
    if len(data) > MAX_CAP_BYTES:
        raise CapRefused(f"the message is {len(data)} bytes, the limit is {MAX_CAP_BYTES}")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise CapRefused(
            f"refused hostile XML (DTD, entity or external reference): {exc}"
        ) from None
    except ET.ParseError as exc:
        raise CapRefused(f"not well-formed XML: {exc}") from None
    if root.tag == "{" + cap.NAMESPACE_1_1 + "}alert":
        for element in root.iter():
            if element.tag.startswith("{" + cap.NAMESPACE_1_1 + "}"):
                element.tag = _NS + element.tag.split("}", 1)[1]
    if root.tag != _NS + "alert":
        raise CapRefused(f"not a CAP 1.2 or 1.1 alert (root element {root.tag})")
    if validate:
        error = next(schema().iter_errors(root, use_location_hints=False), None)
        if error is not None:
            raise CapRefused(f"fails the CAP 1.2 schema: {_schema_reason(error)}")
    fields = _read(root)
    try:
        message = msgspec.convert(fields, cap.Alert)
    except msgspec.ValidationError as exc:
        raise CapRefused(f"not a CAP message: {exc}") from None
    broken = cap.rule_violations(message)
    if broken:
        raise CapRefused("breaks the CAP 1.2 rules: " + "; ".join(broken))
    return message


def _schema_reason(error: xmlschema.XMLSchemaValidationError) -> str:
    where = (error.path or "").replace(_NS, "")
    return f"{where}: {error.reason}" if where else str(error.reason)


def _write(parent: ET.Element, kind: str, data: dict[str, Any]) -> None:
    for name in _ORDER[kind]:
        value = data.get(_snake(name))
        if value is None:
            continue
        for item in value if name in _LISTS else [value]:
            child = ET.SubElement(parent, _NS + name)
            if isinstance(item, dict):
                _write(child, _CHILD[name], item)
            else:
                child.text = _text(item)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write(message: cap.Alert) -> bytes:
    """The message as CAP 1.2 XML (elements in the schema's order, UTF-8)."""
    root = ET.Element(_NS + "alert")
    _write(root, "alert", msgspec.to_builtins(message))
    ET.register_namespace("", cap.NAMESPACE)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def check_written(xml: bytes) -> None:
    """Raise CapRefused unless XML this node wrote passes the schema and the rules."""
    parse(xml)


def pack(xml: bytes) -> bytes:
    """Compress CAP XML for an event body."""
    return zlib.compress(xml, 9)


def unpack(packed: bytes) -> bytes:
    """Decompress an event's CAP XML, refusing anything over MAX_CAP_BYTES."""
    inflater = zlib.decompressobj()
    try:
        xml = inflater.decompress(packed, MAX_CAP_BYTES + 1)
    except zlib.error as exc:
        raise CapRefused(f"not compressed CAP: {exc}") from None
    if len(xml) > MAX_CAP_BYTES or inflater.unconsumed_tail:
        raise CapRefused(f"the message inflates past {MAX_CAP_BYTES} bytes")
    return xml


def parse_packed(packed: bytes) -> cap.Alert:
    """The fold's reader of an event's CAP message: hardened, without the schema pass (the
    publishing node validated it; the model's types and the rules still apply)."""
    return parse(unpack(packed), validate=False)
