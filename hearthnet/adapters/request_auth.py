"""Signed requests between nodes: who is calling, for which community, over which bytes.

The caller signs a context tag, the method, the path, the community, a millisecond timestamp
and the BLAKE3 of the body. The receiver checks the signature and the clock skew; whether
the caller may do what it asks is the membership projection's call, not this module's.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import blake3_256, verify_ed25519
from hearthnet.domain.types import InvalidIdentifier, b64url, node_id, parse_node_id, unb64url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from hearthnet.domain.ports import Signer

CONTEXT = b"hearthnet/request/v1\x00"
MAX_SKEW_MS = 5 * 60 * 1000
FROM, COMMUNITY, TIMESTAMP, SIGNATURE = (
    "x-hearthnet-from",
    "x-hearthnet-community",
    "x-hearthnet-timestamp",
    "x-hearthnet-signature",
)


class AuthError(ValueError):
    """A request whose signature, identity or timing does not check out."""


def _signed(method: str, path: str, community: str, timestamp: str, body: bytes) -> bytes:
    return (
        CONTEXT
        + "\n".join((method.upper(), path, community, timestamp)).encode()
        + (blake3_256(body))
    )


def sign_request(
    signer: Signer, community: str, method: str, path: str, body: bytes
) -> dict[str, str]:
    """Return the headers that authenticate a request."""
    timestamp = str(int(time.time() * 1000))
    signature = signer.sign(_signed(method, path, community, timestamp, body))
    return {
        FROM: node_id(signer.public_key),
        COMMUNITY: community,
        TIMESTAMP: timestamp,
        SIGNATURE: b64url(signature),
    }


def verify_request(
    headers: Mapping[str, str], method: str, path: str, body: bytes, community: str
) -> bytes:
    """Return the caller's key, or raise AuthError saying what is wrong."""
    try:
        caller = parse_node_id(headers[FROM])
        signature = unb64url(headers[SIGNATURE])
        timestamp = headers[TIMESTAMP]
        sent = int(timestamp)
    except KeyError as exc:
        raise AuthError(f"missing header {exc.args[0]}") from None
    except (InvalidIdentifier, ValueError) as exc:
        raise AuthError(f"malformed authentication header: {exc}") from None
    if headers.get(COMMUNITY) != community:
        raise AuthError("request for another community")
    if abs(time.time() * 1000 - sent) > MAX_SKEW_MS:
        raise AuthError("request timestamp too far from this node's clock")
    if not verify_ed25519(caller, _signed(method, path, community, timestamp, body), signature):
        raise AuthError("invalid request signature")
    return caller
