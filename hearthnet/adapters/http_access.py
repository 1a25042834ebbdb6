"""Who is calling, and may they: the admin token, request signatures, membership, one rate
limiter. Every surface asks this one gate, so each rule is written once.

Refusals are counted per address (`http_server.GUARD`): an address that piles them up is
turned away before its requests cost anything.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hearthnet.adapters.http_common import error
from hearthnet.adapters.http_server import GUARD, THIS_MACHINE
from hearthnet.adapters.request_auth import AuthError, ReplayGuard, verify_request
from hearthnet.domain.types import node_id

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    from hearthnet.domain.community import Standing

RATE_PER_S = 100.0
BURST = 300.0
STRIKES_TO_BAN = 5
BAN_S = 600.0


@dataclass
class _Caller:
    tokens: float = BURST
    stamp: float = field(default_factory=time.monotonic)
    strikes: int = 0
    banned_until: float = 0.0


class Gate:
    """The node's access rules for every HTTP surface."""

    def __init__(self, community: str, me: str, admin_token: str, standing: Standing) -> None:
        self.community, self.me, self.admin_token = community, me, admin_token
        self.standing = standing
        """Who may sync and call: the community feature's verdict, kept current by the node."""
        self.replays = ReplayGuard()
        self._callers: dict[bytes, _Caller] = {}

    def is_operator(self, request: Request) -> bool:
        """A call from this machine bearing the node's admin token: the node's own operator."""
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        local = request.client is not None and request.client.host in THIS_MACHINE
        return local and hmac.compare_digest(token.encode(), self.admin_token.encode())

    def syncing(self, request: Request, body: bytes) -> bytes | JSONResponse:
        """The key of a member or open invitee whose signed sync request may go on."""
        caller = self._signed(request, body)
        if isinstance(caller, bytes) and not self.standing.may_sync(caller):
            return self.refuse(request, 401, "unauthorized", f"{node_id(caller)} is not a member")
        return caller if not isinstance(caller, bytes) else self._paced(request, caller)

    def claiming(self, request: Request, body: bytes) -> bytes | JSONResponse:
        """The key of a node, member or not, whose signed claim of an invite link may go on
        (paced like any caller: a claim is one hash look-up)."""
        caller = self._signed(request, body)
        return caller if not isinstance(caller, bytes) else self._paced(request, caller)

    def calling(self, request: Request, body: bytes) -> tuple[str, str] | JSONResponse:
        """(node id, level) of the signed caller of a capability."""
        key = self._signed(request, body)
        if not isinstance(key, bytes):
            return key
        if key in self.standing.revoked:
            return self.refuse(request, 403, "revoked", f"{node_id(key)} was revoked")
        level = self.standing.levels.get(key)
        if level is None:
            return self.refuse(request, 401, "unauthorized", f"{node_id(key)} is not a member")
        paced = self._paced(request, key)
        return paced if not isinstance(paced, bytes) else (node_id(key), level)

    def strike(self, caller: bytes, count: int = 1) -> None:
        """Count input no honest node sends; enough of it cuts the caller off for a while."""
        state = self._callers.setdefault(caller, _Caller())
        state.strikes += count
        if state.strikes >= STRIKES_TO_BAN:
            state.banned_until = time.monotonic() + BAN_S

    def refuse(self, request: Request, status: int, code: str, message: str) -> JSONResponse:
        """Answer a refusal, and count it against the caller's address."""
        if request.client is not None:
            GUARD.refused(request.client.host)
        return error(status, code, message)

    def _signed(self, request: Request, body: bytes) -> bytes | JSONResponse:
        query = request.url.query
        target = request.url.path + ("?" + query if query else "")
        try:
            return verify_request(
                request.headers, "POST", target, body, self.community, self.me, self.replays
            )
        except AuthError as exc:
            return self.refuse(request, 401, exc.code, str(exc))

    def _paced(self, request: Request, caller: bytes) -> bytes | JSONResponse:
        """One token bucket per caller; a caller cut off for garbage stays cut off a while."""
        state = self._callers.setdefault(caller, _Caller())
        now = time.monotonic()
        if state.banned_until > now:
            return self.refuse(request, 429, "rate_limited", "cut off after repeated bad input")
        state.tokens = min(BURST, state.tokens + (now - state.stamp) * RATE_PER_S)
        state.stamp = now
        if state.tokens < 1:
            return self.refuse(request, 429, "rate_limited", "too many requests")
        state.tokens -= 1
        return caller
