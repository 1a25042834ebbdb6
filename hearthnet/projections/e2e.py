"""Who can be written to privately: each node's identity key and signed prekey, the
one-time prekeys it has offered, those it retired, and the sessions members could not take up.

An author's publications fold in feed order, so the latest signed prekey is the same on
every node; a one-time prekey is on offer until a publication of its author retires it. Only
each author's current keys are held in memory, however many keys a member publishes. A
publication whose identity key is not the X25519 form of its author's Ed25519 key is refused
by this view (recorded as not folded): nobody can be made to encrypt to a key its holder did
not publish.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.domain import e2e
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

KEYS = Table(
    "e2e_keys",
    ("node_id", "identity", "signed_prekey_id", "signed_prekey", "signed_at", "lamport"),
)
ONE_TIME = Table("e2e_one_time", ("node_id", "prekey_id", "key"), key=2, restore=False)
RETIRED = Table("e2e_retired", ("node_id", "prekey_id"), key=2, restore=False)
BROKEN = Table(
    "e2e_broken", ("event_id", "author", "peer", "session"), indexes=(("peer",),), restore=False
)
OFFERED_SQL = """
SELECT count(*) AS n FROM e2e_one_time o WHERE o.node_id = :who AND NOT EXISTS (
  SELECT 1 FROM e2e_retired r WHERE r.node_id = o.node_id AND r.prekey_id = o.prekey_id)
"""
"""How many one-time prekeys a node (`:who`) has on offer."""
OFFERED_IDS_SQL = """
SELECT o.prekey_id FROM e2e_one_time o WHERE o.node_id = :who AND NOT EXISTS (
  SELECT 1 FROM e2e_retired r WHERE r.node_id = o.node_id AND r.prekey_id = o.prekey_id)
"""
"""The ids of the one-time prekeys a node (`:who`) has on offer."""
TOP_IDS_SQL = """
SELECT (SELECT max(signed_prekey_id) FROM e2e_keys WHERE node_id = :who) AS signed,
  (SELECT max(prekey_id) FROM e2e_one_time WHERE node_id = :who) AS one_time
"""
"""The highest prekey ids a node (`:who`) has published (the current signed prekey's id; a
signed prekey's id only grows)."""
BUNDLE_SQL = """
SELECT k.identity, k.signed_prekey_id, k.signed_prekey, o.prekey_id AS one_time_id,
  o.key AS one_time
FROM e2e_keys k LEFT JOIN e2e_one_time o ON o.node_id = k.node_id AND o.prekey_id = (
  SELECT x.prekey_id FROM e2e_one_time x WHERE x.node_id = k.node_id AND NOT EXISTS (
    SELECT 1 FROM e2e_retired r WHERE r.node_id = x.node_id AND r.prekey_id = x.prekey_id)
  ORDER BY random() LIMIT 1)
WHERE k.node_id = :who
"""
"""A node's keys to open a session with: its identity key, its signed prekey and one of its
one-time prekeys on offer, picked at random so that two writers rarely pick the same."""


class E2eProjection:
    """Folds e2e.prekeys.published into the key directory."""

    name = "e2e"
    tables = (KEYS, ONE_TIME, RETIRED, BROKEN)

    def __init__(self, to_x25519: Callable[[bytes], bytes]) -> None:
        self._to_x25519 = to_x25519
        self._keys: dict[str, Row] = {}
        self._key_rows: list[Row] = []
        self._one_time_rows: list[Row] = []
        self._retired_rows: list[Row] = []
        self._broken_rows: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Take up each node's current keys (one-time prekeys stay in their tables)."""
        self._keys = {str(r[0]): r for r in rows.get(KEYS.name, [])}

    def apply(self, recorded: Recorded) -> None:
        """Take in one publication of keys (others are not this view's)."""
        e = recorded.event
        if e.type == e2e.SESSION_BROKEN:
            broken = decode_body(e.body, e2e.SessionBroken)
            if broken is not None:
                self._broken_rows.append(
                    (recorded.id.hex(), node_id(e.author), broken.peer, broken.session)
                )
            return
        if e.type != e2e.PREKEYS_PUBLISHED:
            return
        body = decode_body(e.body, e2e.PrekeysPublished)
        if body is None:
            return
        if body.identity != self._to_x25519(e.author):
            raise ValueError("the identity key is not the X25519 form of the author's key")
        author, spk = node_id(e.author), body.signed_prekey
        before = self._keys.get(author)
        same = before is not None and (before[2], before[3]) == (spk.id, spk.key)
        signed_at = before[4] if same and before is not None else e.ts
        row = (author, body.identity, spk.id, spk.key, signed_at, e.lamport)
        self._keys[author] = row
        self._key_rows.append(row)
        self._one_time_rows += [(author, k.id, k.key) for k in body.one_time]
        self._retired_rows += [(author, gone) for gone in body.retired]

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the changed rows."""
        writes = Writes(
            {
                KEYS.name: self._key_rows,
                ONE_TIME.name: self._one_time_rows,
                RETIRED.name: self._retired_rows,
                BROKEN.name: self._broken_rows,
            }
        )
        self._key_rows, self._one_time_rows, self._retired_rows = [], [], []
        self._broken_rows = []
        return writes


BROKEN_SQL = "SELECT event_id, author, session FROM e2e_broken WHERE peer = :me"
"""Sessions this node opened that their peer could not take up."""
