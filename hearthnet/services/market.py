"""The marketplace's capabilities: post, list, search and expire board posts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from hearthnet.domain import market as m
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.projections.market import BOARD_SQL
from hearthnet.services.bus import Capability
from hearthnet.services.context import Lamport, Limit, own_level

if TYPE_CHECKING:
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

SEMANTIC_CANDIDATES = 512
"""The posts a search by meaning compares: the best keyword matches and the newest posts."""
EMBED_BATCH = 256
MEANING_FLOOR = 0.4
"""The least similarity in meaning (cosine) for a post without the query's words to match."""


class ListInput(msgspec.Struct, kw_only=True):
    """Filter the board."""

    category: m.Category | None = None
    tags: Annotated[list[m.Tag], msgspec.Meta(max_length=10)] = []
    since_lamport: Lamport = 0
    limit: Limit = 50


class SearchInput(msgspec.Struct, kw_only=True):
    """Find posts by words."""

    query: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    k: Annotated[int, msgspec.Meta(ge=1, le=100)] = 10


def _post_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "tags": msgspec.json.decode(row["tags"]),
        "location": msgspec.json.decode(row["location"]) if row["location"] else None,
        "attachments": msgspec.json.decode(row["attachments"]),
    }


async def _board(node: NodeContext, where: str = "", **params: Any) -> list[dict[str, Any]]:
    rows = await node.query(
        f"SELECT * FROM ({BOARD_SQL}) {where}", {"now": int(time.time() * 1000), **params}
    )
    return [_post_row(r) for r in rows]


async def post(call: Call, node: NodeContext) -> dict[str, Any]:
    command: m.Post = call.input
    same = await node.query(
        "SELECT event_id, lamport FROM posts WHERE author = :me AND "
        "client_id = :cid ORDER BY lamport, event_id LIMIT 1",
        {"me": node.me, "cid": command.client_id},
    )
    if same:
        return {**same[0], "duplicate": True}
    if any(a.key for a in command.attachments):
        raise BusError("bad_request", "a post is public: a sealed file's key belongs in a message")
    recorded = await node.append(m.POST_CREATED, encode_body(command.created()))
    return {"event_id": recorded.id.hex(), "lamport": recorded.event.lamport}


async def list_posts(call: Call, node: NodeContext) -> dict[str, Any]:
    q: ListInput = call.input
    tags = " ".join(
        f"AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = :tag{i})"
        for i in range(len(q.tags))
    )
    posts = await _board(
        node,
        "WHERE lamport > :since AND (:cat IS NULL OR category = :cat) "
        f"{tags} ORDER BY lamport DESC LIMIT :limit",
        since=q.since_lamport,
        cat=q.category,
        limit=q.limit,
        **{f"tag{i}": tag for i, tag in enumerate(q.tags)},
    )
    await _with_photo_texts(node, posts)
    return {"posts": posts, "max_lamport": max((p["lamport"] for p in posts), default=0)}


PHOTO_TEXTS = (
    "SELECT p.event_id, o.excerpt FROM posts p, json_each(p.attachments) a "
    "JOIN ocr_texts o ON o.doc_cid = json_extract(a.value, '$.cid') AND o.author = p.author"
)
"""The text read from each post's photos by its author's node (`ocr.document.indexed`)."""


async def _with_photo_texts(node: NodeContext, posts: list[dict[str, Any]]) -> None:
    """Add to each post the text read from its photos (`photo_text`)."""
    ids = {p["event_id"]: p for p in posts if p["attachments"]}
    for p in posts:
        p["photo_text"] = ""
    for i in range(0, len(ids), 500):
        part = list(ids)[i : i + 500]
        marks = ",".join(f":e{j}" for j in range(len(part)))
        rows = await node.query(
            f"{PHOTO_TEXTS} WHERE p.event_id IN ({marks})",
            {f"e{j}": e for j, e in enumerate(part)},
        )
        for r in rows:
            post = ids[r["event_id"]]
            post["photo_text"] = f"{post['photo_text']}\n{r['excerpt']}".strip()


