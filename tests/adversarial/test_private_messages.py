"""What a hostile member tries against private messages: writing into a thread it is not in,
adding itself, sharing a key for another thread, forged and malformed headers, a body too
long for an event. The node refuses or keeps each as unreadable, never stops, and goes on
opening what is valid."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
import pytest

from hearthnet.adapters import ratchet
from hearthnet.domain import chat, e2e
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from tests.integration.test_e2e_keys import eventually
from tests.integration.test_private_messages import history, opened, village, write

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime


async def thread_of(runtime: NodeRuntime, members: list[str]) -> tuple[str, str]:
    made = await runtime.local_bus().call(
        "chat.thread.create", {"client_id": "t", "name": "Hof", "members": members}
    )
    return made["thread_id"], made["thread_id"]


async def thread_history(runtime: NodeRuntime, thread: str) -> dict[str, Any]:
    return await runtime.local_bus().call("chat.thread.history", {"thread_id": thread})


async def kept(runtime: NodeRuntime, sender: str, client_id: str) -> Any:
    found = await runtime.keyring.bodies([(sender, client_id)])
    return found.get((sender, client_id))


async def test_an_outsider_cannot_write_into_or_join_a_thread(tmp_path: Path) -> None:
    async with village(tmp_path, 2) as (runtime, [friend, outsider]):
        thread, generation = await thread_of(runtime, [friend.author.id])
        await runtime.local_bus().call(
            "chat.thread.send", {"thread_id": thread, "client_id": "m0", "body": "nur für uns"}
        )
        joined = chat.MemberChange(thread_id=thread, member=outsider.author.id)
        await write(runtime, outsider, chat.THREAD_MEMBER_ADDED, encode_body(joined))
        await write(
            runtime,
            outsider,
            chat.THREAD_KEY_SHARED,
            await outsider.share_key(runtime, thread, generation),
        )
        await write(
            runtime,
            outsider,
            chat.THREAD_MESSAGE_SENT,
            await outsider.thread_message(thread, generation, "ich bin drin", "x1"),
        )
        await write(
            runtime,
            friend,
            chat.THREAD_KEY_SHARED,
            await friend.share_key(runtime, thread, generation),
        )
        await write(
            runtime,
            friend,
            chat.THREAD_MESSAGE_SENT,
            await friend.thread_message(thread, generation, "hallo", "f1"),
        )

        async def friend_read() -> list[str]:
            shown = await thread_history(runtime, thread)
            return [m["body"] for m in shown["messages"]] if len(shown["messages"]) == 2 else []

        assert await eventually(friend_read, "the friend's message opens") == [
            "nur für uns",
            "hallo",
        ]
        shown = await thread_history(runtime, thread)
        assert outsider.author.id not in shown["members"], "adding oneself does not count"
        assert await kept(runtime, outsider.author.id, "x1") is not None, "opened, kept, not shown"
        with pytest.raises(BusError, match="would not count"):
            await runtime.local_bus().call(
                "chat.thread.remove_member", {"thread_id": thread, "member": outsider.author.id}
            )


async def test_only_the_creator_removes_others(tmp_path: Path) -> None:
    async with village(tmp_path, 2) as (runtime, [creator, other]):
        body = chat.ThreadCreated(
            client_id="c", name="Fremd", members=[runtime.me, other.author.id]
        )
        thread = await write(runtime, creator, chat.THREAD_CREATED, encode_body(body))
        with pytest.raises(BusError, match="would not count"):
            await runtime.local_bus().call(
                "chat.thread.remove_member", {"thread_id": thread, "member": other.author.id}
            )
        await runtime.local_bus().call("chat.thread.leave", {"thread_id": thread})
        assert runtime.me not in (await thread_history(runtime, thread))["members"]
        with pytest.raises(BusError, match="not a member"):
            await runtime.local_bus().call(
                "chat.thread.send", {"thread_id": thread, "client_id": "z", "body": "noch da?"}
            )


async def test_a_key_shared_for_another_thread_is_refused(tmp_path: Path) -> None:
    async with village(tmp_path, 1) as (runtime, [friend]):
        thread, generation = await thread_of(runtime, [friend.author.id])
        other = "e" * 64
        shared = await friend.share_key(runtime, thread, generation, named=other)
        event_id = await write(runtime, friend, chat.THREAD_KEY_SHARED, shared)

        async def refused() -> Any:
            return await kept(runtime, friend.author.id, f"key:{event_id}")

        found = await eventually(refused, "the share is handled")
        assert found.payload is None and "another thread" in found.error
        await write(
            runtime,
            friend,
            chat.THREAD_MESSAGE_SENT,
            await friend.thread_message(thread, generation, "geheim", "g1"),
        )
        await runtime.refresh_views()
        assert (await thread_history(runtime, thread))["messages"] == []


async def test_forged_and_malformed_headers_do_not_stop_the_node(tmp_path: Path) -> None:
    async with village(tmp_path, 1) as (runtime, [friend]):
        garbage = chat.MessageSent(
            client_id="g",
            recipient=runtime.me,
            body=chat.Sealed(header=b"\xc1junk", ciphertext=b"x"),
        )
        await write(runtime, friend, chat.MESSAGE_SENT, encode_body(garbage))
        bundle = msgspec.structs.replace(
            await friend.bundle(runtime, runtime.me), signed_prekey_id=999
        )
        forged = ratchet.initiate(friend.keyring._identity, bundle)
        for client_id in ("f1", "f2"):
            forged, header, ct = ratchet.encrypt(forged, e2e.pad(b"\x91\xa1x"))
            sealed = chat.Sealed(header=msgspec.msgpack.encode(header), ciphertext=ct)
            body = chat.MessageSent(client_id=client_id, recipient=runtime.me, body=sealed)
            await write(runtime, friend, chat.MESSAGE_SENT, encode_body(body))
        await write(runtime, friend, chat.MESSAGE_SENT, await friend.message(runtime, "echt", "ok"))
        shown = {m["client_id"]: m for m in await opened(runtime, 4)}
        assert "malformed" in shown["g"]["error"]
        assert "no signed prekey 999" in shown["f1"]["error"]
        assert shown["ok"]["body"] == "echt"

        async def broken() -> list[dict[str, Any]]:
            return await runtime.reader.query("SELECT peer FROM e2e_broken", {})

        await eventually(broken, "the node tells the writer its session broke")
        await runtime.refresh_views()
        assert await broken() == [{"peer": friend.author.id}], "one broken session, told once"


async def test_a_body_too_long_for_an_event_is_refused_before_anything_is_sealed(
    tmp_path: Path,
) -> None:
    async with village(tmp_path, 1) as (runtime, [friend]):
        with pytest.raises(BusError, match="too long"):
            await runtime.local_bus().call(
                "chat.send",
                {"client_id": "long", "recipient": friend.author.id, "body": "€" * 4000},
            )
        assert await history(runtime) == []
        assert await runtime.keyring.bodies([(runtime.me, "long")]) == {}


async def test_a_member_publishing_unusable_keys_gets_a_clear_refusal(tmp_path: Path) -> None:
    async with village(tmp_path, 1) as (runtime, [friend]):
        low_order = e2e.PrekeysPublished(
            identity=friend.keyring.identity_public(),
            signed_prekey=e2e.Prekey(id=9, key=bytes(32)),
        )
        await write(runtime, friend, e2e.PREKEYS_PUBLISHED, encode_body(low_order))
        with pytest.raises(BusError, match="cannot be used: the peer's key has low order"):
            await runtime.local_bus().call(
                "chat.send", {"client_id": "x", "recipient": friend.author.id, "body": "hallo"}
            )
        assert await history(runtime) == []
