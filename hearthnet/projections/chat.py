"""Conversations: messages and the recipients' receipts, keyed by event id (folds commute).

A receipt counts only when its author is the message's recipient; that is decided when the
history is read, against these rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hearthnet.domain import chat as c
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hearthnet.domain.records import ForkRecord, Recorded

MESSAGES = Table(
    "messages",
    ("event_id", "sender", "recipient", "client_id", "body", "attachments", "lamport", "sent_at"),
    indexes=(("sender", "recipient"), ("recipient",)),
)
RECEIPTS = Table(
    "receipts",
    ("event_id", "target_event_id", "author", "kind", "at"),
    indexes=(("target_event_id",),),
)


class ChatProjection:
    """Folds chat.message.* events into messages and receipts."""

    name = "chat"
    tables = (MESSAGES, RECEIPTS)

    def __init__(self) -> None:
        self._messages: list[Row] = []
        self._receipts: list[Row] = []

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Nothing to keep in memory: rows are written as they come."""

    def apply(self, recorded: Recorded) -> None:
        """Turn a message or a receipt into a row."""
        e = recorded.event
        if e.type == c.MESSAGE_SENT:
            msg = decode_body(e.body, c.MessageSent)
            if msg is not None:
                self._messages.append(
                    (
                        recorded.id.hex(),
                        node_id(e.author),
                        msg.recipient,
                        msg.client_id,
                        msgspec.json.encode(msg.body).decode(),
                        msgspec.json.encode(msg.attachments).decode(),
                        e.lamport,
                        e.ts,
                    )
                )
        elif e.type in (c.MESSAGE_DELIVERED, c.MESSAGE_READ):
            receipt = decode_body(e.body, c.Receipt)
            if receipt is not None:
                kind = "delivered" if e.type == c.MESSAGE_DELIVERED else "read"
                self._receipts.append(
                    (
                        recorded.id.hex(),
                        receipt.target_event_id,
                        node_id(e.author),
                        kind,
                        receipt.at,
                    )
                )

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the new rows."""
        writes = Writes({MESSAGES.name: self._messages, RECEIPTS.name: self._receipts})
        self._messages, self._receipts = [], []
        return writes


HISTORY_SQL = """
SELECT m.event_id, m.lamport, m.sender, m.recipient, m.body, m.attachments, m.sent_at,
  (SELECT MIN(r.at) FROM receipts r WHERE r.target_event_id = m.event_id
     AND r.author = m.recipient AND r.kind = 'delivered') AS delivered_at,
  (SELECT MIN(r.at) FROM receipts r WHERE r.target_event_id = m.event_id
     AND r.author = m.recipient AND r.kind = 'read') AS read_at
FROM messages m
WHERE (m.sender = :me OR m.recipient = :me) AND m.lamport > :since
  AND NOT EXISTS (
    SELECT 1 FROM members r
    WHERE r.node_id = m.sender AND r.revoked_lamport IS NOT NULL AND r.revoked_lamport < m.lamport)
  AND (:peer = '' OR m.sender = :peer OR m.recipient = :peer)
  AND NOT EXISTS (
    SELECT 1 FROM messages d WHERE d.sender = m.sender AND d.client_id = m.client_id
      AND (d.lamport < m.lamport OR (d.lamport = m.lamport AND d.event_id < m.event_id)))
ORDER BY m.lamport DESC LIMIT :limit
"""
"""One node's conversations, newest first, with the recipient's receipts."""

UNDELIVERED_SQL = """
SELECT m.event_id FROM messages m WHERE m.recipient = :me AND NOT EXISTS (
  SELECT 1 FROM receipts r WHERE r.target_event_id = m.event_id AND r.author = :me
    AND r.kind = 'delivered')
"""
"""Messages to this node that it has not acknowledged yet."""
