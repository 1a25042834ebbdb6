"""A member simulated with a real keyring: it publishes its keys and writes and reads sealed
messages as its own node would, through the same code a node uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hearthnet.adapters.keyring import LocalKeyring
from hearthnet.domain import chat, e2e
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.ports import Bundle
from hearthnet.projections.e2e import BUNDLE_SQL

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.runtime import NodeRuntime
    from tests.factories import Author


class Correspondent:
    """One simulated member: its author (feed) and its keyring in `home`."""

    def __init__(self, author: Author, home: Path, slot: int) -> None:
        self.author = author
        self.keyring = LocalKeyring(home, author.key)
        self.slot = slot
        """Which one-time prekey of a recipient it takes: a different one for each simulated
        member, so that none of them takes another's (that race has its own test)."""

    async def keys(self, one_time: int = e2e.ONE_TIME_BATCH) -> bytes:
        """The body of its key publication (real keys, private halves in its keyring)."""
        [(spk_id, spk)] = await self.keyring.create("signed", 1)
        made = await self.keyring.create("one_time", one_time)
        body = e2e.PrekeysPublished(
            identity=self.keyring.identity_public(),
            signed_prekey=e2e.Prekey(id=spk_id, key=spk),
            one_time=[e2e.Prekey(id=i, key=k) for i, k in made],
        )
        return encode_body(body)

    async def message(
        self,
        runtime: NodeRuntime,
        text: str,
        client_id: str,
        *,
        one_time_id: int | None = None,
        to: str = "",
    ) -> bytes:
        """The body of a sealed message to a running node (or to member `to`, from the keys in
        that node's views), opening a session from its keys (with the one-time prekey
        `one_time_id` when given)."""
        to = to or runtime.me
        bundle = await self.bundle(runtime, to)
        if one_time_id is not None:
            found = await runtime.reader.query(
                "SELECT key FROM e2e_one_time WHERE node_id = :me AND prekey_id = :id",
                {"me": to, "id": one_time_id},
            )
            bundle = msgspec.structs.replace(
                bundle, one_time_id=one_time_id, one_time=found[0]["key"]
            )
        plaintext = e2e.pad(msgspec.msgpack.encode(chat.Private(text=text)))
        header, ciphertext, _ = await self.keyring.seal(to, bundle, plaintext)
        sealed = chat.Sealed(header=header, ciphertext=ciphertext)
        return encode_body(chat.MessageSent(client_id=client_id, recipient=to, body=sealed))

    async def read(self, runtime: NodeRuntime, sealed: chat.Sealed) -> str:
        """Open a message the running node sealed to this member."""
        padded = await self.keyring.open(runtime.me, sealed.header, sealed.ciphertext)
        return msgspec.msgpack.decode(e2e.unpad(padded), type=chat.Private).text

    def close(self) -> None:
        self.keyring.close()

    async def bundle(self, runtime: NodeRuntime, who: str) -> Bundle:
        """A member's keys as the running node's views hold them, with this member's one-time
        prekey (its slot), or none once that one is used up."""
        r = (await runtime.reader.query(BUNDLE_SQL, {"who": who}))[0]
        taken = await runtime.reader.query(
            "SELECT o.prekey_id, o.key FROM e2e_one_time o WHERE o.node_id = :who"
            " AND o.prekey_id = :id AND NOT EXISTS (SELECT 1 FROM e2e_retired x"
            " WHERE x.node_id = o.node_id AND x.prekey_id = o.prekey_id)",
            {"who": who, "id": self.slot % e2e.MIN_ONE_TIME + 1},
        )
        return Bundle(
            identity=r["identity"],
            signed_prekey_id=r["signed_prekey_id"],
            signed_prekey=r["signed_prekey"],
            one_time_id=taken[0]["prekey_id"] if taken else 0,
            one_time=taken[0]["key"] if taken else b"",
        )

    async def share_key(
        self, runtime: NodeRuntime, thread: str, generation: str, named: str = ""
    ) -> bytes:
        """The body of this member's sender key share to the running node (the sealed key
        naming thread `named` instead, when given)."""
        chain, n, _ = await self.keyring.sender_chain(thread, generation, self.author.id)
        key = chat.ThreadKey(thread_id=named or thread, generation=generation, chain=chain, n=n)
        header, ciphertext, _ = await self.keyring.seal(
            runtime.me, await self.bundle(runtime, runtime.me), msgspec.msgpack.encode(key)
        )
        sealed = chat.Sealed(header=header, ciphertext=ciphertext)
        shared = chat.KeyShared(
            thread_id=thread,
            generation=generation,
            keys=[chat.SharedKey(member=runtime.me, sealed=sealed)],
        )
        return encode_body(shared)

    async def thread_message(
        self, thread: str, generation: str, text: str, client_id: str
    ) -> bytes:
        """The body of a thread message sealed with this member's sender key."""
        ad = f"{thread}|{generation}|{self.author.id}".encode()
        padded = e2e.pad(msgspec.msgpack.encode(chat.Private(text=text)))
        n, ciphertext = await self.keyring.group_seal(
            self.author.id, thread, generation, padded, ad
        )
        sent = chat.ThreadMessageSent(
            thread_id=thread, client_id=client_id, generation=generation, n=n, ciphertext=ciphertext
        )
        return encode_body(sent)
