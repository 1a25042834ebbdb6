"""Community events: genesis, invitations, joins, revocations, promotions and demotions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

import msgspec

from hearthnet.domain.types import (
    Count,
    InvalidIdentifier,
    TimeMs,
    node_id,
    parse_node_id,
    unb64url,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from hearthnet.domain.ports import Verify

Level = Literal["member", "trusted", "anchor"]
RevokeReason = Literal["compromised", "inactive", "policy_violation", "other"]
LEVEL_RANK: dict[str, int] = {"member": 1, "trusted": 2, "anchor": 3}
COSIGN_CONTEXT = b"hearthnet/cosign/v1\x00"

COMMUNITY_CREATED = "community.created"
MEMBER_INVITED = "community.member.invited"
MEMBER_JOINED = "community.member.joined"
MEMBER_REVOKED = "community.member.revoked"
MEMBER_PROMOTED = "community.member.promoted"
MEMBER_DEMOTED = "community.member.demoted"
PROFILE_UPDATED = "community.profile.updated"
CHANGE_REQUESTED = "community.change.requested"
CHANGE_APPROVED = "community.change.approved"
INVITE_OFFERED = "community.invite.offered"
INVITE_REVOKED = "community.invite.revoked"

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
    founder_name: Text = ""


class MemberInvited(msgspec.Struct, frozen=True, kw_only=True):
    """A member invites a node id, at a level, until a deadline (ms since epoch)."""

    invitee_node_id: str
    initial_level: Literal["member", "trusted"] = "member"
    expires_at: TimeMs
    display_name: Text = ""
    offer_id: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """The one-time link (its offer's event id) this invitation was claimed through."""


class InviteOffered(msgspec.Struct, frozen=True, kw_only=True):
    """A one-time invitation for whoever holds its link: the hash of the link's secret; the
    inviter's node names the holder in an invitation when it claims it (ADR 0017)."""

    token_hash: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    initial_level: Literal["member", "trusted"] = "member"
    expires_at: TimeMs
    display_name: Text = ""


class InviteRevoked(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation or one-time link taken back before it was used (also the command)."""

    invite_event_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class MemberJoined(msgspec.Struct, frozen=True, kw_only=True):
    """The invitee redeems an invitation (hex event id of the invite)."""

    invite_event_id: str
    display_name: Text = ""


class ProfileUpdated(msgspec.Struct, frozen=True, kw_only=True):
    """A member names itself (also the command that records it)."""

    display_name: Name


class ChangeRequested(msgspec.Struct, frozen=True, kw_only=True):
    """A trusted member asks the others to approve a membership change (also the command).
    Once enough have approved, the requester's node records the change with their
    signatures."""

    change: Literal["revoke", "promote", "demote"]
    target_node_id: str
    reason: RevokeReason = "other"
    new_level: Level = "trusted"


class ChangeApproved(msgspec.Struct, frozen=True, kw_only=True):
    """A trusted member approves a requested change: its co-signature over that change."""

    request_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    signature: Annotated[str, msgspec.Meta(max_length=100)]


class CoSignature(msgspec.Struct, frozen=True, kw_only=True):
    """One member's approval of a membership change (base64url Ed25519 signature)."""

    node_id: str
    signature: str


class MemberRevoked(msgspec.Struct, frozen=True, kw_only=True):
    """Trusted members remove a node from the community for good."""

    target_node_id: str
    reason: RevokeReason = "other"
    co_signers: list[CoSignature] = []


class MemberLevelChanged(msgspec.Struct, frozen=True, kw_only=True):
    """Trusted members move a member to another trust level (promotion or demotion)."""

    target_node_id: str
    new_level: Level
    co_signers: list[CoSignature] = []


class InviteMember(msgspec.Struct, frozen=True, kw_only=True):
    """Command: invite a node, at a level, for some hours."""

    invitee_node_id: str = ""
    """Empty: a one-time link for whoever holds it."""
    display_name: Text = ""
    initial_level: Literal["member", "trusted"] = "member"
    ttl_hours: Annotated[float, msgspec.Meta(ge=0.01, le=720)] = 24.0
    bootstrap_endpoints: Annotated[list[str], msgspec.Meta(max_length=8)] = []
    """Where the invitee syncs from (default: this node's own address)."""


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """Command (the node's own, on behalf of a link's holder): name the holder of a one-time
    link's secret in an invitation."""

    token: Annotated[str, msgspec.Meta(max_length=64)]
    node_id: str
    display_name: Text = ""


class Revoke(msgspec.Struct, frozen=True, kw_only=True):
    """Command: remove a member, with the co-signatures the policy asks for."""

    target_node_id: str
    reason: RevokeReason = "other"
    co_signers: list[CoSignature] = []


class ChangeLevel(msgspec.Struct, frozen=True, kw_only=True):
    """Command: promote or demote a member, with co-signatures."""

    target_node_id: str
    new_level: Level
    co_signers: list[CoSignature] = []


class Cosign(msgspec.Struct, frozen=True, kw_only=True):
    """Command: co-sign a membership change that another trusted member will record."""

    change: Literal["revoke", "promote", "demote"]
    target_node_id: str
    reason: RevokeReason = "other"
    new_level: Level = "trusted"


EVENTS: dict[str, type[msgspec.Struct]] = {
    COMMUNITY_CREATED: CommunityCreated,
    MEMBER_INVITED: MemberInvited,
    MEMBER_JOINED: MemberJoined,
    MEMBER_REVOKED: MemberRevoked,
    MEMBER_PROMOTED: MemberLevelChanged,
    MEMBER_DEMOTED: MemberLevelChanged,
    PROFILE_UPDATED: ProfileUpdated,
    CHANGE_REQUESTED: ChangeRequested,
    CHANGE_APPROVED: ChangeApproved,
    INVITE_OFFERED: InviteOffered,
    INVITE_REVOKED: InviteRevoked,
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


# -- the membership rules, judged in each event's causal past ---------------------------------


class Entry(NamedTuple):
    """A membership event as the fold needs it."""

    lamport: int
    id: bytes
    author: bytes
    community: bytes
    type: str
    ts: int
    body: bytes


@dataclass
class Member:
    """A node's standing in the community."""

    level: str
    added_by: str
    since: int
    display_name: str = ""
    revoked_at: int | None = None


@dataclass
class Pending:
    """An invitation and what became of it."""

    inviter: str
    invitee: str
    level: str
    expires_at: int
    lamport: int
    status: str = "pending"
    display_name: str = ""


@dataclass
class Offer:
    """A one-time invitation link and whether it was claimed."""

    inviter: str
    token_hash: bytes
    level: str
    expires_at: int
    display_name: str
    claimed_by: str = ""
    revoked: bool = False


@dataclass
class Fold:
    """The membership state after folding some events in (lamport, id) order."""

    community: CommunityCreated | None = None
    community_id: str = ""
    members: dict[str, Member] = field(default_factory=dict)
    invites: dict[str, Pending] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)

    def active(self, who: str, min_level: str = "member") -> Member | None:
        """Return a member in good standing at min_level or above."""
        m = self.members.get(who)
        if m is None or m.revoked_at is not None:
            return None
        return m if LEVEL_RANK[m.level] >= LEVEL_RANK[min_level] else None


@dataclass(frozen=True)
class Standing:
    """Who may sync (members in good standing and open invitees), members' levels, and who
    was revoked: what the transport admits, as the community's rules decide it."""

    allowed: frozenset[bytes] = frozenset()
    levels: Mapping[bytes, str] = field(default_factory=dict)
    revoked: frozenset[bytes] = frozenset()

    def may_sync(self, key: bytes) -> bool:
        """Whether this key may sync with us."""
        return key in self.allowed


def standing(state: Fold, now_ms: int) -> Standing:
    """The standing of every key in a membership state at a moment (invites expire)."""
    levels: dict[bytes, str] = {
        parse_node_id(who): m.level for who, m in state.members.items() if state.active(who)
    }
    invitees = {
        parse_node_id(p.invitee)
        for p in state.invites.values()
        if p.status == "pending" and p.expires_at > now_ms
    }
    revoked = {parse_node_id(w) for w, m in state.members.items() if m.revoked_at is not None}
    return Standing(frozenset(levels.keys() | invitees), levels, frozenset(revoked))


def fold(entries: Iterable[Entry], verify: Verify) -> Fold:
    """Fold membership events in (lamport, id) order: Lamport order extends causal order, so
    every rule sees exactly the event's causal past, whatever order the events arrived in."""
    state = Fold()
    for entry in sorted(entries):
        step(state, entry, verify)
    return state


def step(s: Fold, e: Entry, verify: Verify) -> None:
    """Apply one membership event to the state, if the rules accept it."""
    body = _decoded(e)
    if body is None:
        return
    author = node_id(e.author)
    if s.community is None:
        founding = isinstance(body, CommunityCreated) and e.author == e.community
        if founding and isinstance(body, CommunityCreated) and body.founder_node_id == author:
            s.community, s.community_id = body, author
            s.members[author] = Member("anchor", author, e.lamport, body.founder_name)
        return
    if node_id(e.community) != s.community_id:
        return
    match body:
        case MemberInvited():
            _invite(s, e, author, body)
        case MemberJoined():
            _join(s, e, author, body)
        case MemberRevoked():
            _revoke(s, e, author, body, verify)
        case MemberLevelChanged():
            _change_level(s, e, author, body, verify)
        case InviteOffered():
            if not invite_refusal(s, author, "", body.initial_level):
                s.offers[e.id.hex()] = Offer(
                    author,
                    body.token_hash,
                    body.initial_level,
                    body.expires_at,
                    body.display_name,
                )
        case InviteRevoked():
            _take_back(s, author, body.invite_event_id)
        case ProfileUpdated():
            if (member := s.active(author)) is not None:
                member.display_name = body.display_name


def _decoded(e: Entry) -> msgspec.Struct | None:
    try:
        return msgspec.msgpack.decode(e.body, type=EVENTS[e.type])
    except (msgspec.ValidationError, msgspec.DecodeError, KeyError):
        return None


def invite_refusal(s: Fold, inviter: str, invitee: str, level: str) -> str:
    """Why an invitation by this node would not count ('' when it would)."""
    standing = s.active(inviter)
    if s.community is None or standing is None:
        return "the inviter is not an active member"
    rank = LEVEL_RANK[standing.level]
    if rank < 2 and not s.community.policy.default_member_can_invite:
        return "this community lets only trusted members invite"
    if LEVEL_RANK[level] > rank:
        return f"a {standing.level} cannot invite at level {level}"
    if invitee in s.members:
        return f"{invitee} is already a member"
    return ""


def _invite(s: Fold, e: Entry, author: str, body: MemberInvited) -> None:
    if invite_refusal(s, author, body.invitee_node_id, body.initial_level):
        return
    if body.offer_id:  # claimed through a one-time link: the first claim counts, once
        offer = s.offers.get(body.offer_id)
        if offer is None or offer.claimed_by or offer.revoked or offer.inviter != author:
            return
        if e.ts > offer.expires_at or body.initial_level != offer.level:
            return
        offer.claimed_by = body.invitee_node_id
    s.invites[e.id.hex()] = Pending(
        author,
        body.invitee_node_id,
        body.initial_level,
        body.expires_at,
        e.lamport,
        display_name=body.display_name,
    )


def _take_back(s: Fold, author: str, invite_id: str) -> None:
    """Its inviter, or any trusted member, takes back an invitation or a link not yet used."""
    invite, offer = s.invites.get(invite_id), s.offers.get(invite_id)
    inviter = invite.inviter if invite else offer.inviter if offer else None
    if inviter is None or s.active(author) is None:
        return
    if author != inviter and s.active(author, "trusted") is None:
        return
    if invite is not None and invite.status == "pending":
        invite.status = "revoked"
    if offer is not None and not offer.claimed_by:
        offer.revoked = True


def _join(s: Fold, e: Entry, author: str, body: MemberJoined) -> None:
    invite = s.invites.get(body.invite_event_id)
    if invite is None or invite.status != "pending" or invite.invitee != author:
        return
    if author in s.members or e.ts > invite.expires_at or s.active(invite.inviter) is None:
        return
    invite.status = "redeemed"
    name = body.display_name or invite.display_name  # the invitation's name by default
    s.members[author] = Member(invite.level, invite.inviter, e.lamport, name)


def _revoke(s: Fold, e: Entry, author: str, body: MemberRevoked, verify: Verify) -> None:
    assert s.community is not None
    target = s.active(body.target_node_id)
    if s.active(author, "trusted") is None or target is None:
        return
    if body.target_node_id == s.community_id:
        return
    if len(approvers(s, e, body, verify)) >= needed(s, e.type, body.target_node_id):
        target.revoked_at = e.lamport


def _change_level(s: Fold, e: Entry, author: str, body: MemberLevelChanged, verify: Verify) -> None:
    assert s.community is not None
    target = s.active(body.target_node_id)
    if s.active(author, "trusted") is None or target is None:
        return
    up = LEVEL_RANK[body.new_level] > LEVEL_RANK[target.level]
    if up != (e.type == MEMBER_PROMOTED) or body.new_level == target.level:
        return
    if body.target_node_id == s.community_id:
        return
    if body.new_level == "anchor" and author != s.community_id:
        return
    if len(approvers(s, e, body, verify)) >= needed(s, e.type, body.target_node_id):
        target.level = body.new_level


def change_refusal(
    s: Fold, author: str, event_type: str, body: MemberRevoked | MemberLevelChanged
) -> str:
    """Why a membership change by this author could never count, whoever approved it ('' when
    enough approvals would make it count)."""
    if s.active(author, "trusted") is None:
        return "membership changes need a trusted member"
    target = s.active(body.target_node_id)
    if target is None:
        return "the target is not an active member"
    if body.target_node_id == s.community_id:
        return "the founder's standing cannot be changed"
    if isinstance(body, MemberLevelChanged):
        up = LEVEL_RANK[body.new_level] > LEVEL_RANK[target.level]
        if up != (event_type == MEMBER_PROMOTED) or body.new_level == target.level:
            return f"the member is already {target.level}"
        if body.new_level == "anchor" and author != s.community_id:
            return "only the founder makes anchors"
    return ""


def signers(s: Fold, target: str) -> list[str]:
    """Who can sign a change of a member: the trusted members (anchors included) but the
    target itself."""
    return sorted(
        who for who in s.members if who != target and s.active(who, "trusted") is not None
    )


def needed(s: Fold, event_type: str, target: str) -> int:
    """The signatures a membership change needs: the policy's threshold, but never more than
    the trusted members who could sign it (so a founder alone, or a small community, can act;
    the threshold applies in full once enough members are trusted)."""
    assert s.community is not None
    policy = s.community.policy
    thresholds: dict[str, int] = {
        MEMBER_REVOKED: policy.min_signatures_to_revoke,
        MEMBER_PROMOTED: policy.min_signatures_to_promote,
        MEMBER_DEMOTED: policy.min_signatures_to_demote,
    }
    return max(1, min(thresholds[event_type], len(signers(s, target))))


def approvers(
    s: Fold, e: Entry, body: MemberRevoked | MemberLevelChanged, verify: Verify
) -> set[str]:
    """The distinct trusted members who approve a change: its author (its event is signed)
    and each co-signer whose signature over the change is valid."""
    payload = cosign_payload(e.community, e.type, body)
    found: set[str] = set()
    author = node_id(e.author)
    if s.active(author, "trusted") is not None and author != body.target_node_id:
        found.add(author)
    for cosig in body.co_signers:
        if cosig.node_id in found or cosig.node_id == body.target_node_id:
            continue
        if s.active(cosig.node_id, "trusted") is None:
            continue
        try:
            key, sig = parse_node_id(cosig.node_id), unb64url(cosig.signature)
        except InvalidIdentifier:
            continue
        if verify(key, payload, sig):
            found.add(cosig.node_id)
    return found
