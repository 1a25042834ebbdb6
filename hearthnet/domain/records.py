"""What the log hands on: a stored event with its id, and a stored fork proof."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from hearthnet.domain.envelope import Event


class Recorded(NamedTuple):
    """A stored event as projections see it: its id, envelope and encoded size."""

    id: bytes
    event: Event
    size: int


class ForkRecord(NamedTuple):
    """A stored fork proof: the author, the seq its feed is frozen at, and the two ids."""

    author: bytes
    seq: int
    first_id: bytes
    second_id: bytes
