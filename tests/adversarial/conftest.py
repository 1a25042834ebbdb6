"""A hostile member's tools: a running anchor node, a member key, and signed raw requests."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import msgspec
import pytest

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.request_auth import sign_request
from hearthnet.bootstrap import open_node
from hearthnet.domain.types import parse_node_id
from hearthnet.sync.protocol import Bundle, PushReply
from tests.e2e.cluster import NodeProcess, cli, free_port, keys_everywhere, new_key, target_of
from tests.factories import Author

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@dataclass
class Village:
    """An anchor node running, and a member whose key the attacker holds."""

    anchor: NodeProcess
    member_home: Path
    community: str
    anchor_id: str

    @property
    def member(self) -> NaclSigner:
        return NaclSigner((self.member_home / "keys" / "device.ed25519").read_bytes())

    def member_feed(self) -> Author:
        """The member's feed as its own log ends, ready to mint the next event."""
        node = open_node(self.member_home)
        try:
            key = self.member.public_key
            head = node.log.head(key)
            assert head is not None
            return Author(
                self.member,
                parse_node_id(self.community),
                seq=head.seq,
                prev=head.id,
                clock=[node.log.max_lamport + 1000],
            )
        finally:
            node.close()

    def signed(
        self, path: str, body: bytes, signer: NaclSigner | None = None, **headers: str
    ) -> httpx.Response:
        """POST a request signed by the member (or another key) to the anchor."""
        signed = sign_request(
            signer or self.member, self.community, self.anchor_id, "POST", path, body
        )
        return httpx.post(
            self.anchor.url + path, content=body, headers={**signed, **headers}, timeout=15
        )

    def push(self, raws: list[bytes], signer: NaclSigner | None = None) -> PushReply:
        """Push events to the anchor as the member; return its reply."""
        response = self.signed("/sync/v1/push", msgspec.msgpack.encode(Bundle(events=raws)), signer)
        assert response.status_code == 200, response.text
        return msgspec.msgpack.decode(response.content, type=PushReply)

    def bus(
        self, capability: str, data: object, signer: NaclSigner | None = None
    ) -> httpx.Response:
        """Call a capability on the anchor as the member."""
        body = msgspec.json.encode({"input": data})
        return self.signed("/bus/v1/call", body, signer, **{"x-hearthnet-capability": capability})


@pytest.fixture
def village(tmp_path: Path) -> Iterator[Village]:
    a_home, b_home = tmp_path / "anchor", tmp_path / "member"
    community = json.loads(cli(a_home, "init", "--name", "Angriff", "--json").stdout)
    anchor = NodeProcess(a_home, free_port(), "--no-discovery").start()
    try:
        link = cli(
            a_home, "invite", "create", "--node-id", new_key(b_home), "--endpoint", anchor.url
        ).stdout.strip()
        joined = json.loads(cli(b_home, "join", link, "--json").stdout)
        deadline = time.monotonic() + 60
        while not any(
            m["node_id"] == joined["node_id"] and m["status"] == "active"
            for m in anchor.call("community.members", {})["members"]
        ):
            assert time.monotonic() < deadline, "the anchor never took in the join"
            time.sleep(0.1)
        keys_everywhere([anchor])
        yield Village(anchor, b_home, community["community_id"], target_of(anchor.url))
    finally:
        anchor.stop()
