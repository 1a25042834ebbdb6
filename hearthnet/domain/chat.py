"""Direct messages and group threads: sent through the log, so a recipient who was away still
gets them, and sealed end to end, so that no other member can read them.

A thread's members are decided by its events alone (`thread_members`), the same on every node.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from hearthnet.domain.attachments import Attachments
from hearthnet.domain.types import TimeMs

MESSAGE_SENT = "chat.message.sent"
MESSAGE_DELIVERED = "chat.message.delivered"
MESSAGE_READ = "chat.message.read"
THREAD_CREATED = "chat.thread.created"
THREAD_MEMBER_ADDED = "chat.thread.member.added"
THREAD_MEMBER_REMOVED = "chat.thread.member.removed"
THREAD_KEY_SHARED = "chat.thread.key.shared"
THREAD_MESSAGE_SENT = "chat.thread.message.sent"
MAX_THREAD_MEMBERS = 32

EventIdHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class Sealed(msgspec.Struct, frozen=True, array_like=True):
    """An end-to-end encrypted body: a ratchet header and the ciphertext of a padded `Private`."""

    header: Annotated[bytes, msgspec.Meta(max_length=160)]
    ciphertext: Annotated[bytes, msgspec.Meta(max_length=7056)]


ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]


class Private(msgspec.Struct, frozen=True, array_like=True):
    """What a sealed body holds: the text and the attachments (their names too stay private)."""

    text: Text
    attachments: Attachments = []


class MessageSent(msgspec.Struct, frozen=True, kw_only=True):
    """A member wrote to another member: a sealed body (plain text in logs from before
    end-to-end encryption)."""

    client_id: ClientId
    recipient: str
    body: Text | Sealed = ""
    attachments: Attachments = []


class Send(msgspec.Struct, frozen=True, kw_only=True):
    """Command: write to another member (`client_id` makes a retry a no-op)."""

    client_id: ClientId
    recipient: str
    body: Text = ""
    attachments: Attachments = []


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """The recipient got (delivered) or read a message: `at` in ms since the epoch."""

    target_event_id: EventIdHex
    at: TimeMs


Members = Annotated[list[str], msgspec.Meta(max_length=MAX_THREAD_MEMBERS - 1)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class ThreadCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A member opened a group thread with others; the thread's id is this event's id."""

    client_id: ClientId
    name: Name
    members: Members


class MemberChange(msgspec.Struct, frozen=True, kw_only=True):
    """A member added to a thread or removed from it (a member removing itself leaves)."""

    thread_id: EventIdHex
    member: str


class SharedKey(msgspec.Struct, frozen=True, array_like=True):
    """A sender key sealed to one member over the pairwise session."""

    member: str
    sealed: Sealed


class KeyShared(msgspec.Struct, frozen=True, kw_only=True):
    """The author's sender key for one generation of a thread (the membership event after
    which it holds), sealed to each member of that generation."""

    thread_id: EventIdHex
    generation: EventIdHex
    keys: Annotated[list[SharedKey], msgspec.Meta(max_length=MAX_THREAD_MEMBERS - 1)]


class ThreadKey(msgspec.Struct, frozen=True, array_like=True):
    """What a shared key holds: the chain of the author's sender key from message `n` on."""

    thread_id: str
    generation: str
    chain: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    n: Annotated[int, msgspec.Meta(ge=0)]


class ThreadMessageSent(msgspec.Struct, frozen=True, kw_only=True):
    """A message to a thread, sealed with message `n` of the author's sender key for a
    generation."""

    thread_id: EventIdHex
    client_id: ClientId
    generation: EventIdHex
    n: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]
    ciphertext: Annotated[bytes, msgspec.Meta(max_length=7056)]


class CreateThread(msgspec.Struct, frozen=True, kw_only=True):
    """Command: open a group thread with other members."""

    client_id: ClientId
    name: Name
    members: Members


class ThreadSend(msgspec.Struct, frozen=True, kw_only=True):
    """Command: write to a thread."""

    thread_id: EventIdHex
    client_id: ClientId
    body: Text
    attachments: Attachments = []


class ChangeMember(msgspec.Struct, frozen=True, kw_only=True):
    """Command: add a member to a thread, or remove one (the thread's creator only)."""

    thread_id: EventIdHex
    member: str


class Change(msgspec.Struct, frozen=True, array_like=True):
    """A membership event of a thread, as the rule reads it."""

    lamport: int
    event_id: str
    author: str
    added: bool
    member: str


def counts(members: set[str], creator: str, change: Change) -> bool:
    """Whether a membership change counts against the members before it (and make it so): a
    member adds others, up to MAX_THREAD_MEMBERS; the creator removes anyone; any member
    removes itself (leaves)."""
    if change.author not in members:
        return False
    if change.added:
        if change.member in members or len(members) >= MAX_THREAD_MEMBERS:
            return False
        members.add(change.member)
        return True
    if change.member not in members or change.author not in (creator, change.member):
        return False
    members.discard(change.member)
    return True


def generations(
    creator: str, invited: list[str], thread_id: str, changes: list[Change]
) -> dict[str, frozenset[str]]:
    """A thread's generations in order, each with its members: the thread's id first, then
    each membership event that counted, folded in (Lamport, event id) order. The same on every
    node, whatever order the events arrived in."""
    members = {creator, *invited}
    found = {thread_id: frozenset(members)}
    for change in sorted(changes, key=lambda ch: (ch.lamport, ch.event_id)):
        if counts(members, creator, change):
            found[change.event_id] = frozenset(members)
    return found


def thread_members(
    creator: str, invited: list[str], thread_id: str, changes: list[Change]
) -> tuple[set[str], str]:
    """A thread's members now and its current generation."""
    *_, (generation, members) = generations(creator, invited, thread_id, changes).items()
    return set(members), generation


EVENTS: dict[str, type[msgspec.Struct]] = {
    MESSAGE_SENT: MessageSent,
    MESSAGE_DELIVERED: Receipt,
    MESSAGE_READ: Receipt,
    THREAD_CREATED: ThreadCreated,
    THREAD_MEMBER_ADDED: MemberChange,
    THREAD_MEMBER_REMOVED: MemberChange,
    THREAD_KEY_SHARED: KeyShared,
    THREAD_MESSAGE_SENT: ThreadMessageSent,
}
