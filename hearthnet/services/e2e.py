"""End-to-end encryption's keys: this node keeps its prekeys published and topped up, and
any member can read another's published keys."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import e2e
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.projections.e2e import OFFERED_IDS_SQL, OFFERED_SQL, TOP_IDS_SQL
from hearthnet.services.bus import Capability
from hearthnet.services.context import valid_node

if TYPE_CHECKING:
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


class KeysInput(msgspec.Struct, kw_only=True):
    """Whose published keys."""

    node_id: str


async def keep_prekeys(node: NodeContext) -> None:
    """Reaction: publish this node's keys when it has none on the log, when its signed prekey
    is a week old, when fewer than 25 one-time prekeys are on offer, or when one-time prekeys
    were used up (they are retired: nobody picks them again). An active member only: others
    cannot write."""
    member = await node.query(
        "SELECT 1 FROM members WHERE node_id = :me AND status = 'active'", {"me": node.me}
    )
    if not member:
        return
    mine = await node.query(
        "SELECT signed_prekey_id, signed_prekey, signed_at FROM e2e_keys WHERE node_id = :me",
        {"me": node.me},
    )
    offered = await node.query(OFFERED_SQL, {"who": node.me})
    used = sorted({*await node.keyring.consumed(), *await _not_held(node)})
    now = int(time.time() * 1000)
    on_offer = offered[0]["n"] - len(used)
    rotate, top_up = e2e.due(mine[0]["signed_at"] if mine else None, on_offer, now)
    if mine and not await node.keyring.holding("signed", [mine[0]["signed_prekey_id"]]):
        rotate = True  # a key restored on a new device: its old prekeys stayed behind
    if not rotate and not top_up and not used:
        return
    tops = await node.query(TOP_IDS_SQL, {"who": node.me})
    if rotate:
        after = tops[0]["signed"] or 0
        [(spk_id, spk_key)] = await node.keyring.create("signed", 1, after)
        spk = e2e.Prekey(id=spk_id, key=spk_key)
    else:
        spk = e2e.Prekey(id=mine[0]["signed_prekey_id"], key=mine[0]["signed_prekey"])
    made = await node.keyring.create("one_time", top_up, tops[0]["one_time"] or 0)
    one_time = [e2e.Prekey(id=i, key=k) for i, k in made]
    body = e2e.PrekeysPublished(
        identity=node.keyring.identity_public(),
        signed_prekey=spk,
        one_time=one_time,
        retired=used[:1000],
    )
    await node.record(e2e.PREKEYS_PUBLISHED, encode_body(body))
    await node.keyring.retired(used[:1000])


async def _not_held(node: NodeContext) -> list[int]:
    """One-time prekeys this node offers on the log but holds no private half of."""
    rows = await node.query(OFFERED_IDS_SQL, {"who": node.me})
    offered = [r["prekey_id"] for r in rows]
    held = await node.keyring.holding("one_time", offered)
    return [i for i in offered if i not in held]


async def keys(call: Call, node: NodeContext) -> dict[str, Any]:
    q: KeysInput = call.input
    who = valid_node(q.node_id, "node_id")
    found = await node.query(
        "SELECT identity, signed_prekey_id, signed_at FROM e2e_keys WHERE node_id = :who",
        {"who": who},
    )
    if not found:
        raise BusError("not_found", f"{who} has published no keys")
    offered = await node.query(OFFERED_SQL, {"who": who})
    return {
        "node_id": who,
        "identity": found[0]["identity"].hex(),
        "signed_prekey_id": found[0]["signed_prekey_id"],
        "signed_at": found[0]["signed_at"],
        "one_time_offered": offered[0]["n"],
    }


async def safety_number(call: Call, node: NodeContext) -> dict[str, Any]:
    q: KeysInput = call.input
    who = valid_node(q.node_id, "node_id")
    if who == node.me:
        raise BusError("bad_request", "a safety number compares this node with another member")
    rows = await node.query(
        "SELECT node_id, identity FROM e2e_keys WHERE node_id IN (:me, :who)",
        {"me": node.me, "who": who},
    )
    found = {r["node_id"]: bytes(r["identity"]) for r in rows}
    missing = sorted({node.me, who} - set(found))
    if missing:
        raise BusError("not_found", f"{missing[0]} has published no keys")
    number = await asyncio.to_thread(e2e.safety_number, node.me, found[node.me], who, found[who])
    return {"node_id": who, "safety_number": number}


CAPABILITIES = (
    Capability("e2e.keys", "member", KeysInput, keys),
    Capability("e2e.safety_number", "self", KeysInput, safety_number),
)
