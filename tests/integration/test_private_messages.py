"""Private messages on a running node, written to by members simulated with real keyrings:
a tampered message, two writers taking the same one-time prekey, and a session its peer
could not take up. The three-node run is in tests/e2e/test_private_messages.py."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from hearthnet.domain import chat, e2e
from hearthnet.domain import community as c
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.ports import Unreadable
from hearthnet.domain.types import parse_node_id
from tests.correspondent import Correspondent
from tests.factories import Author, signer
from tests.integration.test_e2e_keys import eventually, keys_of, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime


async def join(runtime: NodeRuntime, n: int, home: Path) -> Correspondent:
    """A member joins (invited by the running node) and publishes its keys."""
    friend = Author(signer(n), parse_node_id(runtime.community))
    invite = await runtime.local_bus().call("community.invite", {"invitee_node_id": friend.id})
    correspondent = Correspondent(friend, home / f"friend{n}", n)
    await write(
        runtime,
        correspondent,
        c.MEMBER_JOINED,
        encode_body(c.MemberJoined(invite_event_id=invite["event_id"])),
    )
    await write(runtime, correspondent, e2e.PREKEYS_PUBLISHED, await correspondent.keys())
    return correspondent


async def write(runtime: NodeRuntime, who: Correspondent, type_: str, body: bytes) -> str:
    """Store an event a member wrote, as if synced from its node; return its id."""
    who.author.clock[0] = max(who.author.clock[0], runtime.node.log.max_lamport)
    raw = who.author.event(type_, body, ts=int(time.time() * 1000))
    report = await runtime.writer.ingest([raw])
    assert report.stored, report
    await runtime.refresh_views()
    return runtime.node.log.hash(raw).hex()


@contextlib.asynccontextmanager
async def village(
    tmp_path: Path, members: int
) -> AsyncIterator[tuple[NodeRuntime, list[Correspondent]]]:
    async with running(tmp_path / "node") as runtime:
        await eventually(lambda: keys_of(runtime, runtime.me), "keys published")
        friends = [await join(runtime, 10 + i, tmp_path) for i in range(members)]
        try:
            yield runtime, friends
        finally:
            for f in friends:
                f.close()


async def history(runtime: NodeRuntime, **query: Any) -> list[dict[str, Any]]:
    out = await runtime.local_bus().call("chat.history", query)
    return list(out["messages"])


async def opened(runtime: NodeRuntime, count: int) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]]:
        found = await history(runtime)
        done = [m for m in found if m["error"] != "not opened yet"]
        return found if len(done) == count else []

    return await eventually(check, f"{count} messages handled")


async def test_a_tampered_message_is_refused_with_its_reason_and_kept_as_such(
    tmp_path: Path,
) -> None:
    async with village(tmp_path, 1) as (runtime, [friend]):
        await write(
            runtime, friend, chat.MESSAGE_SENT, await friend.message(runtime, "erste", "m1")
        )
        sent = msgspec.msgpack.decode(
            await friend.message(runtime, "zweite", "m2"), type=chat.MessageSent
        )
        assert isinstance(sent.body, chat.Sealed)
        flipped = sent.body.ciphertext[:-1] + bytes([sent.body.ciphertext[-1] ^ 1])
        tampered = msgspec.structs.replace(
            sent, body=chat.Sealed(header=sent.body.header, ciphertext=flipped)
        )
        tampered_id = await write(runtime, friend, chat.MESSAGE_SENT, encode_body(tampered))
        await write(
            runtime, friend, chat.MESSAGE_SENT, await friend.message(runtime, "dritte", "m3")
        )
        shown = {m["event_id"]: m for m in await opened(runtime, 3)}
        bad = shown.pop(tampered_id)
        assert bad["body"] == "" and bad["private"]
        assert bad["error"].startswith("e2e_decrypt_failed") and "altered" in bad["error"]
        assert sorted(m["body"] for m in shown.values()) == ["dritte", "erste"]
        stored = await runtime.reader.query(
            "SELECT 1 FROM timeline WHERE event_id = :id", {"id": tampered_id}
        )
        assert stored, "the tampered message stays on the log, as evidence"


async def test_two_writers_taking_the_same_one_time_prekey(tmp_path: Path) -> None:
    async with village(tmp_path, 2) as (runtime, [first, second]):
        [row] = await runtime.reader.query(
            "SELECT min(prekey_id) AS id FROM e2e_one_time WHERE node_id = :me", {"me": runtime.me}
        )
        taken = row["id"]
        await write(
            runtime,
            first,
            chat.MESSAGE_SENT,
            await first.message(runtime, "von eins", "a", one_time_id=taken),
        )
        late = await second.message(runtime, "von zwei", "b", one_time_id=taken)
        await write(runtime, second, chat.MESSAGE_SENT, late)
        messages = await opened(runtime, 2)
        failed = [m for m in messages if m["error"]]
        assert len(failed) == 1 and "used up" in failed[0]["error"]

        async def broken() -> list[dict[str, Any]]:
            return await runtime.reader.query("SELECT peer, session FROM e2e_broken", {})

        [told] = await eventually(broken, "the node tells the second writer")
        assert told["peer"] == second.author.id
        assert await second.keyring.break_session(runtime.me, told["session"])
        again = await second.message(runtime, "von zwei", "b")
        header = msgspec.msgpack.decode(again, type=chat.MessageSent).body
        assert isinstance(header, chat.Sealed)
        await write(runtime, second, chat.MESSAGE_SENT, again)

        async def both() -> list[str]:
            found = sorted(m["body"] for m in await history(runtime))
            return found if found == ["von eins", "von zwei"] else []

        assert await eventually(both, "the second writer's message opens on a new session")

        async def retired() -> list[dict[str, Any]]:
            return await runtime.reader.query(
                "SELECT 1 FROM e2e_retired WHERE node_id = :me AND prekey_id = :id",
                {"me": runtime.me, "id": taken},
            )

        assert await eventually(retired, "the used one-time prekey is retired on the log")


async def test_a_session_its_peer_could_not_take_up_is_opened_again(tmp_path: Path) -> None:
    async with village(tmp_path, 1) as (runtime, [friend]):
        text = "Kannst du morgen die Leiter bringen?"
        await runtime.local_bus().call(
            "chat.send", {"client_id": "leiter", "recipient": friend.author.id, "body": text}
        )

        async def sealed() -> list[chat.Sealed]:
            rows = await runtime.reader.query(
                "SELECT body FROM messages WHERE client_id = 'leiter' ORDER BY lamport", {}
            )
            return [msgspec.json.decode(r["body"], type=chat.Sealed) for r in rows]

        [first] = await sealed()
        friend.keyring._db.execute(
            "UPDATE prekey_private SET private = NULL WHERE kind = 'one_time'"
        )
        with pytest.raises(Unreadable) as refused:
            await friend.read(runtime, first)
        session = refused.value.broken
        assert session, "the session cannot be taken up"
        told = e2e.SessionBroken(peer=runtime.me, session=session, reason=str(refused.value))
        await write(runtime, friend, e2e.SESSION_BROKEN, encode_body(told))

        async def sent_again() -> list[chat.Sealed]:
            found = await sealed()
            return found if len(found) == 2 else []

        again = (await eventually(sent_again, "the node sends it again on a new session"))[1]
        assert await friend.read(runtime, again) == text
        assert [m["body"] for m in await history(runtime)] == [text], "one message, shown once"
