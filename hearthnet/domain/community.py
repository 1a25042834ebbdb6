"""Community events: genesis, invitations, joins, revocations, promotions and demotions."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hearthnet.domain.types import Count, TimeMs

Level = Literal["member", "trusted", "anchor"]
LEVEL_RANK: dict[str, int] = {"member": 1, "trusted": 2, "anchor": 3}
COSIGN_CONTEXT = b"hearthnet/cosign/v1\x00"

COMMUNITY_CREATED = "community.created"
MEMBER_INVITED = "community.member.invited"
MEMBER_JOINED = "community.member.joined"
MEMBER_REVOKED = "community.member.revoked"
MEMBER_PROMOTED = "community.member.promoted"
MEMBER_DEMOTED = "community.member.demoted"

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=500)]


class Policy(msgspec.Struct, frozen=True, kw_only=True):
    """The rules a community is founded with."""

    min_signatures_to_invite: Count = 1
    min_signatures_to_promote: Count = 1
    min_signatures_to_demote: Count = 3
    min_signatures_to_revoke: Count = 3
    default_member_can_invite: bool = True
    federation_enabled: bool = False
    capability_token_ttl_seconds: Count = 86400


class CommunityCreated(msgspec.Struct, frozen=True, kw_only=True):
    """Genesis: the founder's key becomes the community id and its first anchor."""

    name: Name
    founder_node_id: str
    policy: Policy = Policy()


class MemberInvited(msgspec.Struct, frozen=True, kw_only=True):
    """A member invites a node id, at a level, until a deadline (ms since epoch)."""

    invitee_node_id: str
    initial_level: Literal["member", "trusted"] = "member"
    expires_at: TimeMs
    display_name: Text = ""


class MemberJoined(msgspec.Struct, frozen=True, kw_only=True):
    """The invitee redeems an invitation (hex event id of the invite)."""

    invite_event_id: str
    display_name: Text = ""


class CoSignature(msgspec.Struct, frozen=True, kw_only=True):
    """One member's approval of a membership change (base64url Ed25519 signature)."""

    node_id: str
    signature: str


class MemberRevoked(msgspec.Struct, frozen=True, kw_only=True):
    """Trusted members remove a node from the community for good."""

    target_node_id: str
    reason: Literal["compromised", "inactive", "policy_violation", "other"] = "other"
    co_signers: list[CoSignature] = []


class MemberLevelChanged(msgspec.Struct, frozen=True, kw_only=True):
    """Trusted members move a member to another trust level (promotion or demotion)."""

    target_node_id: str
    new_level: Level
    co_signers: list[CoSignature] = []


BODY_TYPES: dict[str, type[msgspec.Struct]] = {
    COMMUNITY_CREATED: CommunityCreated,
    MEMBER_INVITED: MemberInvited,
    MEMBER_JOINED: MemberJoined,
    MEMBER_REVOKED: MemberRevoked,
    MEMBER_PROMOTED: MemberLevelChanged,
    MEMBER_DEMOTED: MemberLevelChanged,
}


def membership_change(
    change: Literal["revoke", "promote", "demote"],
    target_node_id: str,
    *,
    reason: str = "other",
    new_level: str = "trusted",
) -> tuple[str, MemberRevoked | MemberLevelChanged]:
    """The event type and body (no co-signers yet) of a revocation, promotion or demotion."""
    if change == "revoke":
        return MEMBER_REVOKED, msgspec.convert(
            {"target_node_id": target_node_id, "reason": reason}, MemberRevoked
        )
    body = msgspec.convert(
        {"target_node_id": target_node_id, "new_level": new_level}, MemberLevelChanged
    )
    return (MEMBER_PROMOTED if change == "promote" else MEMBER_DEMOTED), body


def cosign_payload(community: bytes, event_type: str, body: msgspec.Struct) -> bytes:
    """Return the bytes a co-signer signs: community, type and the body without co-signers."""
    bare = msgspec.structs.replace(body, co_signers=[])
    return COSIGN_CONTEXT + msgspec.msgpack.encode([community, event_type, bare])
