"""The expiry rule is written twice: as `market.expiry_refusal` for the handler and inside
BOARD_SQL for the board. Generated cases prove that both take the same posts off the board."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from hypothesis import given
from hypothesis import strategies as st

from hearthnet.domain import market as m
from hearthnet.projections.community import MEMBERS
from hearthnet.projections.market import BOARD_SQL, EXPIRIES, POSTS

if TYPE_CHECKING:
    from hearthnet.projections.base import Table

NODES = ["ed25519:" + c * 43 for c in "ABC"]
POST = "ab" * 32
standing = st.one_of(
    st.none(),
    st.tuples(
        st.sampled_from(["member", "trusted", "anchor"]), st.sampled_from(["active", "revoked"])
    ),
)


def _board(tables: list[Table]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    for t in tables:
        key = ", ".join(t.columns[: t.key])
        db.execute(f"CREATE TABLE {t.name} ({', '.join(t.columns)}, PRIMARY KEY ({key}))")
    return db


@given(
    author=st.sampled_from(NODES),
    expirer=st.sampled_from(NODES),
    reason=st.sampled_from(["fulfilled", "withdrawn", "user_request", "stale"]),
    expirer_standing=standing,
)
def test_the_handler_rule_and_the_board_sql_agree(
    author: str, expirer: str, reason: m.Reason, expirer_standing: tuple[str, str] | None
) -> None:
    db = _board([POSTS, EXPIRIES, MEMBERS])
    db.execute(
        f"INSERT INTO posts VALUES ({', '.join('?' * len(POSTS.columns))})",
        (1, POST, author, "c1", "offer", "t", "", "[]", None, 0, 10**15, "[]"),
    )
    db.execute(
        "INSERT INTO post_expiries VALUES (?, ?, ?, ?, ?)", ("cd" * 32, POST, expirer, reason, 2)
    )
    level = ""
    if expirer_standing is not None:
        level_name, status = expirer_standing
        db.execute(
            "INSERT INTO members VALUES (?, ?, ?, '', '', 0, ?)",
            (expirer, level_name, status, 3 if status == "revoked" else None),
        )
        level = level_name if status == "active" else ""
    on_board = bool(db.execute(f"SELECT 1 FROM ({BOARD_SQL})", {"now": 1}).fetchall())
    assert on_board == bool(m.expiry_refusal(author, expirer, reason, level))
