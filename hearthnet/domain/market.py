"""The marketplace board: posts and their expiry, and the rules that decide them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

POST_CREATED = "market.post.created"
POST_EXPIRED = "market.post.expired"
DEFAULT_TTL = 7 * 24 * 3600
MAX_TTL = 30 * 24 * 3600

Category = Literal["offer", "request", "info", "emergency"]
Reason = Literal["fulfilled", "withdrawn", "user_request", "stale"]
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class Location(msgspec.Struct, frozen=True, kw_only=True):
    """Where a post is about."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)]
    label: Annotated[str, msgspec.Meta(max_length=120)] = ""


class PostCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A member put something on the board."""

    client_id: ClientId
    category: Category = "offer"
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    body: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    location: Location | None = None
    tags: Annotated[list[Tag], msgspec.Meta(max_length=10)] = []
    ttl_seconds: Annotated[int, msgspec.Meta(ge=60, le=MAX_TTL)] = DEFAULT_TTL


class PostExpired(msgspec.Struct, frozen=True, kw_only=True):
    """A post was taken off the board (hex event id of the post)."""

    client_id: ClientId
    target_event_id: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    reason: Reason = "user_request"