def _keyword_score(post: dict[str, Any], words: list[str]) -> float:
    text = " ".join(
        [post["title"], post["title"], post["body"], *post["tags"], post.get("photo_text", "")]
    ).lower()
    return float(sum(text.count(w) for w in words) / (1 + len(text.split()) ** 0.5))


async def _meanings(node: NodeContext, query: str, posts: list[dict[str, Any]]) -> list[float]:
    """Each post's cosine similarity to the query by `embed.text` (BusError: no embeddings)."""
    texts = [f"{p['title']}. {p['body']} {p.get('photo_text', '')}"[:2000] for p in posts]
    [asked] = (await node.call("embed.text", {"texts": [query]}))["embeddings"]
    vectors = []
    for i in range(0, len(texts), EMBED_BATCH):
        batch = {"texts": texts[i : i + EMBED_BATCH]}
        vectors += (await node.call("embed.text", batch))["embeddings"]
    return [sum(a * b for a, b in zip(asked, v, strict=True)) for v in vectors]


async def search(call: Call, node: NodeContext) -> dict[str, Any]:
    """Keyword search, blended with meaning when an embedding model is reachable: then the
    recent posts are candidates too, and a post that says the same in other words is found."""
    q: SearchInput = call.input
    words = [w for w in q.query.lower().split() if w][:10]
    matches = " OR ".join(
        f"instr(lower(title || ' ' || body || ' ' || tags), :w{i}) > 0" for i in range(len(words))
    )
    in_photos = " OR ".join(f"instr(lower(o.excerpt), :w{i}) > 0" for i in range(len(words)))
    found = await _board(
        node,
        f"WHERE {matches or '0'} OR event_id IN (SELECT event_id FROM posts "
        f"ORDER BY lamport DESC LIMIT {SEMANTIC_CANDIDATES}) OR event_id IN (SELECT event_id "
        f"FROM ({PHOTO_TEXTS} WHERE {in_photos or '0'})) ORDER BY lamport DESC LIMIT 2000",
        **{f"w{i}": w for i, w in enumerate(words)},
    )
    await _with_photo_texts(node, found)
    keyword = [_keyword_score(p, words) for p in found]
    try:
        candidates = sorted(range(len(found)), key=lambda i: -keyword[i])[:SEMANTIC_CANDIDATES]
        meaning = dict(
            zip(
                candidates,
                await _meanings(node, q.query, [found[i] for i in candidates]),
                strict=True,
            )
        )
    except BusError:
        meaning = {}
    top = max(keyword, default=0.0) or 1.0
    scored = []
    for i, p in enumerate(found):
        if keyword[i] > 0 or meaning.get(i, 0.0) >= MEANING_FLOOR:
            similar = meaning.get(i, 0.0)
            score = 0.6 * similar + 0.4 * keyword[i] / top if meaning else keyword[i]
            scored.append({**p, "score": round(score, 4)})
    scored.sort(key=lambda p: (-p["score"], -p["lamport"]))
    return {"posts": scored[: q.k], "ranking": "semantic+keyword" if meaning else "keyword"}


async def expire(call: Call, node: NodeContext) -> dict[str, Any]:
    q: m.Expire = call.input
    found = await node.query(
        "SELECT author, client_id FROM posts WHERE event_id = :id", {"id": q.event_id}
    )
    if not found:
        raise BusError("not_found", f"no post {q.event_id}")
    author = found[0]["author"]
    level = "" if author == node.me else await own_level(node)
    refusal = m.expiry_refusal(author, node.me, q.reason, level)
    if refusal:
        raise BusError("unauthorized", refusal)
    body = m.PostExpired(
        client_id=q.client_id or found[0]["client_id"],
        target_event_id=q.event_id,
        reason=q.reason,
    )
    recorded = await node.append(m.POST_EXPIRED, encode_body(body))
    return {"event_id": recorded.id.hex(), "lamport": recorded.event.lamport}


CAPABILITIES = (
    Capability("market.post", "self", m.Post, post, idempotent=True),
    Capability("market.list", "member", ListInput, list_posts),
    Capability("market.search", "member", SearchInput, search),
    Capability("market.expire", "self", m.Expire, expire),
)
