"""Market handlers alone, on an in-memory context: no node, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
import pytest

from hearthnet.domain import market as m
from hearthnet.domain.capability import BusError
from hearthnet.services import market
from hearthnet.services.bus import Call

ME = "ed25519:" + "A" * 43
POST_ID = "ab" * 32


@dataclass
class FakeNode:
    """Answers the handlers' queries from fixed rows and records what they append."""

    me: str = ME
    level: str = "member"
    author: str = "ed25519:" + "B" * 43
    appended: list[tuple[str, bytes]] = field(default_factory=list)

    async def query(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if "FROM members" in sql:
            return [{"level": self.level}] if self.level else []
        if "FROM posts WHERE event_id" in sql:
            return [{"author": self.author, "client_id": "c1"}]
        return []

    async def append(self, type_: str, body: bytes) -> Any:
        self.appended.append((type_, body))

        class Event:
            lamport = 7

        class Recorded:
            id = b"\x01" * 32
            event = Event()

        return Recorded()


def _call(input_: msgspec.Struct) -> Call:
    return Call(ME, "self", {}, input_)


async def test_a_member_cannot_mark_anothers_post_stale_and_appends_nothing() -> None:
    node = FakeNode(level="member")
    with pytest.raises(BusError) as refused:
        await market.expire(_call(m.Expire(event_id=POST_ID, reason="stale")), node)
    assert refused.value.code == "unauthorized"
    assert node.appended == []


async def test_a_trusted_member_marks_it_stale() -> None:
    node = FakeNode(level="trusted")
    out = await market.expire(_call(m.Expire(event_id=POST_ID, reason="stale")), node)
    assert out["lamport"] == 7
    [(type_, body)] = node.appended
    assert type_ == m.POST_EXPIRED
    assert msgspec.msgpack.decode(body, type=m.PostExpired).reason == "stale"


async def test_only_the_author_withdraws_a_post() -> None:
    node = FakeNode()
    with pytest.raises(BusError):
        await market.expire(_call(m.Expire(event_id=POST_ID, reason="withdrawn")), node)
    mine = FakeNode(author=ME)
    await market.expire(_call(m.Expire(event_id=POST_ID, reason="withdrawn")), mine)
    assert [t for t, _ in mine.appended] == [m.POST_EXPIRED]
