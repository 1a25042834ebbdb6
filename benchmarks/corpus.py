"""Write a reproducible signed corpus: `python -m benchmarks.corpus N FILE`.

The first author founds the community and invites the others, who join; then the authors
take turns posting 300-500 byte market posts. Same N, same bytes, every time.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from hearthnet.adapters.crypto import NaclSigner, blake3_256
from hearthnet.domain import community as c
from hearthnet.domain import envelope
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.types import b64url, node_id

if TYPE_CHECKING:
    from collections.abc import Iterator

BASE_TS = 1_790_000_000_000
WORDS = [
    "bread",
    "eggs",
    "ladder",
    "drill",
    "bike",
    "repair",
    "soup",
    "garden",
    "seeds",
    "honey",
    "wool",
    "lantern",
    "radio",
    "water",
    "battery",
    "tent",
    "blanket",
    "firewood",
    "apples",
    "flour",
    "candles",
    "help",
    "lift",
    "childcare",
]


class MarketPost(msgspec.Struct, kw_only=True):
    """The body of a corpus post (shaped like market.post.created)."""

    client_id: str
    category: str
    title: str
    body: str
    tags: list[str]
    ttl_seconds: int


def authors(count: int) -> list[NaclSigner]:
    """Return the corpus authors' signers (fixed keys)."""
    return [NaclSigner(blake3_256(f"hearthnet corpus author {i}".encode())) for i in range(count)]


def generate(
    n: int, author_count: int = 8, seed: int = 0, base_ts: int = BASE_TS
) -> Iterator[bytes]:
    """Yield n signed events: genesis, invitations and joins first, then posts, one second
    apart from base_ts."""
    rng = random.Random(seed)
    signers = authors(author_count)
    community = signers[0].public_key
    heads: dict[bytes, tuple[int, bytes]] = {}
    lamport = 0

    def sign(signer: NaclSigner, type_: str, body: bytes) -> bytes:
        nonlocal lamport
        lamport += 1
        seq, prev = heads.get(signer.public_key, (0, b""))
        e = envelope.unsigned(
            community=community,
            author=signer.public_key,
            seq=seq + 1,
            prev=prev,
            lamport=lamport,
            ts=base_ts + lamport * 1000,
            type=type_,
            body=body,
        )
        raw = envelope.encode(
            msgspec.structs.replace(e, sig=signer.sign(envelope.signing_bytes(e)))
        )
        heads[signer.public_key] = (seq + 1, blake3_256(raw))
        return raw

    founder = signers[0]
    setup = [
        sign(
            founder,
            c.COMMUNITY_CREATED,
            encode_body(c.CommunityCreated(name="Corpus", founder_node_id=node_id(community))),
        )
    ]
    for s in signers[1:]:
        invite = sign(
            founder,
            c.MEMBER_INVITED,
            encode_body(
                c.MemberInvited(invitee_node_id=node_id(s.public_key), expires_at=base_ts + 10**12)
            ),
        )
        setup += [
            invite,
            sign(
                s,
                c.MEMBER_JOINED,
                encode_body(c.MemberJoined(invite_event_id=blake3_256(invite).hex())),
            ),
        ]
    yield from setup[:n]
    for i in range(n - len(setup)):
        signer = signers[i % author_count]
        words = rng.choices(WORDS, k=rng.randint(8, 24))
        post = MarketPost(
            client_id=b64url(rng.randbytes(12)),
            category=rng.choice(("offer", "request")),
            title=" ".join(words[:5]),
            body=" ".join(words[5:]),
            tags=words[:3],
            ttl_seconds=604800,
        )
        yield sign(signer, "market.post.created", encode_body(post))


def founder_home(home: Path, n: int) -> None:
    """Make home the data directory of the corpus founder's node, its log holding n events
    that end now (so the posts are live)."""
    from hearthnet.adapters.keystore import key_paths
    from hearthnet.bootstrap import open_node
    from hearthnet.config import Config, save_config

    founder = authors(8)[0]
    private, public = key_paths(home)
    private.parent.mkdir(parents=True)
    private.write_bytes(founder.seed)
    public.write_bytes(founder.public_key)
    save_config(home, Config(name="Big", community=node_id(founder.public_key)))
    node = open_node(home)
    batch: list[bytes] = []
    for raw in generate(n, base_ts=int(time.time() * 1000) - n * 1000):
        batch.append(raw)
        if len(batch) == 5000:
            node.log.ingest(batch)
            batch = []
    node.log.ingest(batch)
    node.views.catch_up()
    node.close()


def write_jsonl(n: int, path: Path) -> None:
    """Write the corpus as an importable JSON Lines file."""
    enc = msgspec.json.Encoder()
    with path.open("wb") as f:
        for raw in generate(n):
            f.write(enc.encode({"raw": b64url(raw)}) + b"\n")


def main() -> None:
    """Write N events to FILE."""
    if len(sys.argv) != 3 or not sys.argv[1].isdigit():
        sys.exit("usage: python -m benchmarks.corpus N FILE")
    n, path = int(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    write_jsonl(n, path)
    seconds = time.perf_counter() - started
    print(f"events={n} file={path} bytes={path.stat().st_size} seconds={seconds:.1f}")
    print(f"corpus={n}")


if __name__ == "__main__":
    main()
