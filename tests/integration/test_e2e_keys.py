"""Keys for end-to-end encryption on the log: a running node publishes its identity key,
a signed prekey and fifty one-time prekeys, tops them up when they run low, and keeps the
private halves in its own key file only. What a hostile member tries: tests/adversarial."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.adapters.keyring import LocalKeyring, x25519_from_ed25519
from hearthnet.adapters.onboarding import found_community
from hearthnet.adapters.runtime import NodeRuntime, RunOptions
from hearthnet.bootstrap import node_runtime, open_node
from hearthnet.domain import admission, e2e
from hearthnet.domain import community as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import node_id, parse_node_id
from tests.e2e.cluster import free_port
from tests.factories import Author, signer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path


@contextlib.asynccontextmanager
async def running(home: Path) -> AsyncIterator[NodeRuntime]:
    node = open_node(home, create_key=True)
    if not node.config.community:
        found_community(node, "Schlüsseldorf")
    runtime = node_runtime(node, RunOptions(port=free_port(), discovery=False))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
        node.close()


async def eventually(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(BusError, AssertionError):
            found = await check()
            if found:
                return found
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


async def keys_of(runtime: NodeRuntime, who: str) -> dict[str, Any]:
    return await runtime.local_bus().call("e2e.keys", {"node_id": who})


async def publications(runtime: NodeRuntime) -> int:
    rows = await runtime.reader.query(
        "SELECT count(*) AS n FROM timeline WHERE type = :t", {"t": e2e.PREKEYS_PUBLISHED}
    )
    return int(rows[0]["n"])


async def test_a_node_publishes_its_keys_and_keeps_the_private_halves(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        mine = await eventually(lambda: keys_of(runtime, runtime.me), "keys published")
        assert bytes.fromhex(mine["identity"]) == x25519_from_ed25519(runtime.signer.public_key)
        assert mine["one_time_offered"] == e2e.ONE_TIME_BATCH
    key_file = tmp_path / "keys" / "e2e.sqlite"
    assert key_file.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(key_file) as db:
        privates = [bytes(r[0]) for r in db.execute("SELECT private FROM prekey_private")]
    assert len(privates) == e2e.ONE_TIME_BATCH + 1
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.parent.name != "keys":
            data = path.read_bytes()
            assert not [p for p in privates if p in data], f"a private key in {path}"


async def test_one_time_prekeys_are_topped_up_and_a_restart_publishes_nothing_new(
    tmp_path: Path,
) -> None:
    async with running(tmp_path) as runtime:
        mine = await eventually(lambda: keys_of(runtime, runtime.me), "keys published")
        rows = await runtime.reader.query(
            "SELECT signed_prekey_id, signed_prekey FROM e2e_keys WHERE node_id = :me",
            {"me": runtime.me},
        )
        spk = e2e.Prekey(id=rows[0]["signed_prekey_id"], key=rows[0]["signed_prekey"])
        used = e2e.PrekeysPublished(
            identity=bytes.fromhex(mine["identity"]), signed_prekey=spk, retired=list(range(1, 31))
        )
        await runtime.context.append(e2e.PREKEYS_PUBLISHED, encode_body(used))

        async def topped_up() -> bool:
            return (await keys_of(runtime, runtime.me))["one_time_offered"] == 50

        await eventually(topped_up, "one-time prekeys topped up")
        ids = await runtime.reader.query(
            "SELECT max(prekey_id) AS top FROM e2e_one_time WHERE node_id = :me", {"me": runtime.me}
        )
        assert ids[0]["top"] == 80, "new keys, never a retired one again"
        before = await publications(runtime)
        assert before == 3
    async with running(tmp_path) as runtime:
        await runtime.refresh_views()
        assert await publications(runtime) == before
        assert (await keys_of(runtime, runtime.me))["signed_prekey_id"] == spk.id


def test_a_publication_is_bounded_before_anything_is_stored() -> None:
    spk = e2e.Prekey(id=1, key=b"\x01" * 32)
    many = [e2e.Prekey(id=i, key=b"\x02" * 32) for i in range(1, 102)]
    body = msgspec.msgpack.encode(
        e2e.PrekeysPublished(identity=b"\x03" * 32, signed_prekey=spk, one_time=many)
    )
    with pytest.raises(admission.Refused):
        admission.check_body(e2e.PREKEYS_PUBLISHED, body)
    short = msgspec.msgpack.encode(
        {"identity": b"\x03" * 31, "signed_prekey": {"id": 1, "key": b"\x01" * 32}}
    )
    with pytest.raises(admission.Refused):
        admission.check_body(e2e.PREKEYS_PUBLISHED, short)


def test_the_safety_number_is_the_same_on_both_sides_and_follows_the_keys() -> None:
    a, b = "ed25519:" + "A" * 43, "ed25519:" + "B" * 43
    number = e2e.safety_number(a, b"\x01" * 32, b, b"\x02" * 32)
    assert number == e2e.safety_number(b, b"\x02" * 32, a, b"\x01" * 32)
    assert [len(g) for g in number.split()] == [5] * 12
    assert number != e2e.safety_number(a, b"\x01" * 32, b, b"\x03" * 32)


async def test_a_member_s_safety_number_on_a_running_node(tmp_path: Path) -> None:
    async with running(tmp_path) as runtime:
        mine = await eventually(lambda: keys_of(runtime, runtime.me), "keys published")
        friend = Author(signer(8), parse_node_id(runtime.community))
        invite = await runtime.local_bus().call("community.invite", {"invitee_node_id": friend.id})
        friend.clock[0] = runtime.node.log.max_lamport
        theirs = x25519_from_ed25519(friend.key.public_key)
        keys = e2e.PrekeysPublished(
            identity=theirs, signed_prekey=e2e.Prekey(id=1, key=b"\x05" * 32)
        )
        now = int(time.time() * 1000)
        joined = c.MemberJoined(invite_event_id=invite["event_id"])
        await runtime.writer.ingest(
            [
                friend.event(c.MEMBER_JOINED, encode_body(joined), ts=now),
                friend.event(e2e.PREKEYS_PUBLISHED, encode_body(keys), ts=now),
            ]
        )
        await runtime.refresh_views()
        shown = await runtime.local_bus().call("e2e.safety_number", {"node_id": friend.id})
        ours = bytes.fromhex(mine["identity"])
        assert shown["safety_number"] == e2e.safety_number(friend.id, theirs, runtime.me, ours)
        with pytest.raises(BusError, match="with another member"):
            await runtime.local_bus().call("e2e.safety_number", {"node_id": runtime.me})
        with pytest.raises(BusError, match="has published no keys"):
            stranger = node_id(signer(9).public_key)
            await runtime.local_bus().call("e2e.safety_number", {"node_id": stranger})


def test_closing_the_keyring_waits_for_keys_being_stored(tmp_path: Path) -> None:
    keyring = LocalKeyring(tmp_path, NaclSigner.generate())
    with keyring._lock:  # as while a reaction's thread stores new keys
        closing = threading.Thread(target=keyring.close)
        closing.start()
        closing.join(0.2)
        assert closing.is_alive(), "close must not pull the file from under a write"
    closing.join(30)
    assert not closing.is_alive()
    with pytest.raises(sqlite3.ProgrammingError):
        keyring._create("one_time", 1)


async def test_a_replaced_signed_prekey_is_deleted_after_its_grace_period(tmp_path: Path) -> None:
    keyring = LocalKeyring(tmp_path, NaclSigner.generate())
    try:
        await keyring.create("signed", 1)
        old = int(time.time() * 1000) - 36 * 24 * 3600 * 1000
        keyring._db.execute("UPDATE prekey_private SET created_at = ?", (old,))
        await keyring.create("signed", 1)
        held = keyring._db.execute("SELECT id FROM prekey_private ORDER BY id").fetchall()
        assert held == [(1,), (2,)], "the previous one stays for late first messages"
        await keyring.create("signed", 1)
        held = keyring._db.execute("SELECT id FROM prekey_private ORDER BY id").fetchall()
        assert held == [(2,), (3,)], "an old one with two newer ones is gone"
    finally:
        keyring.close()
