"""A file attached to a post or a message, named by its content id (a value shared by the
features that carry attachments)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class Attachment(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A file named by its id; `thumb` names a small JPEG of a photo. `key` opens a sealed
    file: it travels only inside an end-to-end encrypted body, never in the clear."""

    cid: Annotated[str, msgspec.Meta(max_length=80)]
    name: Annotated[str, msgspec.Meta(max_length=120)] = ""
    media_type: Annotated[str, msgspec.Meta(max_length=100)] = ""
    size_bytes: Annotated[int, msgspec.Meta(ge=0, le=64 * 2**30)] = 0
    """At most the largest file a node stores (64 GiB)."""
    thumb: Annotated[str, msgspec.Meta(max_length=80)] = ""
    key: Annotated[bytes, msgspec.Meta(max_length=32)] = b""


Attachments = Annotated[list[Attachment], msgspec.Meta(max_length=10)]
