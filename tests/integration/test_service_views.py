"""The board and the conversations, read from real views: revocation, duplicates, expiry."""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.projection_runner import ProjectionRunner
from hearthnet.bootstrap import PROJECTIONS
from hearthnet.domain import community as cm
from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from hearthnet.projections.market import BOARD_SQL
from tests.conftest import open_log
from tests.factories import Author, community, cosign, signer

if TYPE_CHECKING:
    from pathlib import Path


def test_posts_after_a_revocation_and_duplicates_do_not_show(tmp_path: Path) -> None:
    founder, genesis = community()
    raws = [genesis]
    people = [Author(signer(i), founder.community, clock=founder.clock) for i in (1, 2)]
    for p in people:
        inv = founder.event(
            cm.MEMBER_INVITED,
            encode_body(
                cm.MemberInvited(invitee_node_id=p.id, expires_at=2**42, initial_level="trusted")
            ),
        )
        raws += [
            inv,
            p.event(
                cm.MEMBER_JOINED,
                encode_body(cm.MemberJoined(invite_event_id=blake3_256(inv).hex())),
            ),
        ]
    bad = people[1]

    def post(author: Author, client_id: str, ttl: int = 3600) -> bytes:
        return author.event(
            m.POST_CREATED,
            encode_body(m.PostCreated(client_id=client_id, title=client_id, ttl_seconds=ttl)),
        )

    raws += [
        post(bad, "before"),
        post(founder, "twice"),
        post(founder, "twice"),
        post(founder, "old", ttl=60),
    ]
    body = cm.MemberRevoked(target_node_id=bad.id)
    co = cosign(founder.community, cm.MEMBER_REVOKED, body, founder.key, people[0].key, bad.key)
    raws.append(
        founder.event(
            cm.MEMBER_REVOKED, encode_body(cm.MemberRevoked(target_node_id=bad.id, co_signers=co))
        )
    )
    raws.append(post(bad, "after"))
    log = open_log(f"sqlite:///{tmp_path / 'log.sqlite'}")
    log.ingest(raws)
    runner = ProjectionRunner(log, tmp_path / "views.sqlite", PROJECTIONS, "test")
    runner.catch_up()
    db = sqlite3.connect(tmp_path / "views.sqlite")
    now = 1_790_000_000_000 + 100_000  # 100 s after the posts: the 60 s one is gone
    titles = sorted(r[0] for r in db.execute(f"SELECT title FROM ({BOARD_SQL})", {"now": now}))
    assert titles == ["before", "twice"], "after-revocation post, duplicate and expired are out"
    later = int(time.time() * 1000) * 10
    assert db.execute(f"SELECT COUNT(*) FROM ({BOARD_SQL})", {"now": later}).fetchone() == (0,)
    db.close()
    runner.close()
    log.close()
