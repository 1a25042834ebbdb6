"""Building signed events for tests: hand-written, no mocks."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from hearthnet.adapters.crypto import NaclSigner, blake3_256
from hearthnet.domain import community as c
from hearthnet.domain import envelope
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.types import b64url, node_id


def signer(n: int) -> NaclSigner:
    """Return a fixed test signer."""
    return NaclSigner(blake3_256(f"test signer {n}".encode()))


def sign(signer_: NaclSigner, event: envelope.Event) -> bytes:
    """Sign an unsigned envelope and return its bytes."""
    sig = signer_.sign(envelope.signing_bytes(event))
    return envelope.encode(msgspec.structs.replace(event, sig=sig))


@dataclass
class Author:
    """Mints one author's feed, event by event, with a shared Lamport clock."""

    key: NaclSigner
    community: bytes
    seq: int = 0
    prev: bytes = b""
    clock: list[int] = field(default_factory=lambda: [0])

    @property
    def id(self) -> str:
        return node_id(self.key.public_key)

    def event(self, type_: str = "test.note", body: bytes = b"\x80", **over: object) -> bytes:
        """Return the author's next signed event (fields in `over` replace the defaults)."""
        self.clock[0] += 1
        fields: dict[str, object] = dict(
            community=self.community,
            author=self.key.public_key,
            seq=self.seq + 1,
            prev=self.prev,
            lamport=self.clock[0],
            ts=1_790_000_000_000 + self.clock[0],
            type=type_,
            body=body,
        )
        fields.update(over)
        raw = sign(self.key, envelope.unsigned(**fields))  # type: ignore[arg-type]
        self.seq, self.prev = self.seq + 1, blake3_256(raw)
        return raw

    def fork(self, seq: int, prev: bytes, type_: str = "test.other") -> bytes:
        """Return a second, different event at seq (an equivocation)."""
        self.clock[0] += 1
        e = envelope.unsigned(
            community=self.community,
            author=self.key.public_key,
            seq=seq,
            prev=prev,
            lamport=self.clock[0],
            ts=1,
            type=type_,
            body=b"\x80",
        )
        return sign(self.key, e)


def community(founder_n: int = 0, name: str = "Testdorf") -> tuple[Author, bytes]:
    """Return a founder and its genesis event."""
    key = signer(founder_n)
    founder = Author(key, key.public_key)
    genesis = founder.event(
        c.COMMUNITY_CREATED,
        encode_body(c.CommunityCreated(name=name, founder_node_id=node_id(key.public_key))),
    )
    return founder, genesis


def cosign(
    community_key: bytes, type_: str, body: msgspec.Struct, *signers: NaclSigner
) -> list[c.CoSignature]:
    """Return co-signatures of a membership change by the given signers."""
    payload = c.cosign_payload(community_key, type_, body)
    return [
        c.CoSignature(node_id=node_id(s.public_key), signature=b64url(s.sign(payload)))
        for s in signers
    ]
