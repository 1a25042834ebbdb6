"""Community membership: founder, members, trust levels, invitations and revocations.

Every rule is judged in the event's causal past. Lamport order extends causal order, so the
membership events are folded in (lamport, id) order, from scratch, whenever one arrives:
the result depends only on the set of events, never on the order they reached this node.
Membership events are few, so the full refold is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from hearthnet.domain import community as c
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import InvalidIdentifier, node_id, parse_node_id, unb64url
from hearthnet.projections.base import ForkRecord, Recorded, Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.ports import Verify

LOG = Table("membership_log", ("id", "lamport", "author", "community", "type", "ts", "body"))
COMMUNITY = Table("community", ("community_id", "name", "founder", "policy"))
MEMBERS = Table(
    "members",
    ("node_id", "level", "status", "display_name", "added_by", "since_lamport", "revoked_lamport"),
)
INVITES = Table(
    "invites", ("event_id", "inviter", "invitee", "level", "expires_at", "status", "lamport")
)
TYPES = frozenset(c.BODY_TYPES)


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


@dataclass
class Fold:
    """The membership state after folding some events in (lamport, id) order."""

    community: c.CommunityCreated | None = None
    community_id: str = ""
    members: dict[str, Member] = field(default_factory=dict)
    invites: dict[str, Pending] = field(default_factory=dict)

    def active(self, who: str, min_level: str = "member") -> Member | None:
        """Return a member in good standing at min_level or above."""
        m = self.members.get(who)
        if m is None or m.revoked_at is not None:
            return None
        return m if c.LEVEL_RANK[m.level] >= c.LEVEL_RANK[min_level] else None


class MembershipProjection:
    """Folds community.* events into members, levels, invites and revocations."""

    name = "membership"
    tables = (LOG, COMMUNITY, MEMBERS, INVITES)

    def __init__(self, verify: Verify) -> None:
        self.verify = verify
        self._entries: dict[bytes, Entry] = {}
        self._new: list[Entry] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Take up the kept membership events."""
        for i, lamport, author, community, type_, ts, body in rows.get(LOG.name, ()):
            assert isinstance(author, bytes) and isinstance(community, bytes)
            assert isinstance(body, bytes) and isinstance(lamport, int) and isinstance(ts, int)
            entry = Entry(lamport, bytes.fromhex(str(i)), author, community, str(type_), ts, body)
            self._entries[entry.id] = entry

    def apply(self, recorded: Recorded) -> None:
        """Keep community.* events; the fold runs at flush."""
        e = recorded.event
        if e.type in TYPES:
            entry = Entry(e.lamport, recorded.id, e.author, e.community, e.type, e.ts, e.body)
            self._entries[recorded.id] = entry
            self._new.append(entry)

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Refold everything if a membership event arrived; else change nothing."""
        if not self._new:
            return Writes({})
        log_rows = [
            (x.id.hex(), x.lamport, x.author, x.community, x.type, x.ts, x.body) for x in self._new
        ]
        self._new = []
        state = self.fold()
        return Writes(
            {
                LOG.name: log_rows,
                COMMUNITY.name: _community_rows(state),
                MEMBERS.name: [
                    (
                        who,
                        m.level,
                        "revoked" if m.revoked_at is not None else "active",
                        m.display_name,
                        m.added_by,
                        m.since,
                        m.revoked_at,
                    )
                    for who, m in state.members.items()
                ],
                INVITES.name: [
                    (i, p.inviter, p.invitee, p.level, p.expires_at, p.status, p.lamport)
                    for i, p in state.invites.items()
                ],
            },
            replace=frozenset({COMMUNITY.name, MEMBERS.name, INVITES.name}),
        )

    def fold(self) -> Fold:
        """Fold all membership events in (lamport, id) order."""
        state = Fold()
        for entry in sorted(self._entries.values()):
            self._step(state, entry)
        return state

    def _step(self, s: Fold, e: Entry) -> None:
        body_type = c.BODY_TYPES[e.type]
        body = decode_body(e.body, body_type)
        if body is None:
            return
        author = node_id(e.author)
        if s.community is None:
            founding = isinstance(body, c.CommunityCreated) and e.author == e.community
            if founding and isinstance(body, c.CommunityCreated) and body.founder_node_id == author:
                s.community, s.community_id = body, author
                s.members[author] = Member("anchor", author, e.lamport)
            return
        if node_id(e.community) != s.community_id:
            return
        match body:
            case c.MemberInvited():
                self._invite(s, e, author, body)
            case c.MemberJoined():
                self._join(s, e, author, body)
            case c.MemberRevoked():
                self._revoke(s, e, author, body)
            case c.MemberLevelChanged():
                self._change_level(s, e, author, body)

    def _invite(self, s: Fold, e: Entry, author: str, body: c.MemberInvited) -> None:
        inviter = s.active(author)
        assert s.community is not None
        if inviter is None:
            return
        rank = c.LEVEL_RANK[inviter.level]
        if rank < 2 and not s.community.policy.default_member_can_invite:
            return
        if c.LEVEL_RANK[body.initial_level] > rank or body.invitee_node_id in s.members:
            return
        s.invites[e.id.hex()] = Pending(
            author, body.invitee_node_id, body.initial_level, body.expires_at, e.lamport
        )

    def _join(self, s: Fold, e: Entry, author: str, body: c.MemberJoined) -> None:
        invite = s.invites.get(body.invite_event_id)
        if invite is None or invite.status != "pending" or invite.invitee != author:
            return
        if author in s.members or e.ts > invite.expires_at or s.active(invite.inviter) is None:
            return
        invite.status = "redeemed"
        s.members[author] = Member(invite.level, invite.inviter, e.lamport, body.display_name)

    def _revoke(self, s: Fold, e: Entry, author: str, body: c.MemberRevoked) -> None:
        assert s.community is not None
        target = s.active(body.target_node_id)
        if s.active(author, "trusted") is None or target is None:
            return
        if body.target_node_id == s.community_id:
            return
        if self._approvals(s, e, body) >= s.community.policy.min_signatures_to_revoke:
            target.revoked_at = e.lamport

    def _change_level(self, s: Fold, e: Entry, author: str, body: c.MemberLevelChanged) -> None:
        assert s.community is not None
        target = s.active(body.target_node_id)
        if s.active(author, "trusted") is None or target is None:
            return
        up = c.LEVEL_RANK[body.new_level] > c.LEVEL_RANK[target.level]
        if up != (e.type == c.MEMBER_PROMOTED) or body.new_level == target.level:
            return
        if body.target_node_id == s.community_id:
            return
        if body.new_level == "anchor" and author != s.community_id:
            return
        policy = s.community.policy
        needed = policy.min_signatures_to_promote if up else policy.min_signatures_to_demote
        if self._approvals(s, e, body) >= needed:
            target.level = body.new_level

    def _approvals(self, s: Fold, e: Entry, body: c.MemberRevoked | c.MemberLevelChanged) -> int:
        """Count distinct trusted members whose co-signature over the change is valid."""
        payload = c.cosign_payload(e.community, e.type, body)
        approvers: set[str] = set()
        for cosig in body.co_signers:
            if cosig.node_id in approvers or s.active(cosig.node_id, "trusted") is None:
                continue
            try:
                key, sig = parse_node_id(cosig.node_id), unb64url(cosig.signature)
            except InvalidIdentifier:
                continue
            if self.verify(key, payload, sig):
                approvers.add(cosig.node_id)
        return len(approvers)


def _community_rows(state: Fold) -> list[Row]:
    if state.community is None:
        return []
    policy = msgspec.json.encode(state.community.policy, order="sorted").decode()
    return [(state.community_id, state.community.name, state.community_id, policy)]
