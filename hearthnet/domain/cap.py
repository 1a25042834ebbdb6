"""An OASIS CAP 1.2 message as data: every element of the standard, in its order.

Names follow CAP's element names; lists are CAP's repeatable elements. Times stay the text CAP
carries (`2003-04-02T14:39:01-05:00`), so that an imported message exports unchanged. The rules
of the CAP text that its schema cannot express are in `rule_violations`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
NAMESPACE_1_1 = "urn:oasis:names:tc:emergency:cap:1.1"

Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
MsgType = Literal["Alert", "Update", "Cancel", "Ack", "Error"]
Scope = Literal["Public", "Restricted", "Private"]
Category = Literal[
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
]
ResponseType = Literal[
    "Shelter",
    "Evacuate",
    "Prepare",
    "Execute",
    "Avoid",
    "Monitor",
    "Assess",
    "AllClear",
    "None",
]
Urgency = Literal["Immediate", "Expected", "Future", "Past", "Unknown"]
Severity = Literal["Extreme", "Severe", "Moderate", "Minor", "Unknown"]
Certainty = Literal["Observed", "Likely", "Possible", "Unlikely", "Unknown"]
SEVERITY_ORDER: tuple[Severity, ...] = ("Unknown", "Minor", "Moderate", "Severe", "Extreme")
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Short = Annotated[str, msgspec.Meta(max_length=400)]


class Pair(msgspec.Struct, frozen=True, kw_only=True):
    """A `valueName`/`value` pair (eventCode, parameter, geocode)."""

    value_name: Short
    value: Short


class Resource(msgspec.Struct, frozen=True, kw_only=True):
    """A file that goes with an info block (referenced, never embedded here)."""

    resource_desc: Short
    mime_type: Short
    size: int | None = None
    uri: Short | None = None
    deref_uri: Text | None = None
    digest: Short | None = None


class Area(msgspec.Struct, frozen=True, kw_only=True):
    """Where an info block applies."""

    area_desc: Short
    polygons: list[Text] = []
    circles: list[Short] = []
    geocodes: list[Pair] = []
    altitude: float | None = None
    ceiling: float | None = None


class Info(msgspec.Struct, frozen=True, kw_only=True):
    """One info block: what happens, how bad, what to do, where."""

    language: Short | None = None
    categories: Annotated[list[Category], msgspec.Meta(min_length=1)]
    event: Short
    response_types: list[ResponseType] = []
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    audience: Short | None = None
    event_codes: list[Pair] = []
    effective: Short | None = None
    onset: Short | None = None
    expires: Short | None = None
    sender_name: Short | None = None
    headline: Short | None = None
    description: Text | None = None
    instruction: Text | None = None
    web: Short | None = None
    contact: Short | None = None
    parameters: list[Pair] = []
    resources: list[Resource] = []
    areas: list[Area] = []


class Alert(msgspec.Struct, frozen=True, kw_only=True):
    """One CAP 1.2 message."""

    identifier: Short
    sender: Short
    sent: Short
    status: Status
    msg_type: MsgType
    source: Short | None = None
    scope: Scope
    restriction: Short | None = None
    addresses: Short | None = None
    codes: list[Short] = []
    note: Text | None = None
    references: Text | None = None
    incidents: Short | None = None
    infos: list[Info] = []

    @property
    def severity(self) -> Severity:
        """The highest severity of its info blocks."""
        ranks = [SEVERITY_ORDER.index(i.severity) for i in self.infos]
        return SEVERITY_ORDER[max(ranks, default=0)]

    @property
    def headline(self) -> str:
        """The first info block's headline, else its event."""
        if not self.infos:
            return self.note or self.msg_type
        return self.infos[0].headline or self.infos[0].event


def reference(alert: Alert) -> str:
    """How other messages reference this one: `sender,identifier,sent`."""
    return f"{alert.sender},{alert.identifier},{alert.sent}"


def referenced(alert: Alert) -> list[str]:
    """The `sender,identifier,sent` triples this message references."""
    return (alert.references or "").split()


def parse_time(text: str) -> int:
    """A CAP time as ms since the epoch (ValueError unless it has a numeric offset)."""
    if text.endswith("Z") or len(text) < 25:
        raise ValueError(f"{text!r} is not a CAP time (YYYY-MM-DDThh:mm:ss with an offset)")
    when = datetime.fromisoformat(text)
    if when.tzinfo is None:
        raise ValueError(f"{text!r} has no offset")
    return int(when.timestamp() * 1000)


def rule_violations(alert: Alert) -> list[str]:
    """The CAP 1.2 rules its schema cannot express that this message breaks."""
    problems: list[str] = []
    times = [("sent", alert.sent)]
    for i in alert.infos:
        times += [
            (n, t)
            for n, t in (("effective", i.effective), ("onset", i.onset), ("expires", i.expires))
            if t is not None
        ]
    for name, text in times:
        try:
            parse_time(text)
        except ValueError:
            problems.append(f"{name} must carry a numeric offset, not Z ({text!r})")
    if alert.references is not None and not referenced(alert):
        problems.append("references must not be empty")
    if alert.scope == "Restricted" and not (alert.restriction or "").strip():
        problems.append("a Restricted message needs a restriction")
    if alert.scope == "Private" and not (alert.addresses or "").strip():
        problems.append("a Private message needs addresses")
    if alert.msg_type in ("Update", "Cancel", "Ack", "Error") and not referenced(alert):
        problems.append(f"a {alert.msg_type} message must reference what it is about")
    for ref in referenced(alert):
        if ref.count(",") != 2:
            problems.append(f"reference {ref!r} is not sender,identifier,sent")
    for text in (alert.identifier, alert.sender):
        if not text or any(c in text for c in " ,<&"):
            problems.append(
                f"identifier and sender must not contain spaces, commas, < or &: {text!r}"
            )
    return problems
