"""Capabilities: `name@major.minor`, version negotiation, descriptors and the error taxonomy."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

import msgspec

Trust = Literal["member", "trusted", "anchor", "self"]
LEVEL_FOR_TRUST: dict[str, frozenset[str]] = {
    "member": frozenset({"self", "anchor", "trusted", "member"}),
    "trusted": frozenset({"self", "anchor", "trusted"}),
    "anchor": frozenset({"self", "anchor"}),
    "self": frozenset({"self"}),
}
"""Which caller standings a capability's trust requirement admits."""
_NAME = re.compile(r"^(?P<name>[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)(@(?P<ge>>=)?(?P<v>\d+\.\d+))?$")

ERROR_STATUS: dict[str, int] = {
    "bad_request": 400,
    "schema_mismatch": 400,
    "invalid_signature": 401,
    "unauthorized": 401,
    "clock_skew": 401,
    "revoked": 403,
    "not_found": 404,
    "timeout": 408,
    "expired": 410,
    "rate_limited": 429,
    "capacity_exceeded": 429,
    "internal_error": 500,
    "not_implemented": 501,
    "partition": 503,
    "unsupported_language_pair": 400,
    "civdef_cert_not_owned": 403,
    "civdef_cert_invalid": 403,
    "civdef_cert_unrecognised": 403,
    "civdef_cert_out_of_scope": 403,
    "civdef_role_revoked": 403,
    "civdef_role_invalid": 400,
    "civdef_alert_not_found": 404,
    "civdef_alert_target_invalid": 400,
    "civdef_ack_rate_limited": 429,
}
"""The closed set of wire errors and their HTTP status (SPEC 3.5, and `clock_skew` for a
signed request whose time is too far from the receiver's clock; the civil-defence codes of
SPEC 6.2; `unsupported_language_pair` when no node of the mesh translates between two
languages)."""


class BusError(Exception):
    """A call that failed with one of the wire error codes."""

    def __init__(self, code: str, message: str = "", retry_after_ms: int | None = None) -> None:
        if code not in ERROR_STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message or code)
        self.code, self.message, self.retry_after_ms = code, message or code, retry_after_ms

    @property
    def status(self) -> int:
        """The HTTP status of this error."""
        return ERROR_STATUS[self.code]


class Version(NamedTuple):
    """A capability version: major breaks, minor adds."""

    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def serves(self, asked: Version) -> bool:
        """An offer X.Y serves a request for A.B iff X == A and Y >= B."""
        return self.major == asked.major and self.minor >= asked.minor


class Wanted(NamedTuple):
    """What a caller asks for: a name and, optionally, the least version it accepts."""

    name: str
    version: Version | None


def parse_capability(text: str) -> Wanted:
    """Parse `name`, `name@1.0` or `name@>=1.0`; raise BusError(bad_request) otherwise."""
    match = _NAME.match(text.strip())
    if match is None:
        raise BusError("bad_request", f"not a capability name: {text[:80]!r}")
    v = match["v"]
    return Wanted(match["name"], Version(*map(int, v.split("."))) if v else None)


def best_offer(offers: list[Version], asked: Version | None) -> Version | None:
    """Return the highest offered version that serves the request, if any."""
    fitting = [o for o in offers if asked is None or o.serves(asked)]
    return max(fitting) if fitting else None


class Descriptor(msgspec.Struct, frozen=True, kw_only=True):
    """What a node says about one capability it serves."""

    name: str
    version: str
    trust: Trust = "member"
    streaming: bool = False
    timeout_seconds: float = 30.0
    idempotent: bool = False
    request_schema: dict[str, object] = {}
    response_schema: dict[str, object] = {}
    params: dict[str, object] = {}
    """What the node says of its offer now (the models behind `llm.chat`)."""

    @property
    def ref(self) -> str:
        """`name@major.minor`."""
        return f"{self.name}@{self.version}"

    def parsed_version(self) -> Version:
        """The version as a tuple."""
        major, minor = self.version.split(".")
        return Version(int(major), int(minor))
