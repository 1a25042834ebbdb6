"""The one admission rule, and the members-only, bounded log behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import pytest

from hearthnet.adapters.crypto import NaclSigner, blake3_256, verify_ed25519
from hearthnet.adapters.early_events import MAX_BYTES, MAX_BYTES_PER_AUTHOR
from hearthnet.adapters.event_log import EventLog
from hearthnet.adapters.store import open_recorder
from hearthnet.domain import admission, envelope
from hearthnet.domain import community as c
from hearthnet.domain.admission import Refused
from hearthnet.domain.bodies import encode_body
from tests.factories import Author, community, signer

if TYPE_CHECKING:
    from pathlib import Path


def _event(**over: object) -> envelope.Event:
    founder, _ = community()
    return envelope.decode(founder.event(**over))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("over", "why"),
    [
        ({"ts": 2**63 - 1}, "year 9999"),
        ({"ts": admission.MAX_TS_MS + 1}, "year 9999"),
        ({"lamport": 2**53}, "beyond 2"),
        ({"body": b"\xc1"}, "not msgpack"),
        ({"body": msgspec.msgpack.encode({"n": 2**64 - 1})}, "64 bits"),
        ({"body": msgspec.msgpack.encode([[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]])}, "nested"),
        ({"type": "market.post.created", "body": b"\x80"}, "schema"),
        (
            {"type": "chat.message.read", "body": encode_body(c.MemberJoined(invite_event_id=""))},
            "schema",
        ),
    ],
)
def test_refused(over: dict[str, object], why: str) -> None:
    with pytest.raises(Refused, match=why):
        admission.check(_event(**over))


def test_admitted_at_the_bounds_and_unknown_types_carried() -> None:
    admission.check(_event(ts=admission.MAX_TS_MS, lamport=2**53 - 1))
    admission.check(_event(type="x.future.thing", body=msgspec.msgpack.encode({"a": [1, "b"]})))
    deepest: object = 1
    for _ in range(admission.MAX_DEPTH):
        deepest = [deepest]
    admission.check(_event(type="x.deep", body=msgspec.msgpack.encode(deepest)))


def _log(tmp_path: Path) -> EventLog:
    url = f"sqlite:///{tmp_path / 'log.sqlite'}"
    return EventLog(open_recorder(url), verify_ed25519, blake3_256, members_only=True)


def _invite(founder: Author, who: Author) -> bytes:
    body = c.MemberInvited(invitee_node_id=who.id, expires_at=2**42)
    return founder.event(c.MEMBER_INVITED, encode_body(body))


def test_only_the_founder_and_invitees_write(tmp_path: Path) -> None:
    log = _log(tmp_path)
    founder, genesis = community()
    friend = Author(signer(1), founder.community, clock=founder.clock)
    stranger = Author(signer(2), founder.community, clock=founder.clock)
    report = log.ingest([stranger.event(), genesis])
    assert [r[1] for r in report.rejected] == ["the author is not a member"]
    early = friend.event()
    assert log.ingest([early]).rejected, "before the invitation, the friend is a stranger"
    report = log.ingest([_invite(founder, friend), early, friend.event()])
    assert len(report.stored) == 3, "an invitation in the same batch admits its invitee"
    log.close()
    reopened = _log(tmp_path)
    reopened.community = founder.community
    assert reopened.ingest([friend.event()]).stored, "who may write is read back from the log"
    with pytest.raises(Refused, match="not a member"):
        reopened.append_local(stranger.key, "x.note", b"\x80")
    reopened.close()


def test_the_node_refuses_to_sign_what_no_node_would_store(tmp_path: Path) -> None:
    log = _log(tmp_path)
    founder, genesis = community()
    log.ingest([genesis])
    log.community = founder.community
    for type_, body in [
        ("BAD TYPE", b"\x80"),
        ("market.post.created", b"\x80"),
        ("x.big", b"\xc4" + b"\x00" * 9000),
    ]:
        with pytest.raises(Refused):
            log.append_local(founder.key, type_, body)
    assert log.append_local(founder.key, "x.note", b"\x80").event.seq == 2
    log.close()


def test_the_early_buffer_is_bounded_in_bytes_and_the_greediest_author_gives_way(
    tmp_path: Path,
) -> None:
    log = _log(tmp_path)
    founder, genesis = community()
    greedy = Author(signer(3), founder.community, clock=founder.clock)
    log.ingest([genesis])
    hogs = [NaclSigner(blake3_256(f"hog {i}".encode())) for i in range(12)]
    authors = [Author(k, founder.community, clock=founder.clock) for k in hogs]
    log.ingest([_invite(founder, a) for a in [*authors, greedy]])
    pad = msgspec.msgpack.encode("p" * 7000)
    for a in authors:  # each leaves a gap at seq 1 and sends as much as it may hold back
        a.event("x.gap", pad)
        log.ingest([a.event("x.pad", pad) for _ in range(200)])
        assert log.early.bytes_of(a.key.public_key) <= MAX_BYTES_PER_AUTHOR
        assert log.buffered_bytes() <= MAX_BYTES
    greedy.event("x.gap")
    small = log.ingest([greedy.event() for _ in range(3)])
    assert len(small.buffered) == 3, "an author holding little is never refused for the others"
    assert log.buffered_bytes() <= MAX_BYTES
    log.close()
