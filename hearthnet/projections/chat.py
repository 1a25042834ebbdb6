"""Conversations: messages and the recipients' receipts, group threads with their membership
events, shared sender keys and messages, all keyed by event id (folds commute).

A receipt counts only when its author is the message's recipient, and a thread's members are
decided by the domain's rule over its membership events; both are decided when read, against
these rows. Private bodies are kept here as the log carries them: sealed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import msgspec

from hearthnet.domain import chat as c
from hearthnet.domain.bodies import decode_body
from hearthnet.domain.types import node_id
from hearthnet.projections.base import Row, Table, Writes

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

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
THREADS = Table(
    "threads", ("thread_id", "creator", "name", "members", "lamport", "created_at"), restore=False
)
THREAD_CHANGES = Table(
    "thread_changes",
    ("event_id", "thread_id", "lamport", "author", "added", "member"),
    indexes=(("thread_id",),),
    restore=False,
)
THREAD_KEYS = Table(
    "thread_keys",
    ("event_id", "member", "thread_id", "author", "generation", "header", "ciphertext", "lamport"),
    key=2,
    indexes=(("member",),),
    restore=False,
)
THREAD_MESSAGES = Table(
    "thread_messages",
    (
        "event_id",
        "thread_id",
        "sender",
        "client_id",
        "generation",
        "n",
        "ciphertext",
        "lamport",
        "sent_at",
    ),
    indexes=(("thread_id", "lamport"),),
    restore=False,
)
TABLES = (MESSAGES, RECEIPTS, THREADS, THREAD_CHANGES, THREAD_KEYS, THREAD_MESSAGES)


class ChatProjection:
    """Folds chat.message.* events into messages and receipts."""

    name = "chat"
    tables = TABLES

    def __init__(self) -> None:
        self._rows: dict[str, list[Row]] = {t.name: [] for t in TABLES}

    def restore(self, rows: Mapping[str, Sequence[Row]]) -> None:
        """Nothing to keep in memory: rows are written as they come."""

    def apply(self, recorded: Recorded) -> None:
        """Turn a chat event into rows (others are not this view's)."""
        fold = self._FOLDS.get(recorded.event.type)
        if fold is not None:
            fold(self, recorded, node_id(recorded.event.author))

    def _message(self, recorded: Recorded, author: str) -> None:
        e = recorded.event
        msg = decode_body(e.body, c.MessageSent)
        if msg is not None:
            self._rows[MESSAGES.name].append(
                (
                    recorded.id.hex(),
                    author,
                    msg.recipient,
                    msg.client_id,
                    msgspec.json.encode(msg.body).decode(),
                    msgspec.json.encode(msg.attachments).decode(),
                    e.lamport,
                    e.ts,
                )
            )

    def _receipt(self, recorded: Recorded, author: str) -> None:
        e = recorded.event
        receipt = decode_body(e.body, c.Receipt)
        if receipt is not None:
            kind = "delivered" if e.type == c.MESSAGE_DELIVERED else "read"
            self._rows[RECEIPTS.name].append(
                (recorded.id.hex(), receipt.target_event_id, author, kind, receipt.at)
            )

    def _thread(self, recorded: Recorded, author: str) -> None:
        e = recorded.event
        created = decode_body(e.body, c.ThreadCreated)
        if created is not None:
            members = msgspec.json.encode(created.members).decode()
            self._rows[THREADS.name].append(
                (recorded.id.hex(), author, created.name, members, e.lamport, e.ts)
            )

    def _change(self, recorded: Recorded, author: str) -> None:
        e = recorded.event
        change = decode_body(e.body, c.MemberChange)
        if change is not None:
            added = e.type == c.THREAD_MEMBER_ADDED
            self._rows[THREAD_CHANGES.name].append(
                (recorded.id.hex(), change.thread_id, e.lamport, author, added, change.member)
            )

    def _keys(self, recorded: Recorded, author: str) -> None:
        e = recorded.event
        shared = decode_body(e.body, c.KeyShared)
        if shared is not None:
            self._rows[THREAD_KEYS.name] += [
                (
                    recorded.id.hex(),
                    k.member,
                    shared.thread_id,
                    author,
                    shared.generation,
                    k.sealed.header,
                    k.sealed.ciphertext,
                    e.lamport,
                )
                for k in shared.keys
            ]

    def _thread_message(self, recorded: Recorded, author: str) -> None:
        e = recorded.event
        msg = decode_body(e.body, c.ThreadMessageSent)
        if msg is not None:
            self._rows[THREAD_MESSAGES.name].append(
                (
                    recorded.id.hex(),
                    msg.thread_id,
                    author,
                    msg.client_id,
                    msg.generation,
                    msg.n,
                    msg.ciphertext,
                    e.lamport,
                    e.ts,
                )
            )

    _FOLDS: ClassVar[dict[str, Callable[[ChatProjection, Recorded, str], None]]] = {
        c.MESSAGE_SENT: _message,
        c.MESSAGE_DELIVERED: _receipt,
        c.MESSAGE_READ: _receipt,
        c.THREAD_CREATED: _thread,
        c.THREAD_MEMBER_ADDED: _change,
        c.THREAD_MEMBER_REMOVED: _change,
        c.THREAD_KEY_SHARED: _keys,
        c.THREAD_MESSAGE_SENT: _thread_message,
    }

    def fork(self, proof: ForkRecord) -> None:
        """Forks need nothing here: the runner rebuilds without the frozen events."""

    def flush(self) -> Writes:
        """Return the new rows."""
        writes = Writes(self._rows)
        self._rows = {t.name: [] for t in TABLES}
        return writes


HISTORY_SQL = """
SELECT m.event_id, m.lamport, m.sender, m.recipient, m.client_id, m.body, m.attachments,
  m.sent_at,
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

THREAD_SQL = (
    "SELECT thread_id, creator, name, members, lamport FROM threads WHERE thread_id = :thread"
)
"""One thread as it was created."""

THREAD_CHANGES_SQL = """
SELECT event_id, lamport, author, added, member FROM thread_changes WHERE thread_id = :thread
"""
"""A thread's membership events (the domain's rule decides which count)."""

THREAD_HISTORY_SQL = """
SELECT event_id, lamport, sender, client_id, generation, sent_at FROM thread_messages
WHERE thread_id = :thread AND lamport > :since ORDER BY lamport, event_id LIMIT :limit
"""
"""A thread's messages in Lamport order (their bodies are in each member's keyring)."""

OPEN_MESSAGES_SQL = """
SELECT event_id, sender, client_id, body FROM messages WHERE recipient = :me
ORDER BY lamport, event_id
"""
"""Direct messages to this node, to open."""

OPEN_KEYS_SQL = """
SELECT event_id, author, thread_id, generation, header, ciphertext FROM thread_keys
WHERE member = :me ORDER BY lamport, event_id
"""
"""Sender keys shared with this node, to open."""

OPEN_THREAD_MESSAGES_SQL = """
SELECT m.event_id, m.thread_id, m.sender, m.client_id, m.generation, m.n, m.ciphertext,
  EXISTS (SELECT 1 FROM thread_keys k WHERE k.thread_id = m.thread_id AND k.author = m.sender
    AND k.generation = m.generation AND k.member = :me) AS shared
FROM thread_messages m WHERE m.sender != :me ORDER BY m.lamport, m.event_id
"""
"""Other members' thread messages, to open, with whether their key was shared with this node."""
