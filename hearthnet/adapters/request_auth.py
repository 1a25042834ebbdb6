"""Signed requests between nodes: who is calling whom, for which community, over which bytes.

The caller signs a context tag, the method, the full path with its query, the community, the
target node's id, a millisecond timestamp, a random nonce and the BLAKE3 of the body. The
receiver checks the target is itself, the clock skew, the signature, and that it has not seen
the nonce inside the clock window: a request cannot be replayed, nor sent on to another node.
Whether the caller may do what it asks is the membership projection's call, not this module's.
"""

from __future__ import annotations

import heapq
import secrets
import time
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.domain.types import InvalidIdentifier, b64url, node_id, parse_node_id, unb64url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hearthnet.domain.ports import Signer

CONTEXT = b"hearthnet/request/v2\x00"
MAX_SKEW_MS = 60 * 1000
"""How far a request's timestamp may be from the receiver's clock, either way."""
MAX_REMEMBERED = 200_000
"""Nonces kept for the replay check; past that the oldest go and older requests are refused."""
FROM, TO, COMMUNITY, TIMESTAMP, NONCE, SIGNATURE = (
    "x-hearthnet-from",
    "x-hearthnet-to",
    "x-hearthnet-community",
    "x-hearthnet-timestamp",
    "x-hearthnet-nonce",
    "x-hearthnet-signature",
)


class AuthError(ValueError):
    """A request whose signature, identity or timing does not check out; `code` is the wire
    error (`invalid_signature` or `clock_skew`)."""

    def __init__(self, message: str, code: str = "invalid_signature") -> None:
        super().__init__(message)
        self.code = code


def _signed(
    method: str, target: str, community: str, to: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    fields = (method.upper(), target, community, to, timestamp, nonce)
    return CONTEXT + "\n".join(fields).encode() + blake3_256(body)


def sign_request(
    signer: Signer, community: str, to: str, method: str, target: str, body: bytes
) -> dict[str, str]:
    """Return the headers that authenticate a request to node `to` for `target` (path?query)."""
    timestamp = str(int(time.time() * 1000))
    nonce = b64url(secrets.token_bytes(16))
    signature = signer.sign(_signed(method, target, community, to, timestamp, nonce, body))
    return {
        FROM: node_id(signer.public_key),
        TO: to,
        COMMUNITY: community,
        TIMESTAMP: timestamp,
        NONCE: nonce,
        SIGNATURE: b64url(signature),
    }


class ReplayGuard:
    """The nonces seen inside the clock window, bounded; a repeat is a replay."""

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self.limit = limit
        self._seen: set[tuple[bytes, str]] = set()
        self._order: list[tuple[int, bytes, str]] = []
        self._floor = 0
        """Requests at or before this time are refused: their nonces may have been forgotten."""

    def admit(self, caller: bytes, nonce: str, sent: int, now: int) -> bool:
        """Remember a request's nonce; False if it was seen before (or can no longer be told)."""
        while self._order and (
            self._order[0][0] < now - MAX_SKEW_MS or len(self._order) >= self.limit
        ):
            ts, who, old = heapq.heappop(self._order)
            self._seen.discard((who, old))
            if ts >= now - MAX_SKEW_MS:
                self._floor = max(self._floor, ts)
        key = (caller, nonce)
        if sent <= self._floor or key in self._seen:
            return False
        self._seen.add(key)
        heapq.heappush(self._order, (sent, caller, nonce))
        return True


def verify_request(
    headers: Mapping[str, str],
    method: str,
    target: str,
    body: bytes,
    community: str,
    me: str,
    replays: ReplayGuard,
) -> bytes:
    """Return the caller's key, or raise AuthError saying what is wrong."""
    try:
        caller = parse_node_id(headers[FROM])
        signature = unb64url(headers[SIGNATURE])
        timestamp, nonce, to = headers[TIMESTAMP], headers[NONCE], headers[TO]
        sent = int(timestamp)
    except KeyError as exc:
        raise AuthError(f"missing header {exc.args[0]}") from None
    except (InvalidIdentifier, ValueError) as exc:
        raise AuthError(f"malformed authentication header: {exc}") from None
    if headers.get(COMMUNITY) != community:
        raise AuthError("request for another community")
    if to != me:
        raise AuthError("request signed for another node")
    if not 8 <= len(nonce) <= 64:
        raise AuthError("the nonce is 8 to 64 characters")
    now = int(time.time() * 1000)
    if abs(now - sent) > MAX_SKEW_MS:
        raise AuthError(
            f"request time {sent} is more than {MAX_SKEW_MS // 1000} s from this node's "
            f"clock ({now} ms since the epoch): set the clock right",
            "clock_skew",
        )
    signed = _signed(method, target, community, to, timestamp, nonce, body)
    if not verify_ed25519(caller, signed, signature):
        raise AuthError("invalid request signature")
    if not replays.admit(caller, nonce, sent, now):
        raise AuthError("request replayed")
    return caller
