"""A member with a valid key against the keys of end-to-end encryption: publishing another
node's identity, flooding publications, oversized ones, and the key capabilities from afar."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import blake3_256
from hearthnet.adapters.keyring import x25519_from_ed25519
from hearthnet.domain import e2e, envelope
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.records import Recorded
from hearthnet.projections.e2e import E2eProjection
from tests.e2e.cluster import cli
from tests.factories import Author, community, signer

if TYPE_CHECKING:
    from tests.adversarial.conftest import Village


def _keys(identity: bytes, one_time: int = 0, retired: int = 0) -> bytes:
    return encode_body(
        e2e.PrekeysPublished(
            identity=identity,
            signed_prekey=e2e.Prekey(id=1, key=b"\x05" * 32),
            one_time=[e2e.Prekey(id=i, key=b"\x06" * 32) for i in range(1, one_time + 1)],
            retired=list(range(1, retired + 1)),
        )
    )


def test_another_nodes_identity_is_stored_as_evidence_but_never_offered(village: Village) -> None:
    anchor_keys = village.anchor.call("e2e.keys", {"node_id": village.anchor_id})
    feed = village.member_feed()
    now = int(time.time() * 1000)
    forged = feed.event(
        e2e.PREKEYS_PUBLISHED, _keys(bytes.fromhex(anchor_keys["identity"]), 10), ts=now
    )
    assert village.push([forged]).stored == 1
    deadline = time.monotonic() + 30
    while True:
        stats = json.loads(cli(village.anchor.home, "log", "stats", "--json").stdout)
        refused = [u for u in stats["unfolded"] if u["event_id"] == blake3_256(forged).hex()]
        if refused:
            break
        assert time.monotonic() < deadline, "the view never judged the forged keys"
        time.sleep(0.2)
    assert "not the X25519 form of the author's key" in refused[0]["reason"]
    response = village.bus("e2e.keys", {"node_id": feed.id})
    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    again = village.anchor.call("e2e.keys", {"node_id": village.anchor_id})
    assert again == anchor_keys, "the anchor's own keys are untouched"


def test_a_flood_of_keys_keeps_only_each_authors_current_keys_in_memory() -> None:
    founder, _ = community()
    view = E2eProjection(x25519_from_ed25519)
    view.restore({})
    identity = x25519_from_ed25519(founder.key.public_key)
    for _ in range(300):
        raw = founder.event(e2e.PREKEYS_PUBLISHED, _keys(identity, one_time=100, retired=1000))
        view.apply(Recorded(blake3_256(raw), envelope.decode(raw), len(raw)))
        writes = view.flush()
        assert len(writes.upserts["e2e_one_time"]) == 100
    held = {name: len(v) for name, v in vars(view).items() if isinstance(v, (dict, list))}
    assert held == {
        "_keys": 1,
        "_key_rows": 0,
        "_one_time_rows": 0,
        "_retired_rows": 0,
        "_broken_rows": 0,
    }


def test_oversized_publications_are_refused_on_push(village: Village) -> None:
    feed = village.member_feed()
    identity = x25519_from_ed25519(village.member.public_key)
    too_many = feed.event(e2e.PREKEYS_PUBLISHED, _keys(identity, one_time=101))
    assert village.push([too_many]).rejected == 1
    stranger = Author(signer(3), feed.community)
    keys = _keys(x25519_from_ed25519(stranger.key.public_key))
    assert village.push([stranger.event(e2e.PREKEYS_PUBLISHED, keys)]).rejected == 1


def test_the_key_capabilities_from_another_node(village: Village) -> None:
    remote = village.bus("e2e.safety_number", {"node_id": village.anchor_id})
    assert (remote.status_code, remote.json()["error"]) == (401, "unauthorized")
    bad = village.bus("e2e.keys", {"node_id": "ed25519:nope"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_request")
    anchors = village.bus("e2e.keys", {"node_id": village.anchor_id})
    assert anchors.status_code == 200 and anchors.json()["output"]["one_time_offered"] == 50
