"""The board: every post and every expiry, as the log holds them.

Rows are keyed by event id, so folding commutes. Which expiry counts (the post's author, or a
trusted member for `stale`), which of two posts with one (author, client_id) stands (the first
in (lamport, id) order) and whether a post's TTL has run out are decided when the board is
read, from these rows and the membership view: the same answer on every node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hearthnet.domain import market as m
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

POSTS = Table(
    "posts",
    (
        "lamport",
        "event_id",
        "author",
        "client_id",
        "category",
        "title",
        "body",
        "tags",
        "location",
        "created_at",
        "expires_at",
        "attachments",
    ),
    key=2,
    indexes=(("event_id",), ("author", "client_id")),
)
EXPIRIES = Table(
    "post_expiries",
    ("event_id", "target_event_id", "author", "reason", "lamport"),
    indexes=(("target_event_id",),),
)


class MarketProjection:
    """Folds market.post.* events into posts and expiries."""

    name = "market"
    tables = (POSTS, EXPIRIES)

    def __init__(self) -> None:
        self._posts: list[Row] = []
        self._expiries: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Nothing to keep in memory: rows are written as they come."""

    def apply(self, recorded: Recorded) -> None:
        """Turn a post or an expiry into a row."""
        e = recorded.event
        if e.type == m.POST_CREATED:
            post = decode_body(e.body, m.PostCreated)
            if post is not None:
                location = msgspec.json.encode(post.location).decode() if post.location else None
                self._posts.append(
                    (
                        e.lamport,
                        recorded.id.hex(),
                        node_id(e.author),
                        post.client_id,
                        post.category,
                        post.title,
                        post.body,
                        msgspec.json.encode(post.tags).decode(),
                        location,
                        e.ts,
                        e.ts + post.ttl_seconds * 1000,
                        msgspec.json.encode(post.attachments).decode(),
                    )
                )
        elif e.type == m.POST_EXPIRED:
            expiry = decode_body(e.body, m.PostExpired)
            if expiry is not None:
                self._expiries.append(
                    (
                        recorded.id.hex(),
                        expiry.target_event_id,
                        node_id(e.author),
                        expiry.reason,
                        e.lamport,
                    )
                )

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the new rows."""
        writes = Writes({POSTS.name: self._posts, EXPIRIES.name: self._expiries})
        self._posts, self._expiries = [], []
        return writes


BOARD_SQL = """
SELECT p.* FROM posts p
WHERE p.expires_at > :now
  AND NOT EXISTS (
    SELECT 1 FROM members r
    WHERE r.node_id = p.author AND r.revoked_lamport IS NOT NULL AND r.revoked_lamport < p.lamport)
  AND NOT EXISTS (
    SELECT 1 FROM posts q
    WHERE q.author = p.author AND q.client_id = p.client_id
      AND (q.lamport < p.lamport OR (q.lamport = p.lamport AND q.event_id < p.event_id)))
  AND NOT EXISTS (
    SELECT 1 FROM post_expiries x
    WHERE x.target_event_id = p.event_id
      AND (x.author = p.author OR (x.reason = 'stale' AND x.author IN (
        SELECT node_id FROM members
        WHERE status = 'active' AND level IN ('trusted', 'anchor')))))
"""
"""The posts on the board now: live, not written by an author after their revocation, first of
their (author, client_id), not validly expired."""
