"""The marketplace board: posts and their expiry, and the rules that decide them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from hearthnet.domain.attachments import Attachments

POST_CREATED = "market.post.created"
POST_EXPIRED = "market.post.expired"
DEFAULT_TTL = 7 * 24 * 3600
MAX_TTL = 30 * 24 * 3600

Category = Literal["offer", "request", "info", "emergency"]
Reason = Literal["fulfilled", "withdrawn", "user_request", "stale"]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Text = Annotated[str, msgspec.Meta(max_length=2000)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=10)]
Ttl = Annotated[int, msgspec.Meta(ge=60, le=MAX_TTL)]
EventIdHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
TRUSTED_LEVELS = ("trusted", "anchor")
"""The levels whose `stale` marks take another member's post off the board."""


class Location(msgspec.Struct, frozen=True, kw_only=True):
    """Where a post is about."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    label: Annotated[str, msgspec.Meta(max_length=120)] = ""


class PostCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A member put something on the board."""

    client_id: ClientId
    category: Category = "offer"
    title: Title
    body: Text = ""
    location: Location | None = None
    tags: Tags = []
    ttl_seconds: Ttl = DEFAULT_TTL
    attachments: Attachments = []


class PostExpired(msgspec.Struct, frozen=True, kw_only=True):
    """A post was taken off the board (hex event id of the post)."""

    client_id: ClientId
    target_event_id: EventIdHex
    reason: Reason = "user_request"


EVENTS: dict[str, type[msgspec.Struct]] = {POST_CREATED: PostCreated, POST_EXPIRED: PostExpired}


class Post(msgspec.Struct, frozen=True, kw_only=True):
    """Command: put something on the board (`client_id` makes a retry a no-op)."""

    client_id: ClientId
    category: Category = "offer"
    title: Title
    body: Text = ""
    location: Location | None = None
    tags: Tags = []
    ttl_seconds: Ttl = DEFAULT_TTL
    attachments: Attachments = []

    def created(self) -> PostCreated:
        """The event this command records."""
        return PostCreated(
            client_id=self.client_id,
            category=self.category,
            title=self.title,
            body=self.body,
            location=self.location,
            tags=self.tags,
            ttl_seconds=self.ttl_seconds,
            attachments=self.attachments,
        )


class Expire(msgspec.Struct, frozen=True, kw_only=True):
    """Command: take a post off the board (the author), or mark it stale (a trusted member)."""

    event_id: EventIdHex
    client_id: str = ""
    reason: Reason = "user_request"


def expiry_refusal(post_author: str, expirer: str, reason: Reason, expirer_level: str) -> str:
    """Why an expiry does not take a post off the board ('' when it does). `expirer_level` is
    the expirer's level as an active member, '' otherwise. BOARD_SQL applies the same rule."""
    if expirer == post_author:
        return ""
    if reason != "stale":
        return "only the author expires a post (others: stale)"
    if expirer_level not in TRUSTED_LEVELS:
        return "marking another's post stale needs a trusted member"
    return ""
