"""Community membership: founder, members, trust levels, invitations and revocations.

Every rule is judged in the event's causal past. Lamport order extends causal order, so the
membership events are folded in (lamport, id) order, from scratch, whenever one arrives:
the result depends only on the set of events, never on the order they reached this node.
Membership events are few, so the full refold is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hearthnet.domain import community as c
from hearthnet.domain.community import Entry, Fold
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.ports import Verify
    from hearthnet.domain.records import ForkRecord, Recorded

LOG = Table("membership_log", ("id", "lamport", "author", "community", "type", "ts", "body"))
COMMUNITY = Table("community", ("community_id", "name", "founder", "policy"))
MEMBERS = Table(
    "members",
    ("node_id", "level", "status", "display_name", "added_by", "since_lamport", "revoked_lamport"),
)
INVITES = Table(
    "invites", ("event_id", "inviter", "invitee", "level", "expires_at", "status", "lamport")
)
TYPES = frozenset(c.EVENTS)


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
        return c.fold(self._entries.values(), self.verify)


def _community_rows(state: Fold) -> list[Row]:
    if state.community is None:
        return []
    policy = msgspec.json.encode(state.community.policy, order="sorted").decode()
    return [(state.community_id, state.community.name, state.community_id, policy)]
