"""Direct messages: sent through the log, so a recipient who was away still gets them."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hearthnet.domain.types import TimeMs

MESSAGE_SENT = "chat.message.sent"
MESSAGE_DELIVERED = "chat.message.delivered"
MESSAGE_READ = "chat.message.read"

EventIdHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]


class Sealed(msgspec.Struct, frozen=True, kw_only=True):
    """An end-to-end encrypted body: only the recipient can open it."""

    e2e: bool = True
    header: dict[str, str] = {}
    ciphertext: Annotated[str, msgspec.Meta(max_length=8000)]


class Attachment(msgspec.Struct, frozen=True, kw_only=True):
    """A file named by its content id."""

    cid: Annotated[str, msgspec.Meta(max_length=80)]
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""


ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
Attachments = Annotated[list[Attachment], msgspec.Meta(max_length=10)]


class MessageSent(msgspec.Struct, frozen=True, kw_only=True):
    """A member wrote to another member; the body is text now, a sealed envelope later."""

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

    def sent(self) -> MessageSent:
        """The event this command records."""
        return MessageSent(
            client_id=self.client_id,
            recipient=self.recipient,
            body=self.body,
            attachments=self.attachments,
        )


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """The recipient got (delivered) or read a message: `at` in ms since the epoch."""

    target_event_id: EventIdHex
    at: TimeMs


EVENTS: dict[str, type[msgspec.Struct]] = {
    MESSAGE_SENT: MessageSent,
    MESSAGE_DELIVERED: Receipt,
    MESSAGE_READ: Receipt,
}
