"""Invite links: `hearthnet://v1/<base64url of canonical JSON>`, signed by the inviter: for
one node id, or (one-time links) for whoever holds the link's secret first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import msgspec

from hearthnet.domain.types import InvalidIdentifier, b64url, parse_node_id, unb64url

if TYPE_CHECKING:
    from hearthnet.domain.ports import Signer, Verify

LINK_PREFIX = "hearthnet://v1/"
MAX_LINK_CHARS = 4096


class InviteError(ValueError):
    """An invite link that cannot be redeemed; `code` is the onboarding error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Invite(msgspec.Struct, frozen=True, kw_only=True):
    """What an invitee needs to join: who invites whom, at which level, where, until when."""

    schema_version: Literal[1] = 1
    community_id: str
    community_name: str
    inviter_node_id: str
    invitee_node_id: str
    initial_level: Literal["member", "trusted"]
    invite_event_id: str
    bootstrap_endpoints: list[str] = []
    expires_at: str
    claim_token: str = ""
    """A one-time link's secret (then `invitee_node_id` is empty): the holder's node claims a
    personal invitation with it from the inviter's node."""
    signature: str = ""


_json = msgspec.json.Encoder(order="sorted")


def _signed_part(invite: Invite) -> bytes:
    """Return the canonical JSON of the invite without its signature field."""
    fields = msgspec.structs.asdict(invite)
    del fields["signature"]
    if not fields["claim_token"]:  # links for one node id read as they always did
        del fields["claim_token"]
    return _json.encode(fields)


def rfc3339(ms: int) -> str:
    """Return a UTC RFC 3339 timestamp with a Z for milliseconds since the epoch."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_invite(invite: Invite, signer: Signer) -> str:
    """Sign an invite with the inviter's key and return its link."""
    signed = msgspec.structs.replace(invite, signature=b64url(signer.sign(_signed_part(invite))))
    return LINK_PREFIX + b64url(_json.encode(signed))


def parse_invite(link: str) -> Invite:
    """Decode a link's structure (no trust yet); raise InviteError('invite_invalid')."""
    link = link.strip()
    if len(link) > MAX_LINK_CHARS or not link.startswith(LINK_PREFIX):
        raise InviteError("invite_invalid", f"an invite link starts with {LINK_PREFIX}")
    try:
        return msgspec.json.decode(unb64url(link[len(LINK_PREFIX) :]), type=Invite)
    except (InvalidIdentifier, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InviteError("invite_invalid", f"the invite does not decode: {exc}") from None


def check_invite(invite: Invite, verify: Verify, me: str, now: datetime) -> None:
    """Check signature, expiry and invitee; raise InviteError with the matching code."""
    try:
        inviter = parse_node_id(invite.inviter_node_id)
        signature = unb64url(invite.signature)
        expires = datetime.strptime(invite.expires_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (InvalidIdentifier, ValueError) as exc:
        raise InviteError("invite_invalid", f"the invite is malformed: {exc}") from None
    if not verify(inviter, _signed_part(invite), signature):
        raise InviteError("invite_invalid", "the invite's signature is not the inviter's")
    if now >= expires:
        raise InviteError("invite_expired", f"the invite expired at {invite.expires_at}")
    if not invite.invitee_node_id and invite.claim_token:
        return  # a one-time link: whoever holds it claims it
    if invite.invitee_node_id != me:
        raise InviteError("invitee_mismatch", "the invite is for another node")
