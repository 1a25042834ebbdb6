"""Direct messages and group threads, sealed end to end: send, read the history, mark read,
and the threads' membership.

What a node sends it seals with its keyring and keeps in the clear there only; what reaches it
is opened by a reaction as the views take it in. A message that does not open is kept as such,
with the reason, and shown so.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from hearthnet.domain import chat as c
from hearthnet.domain import e2e
from hearthnet.domain.bodies import encode_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.ports import Bundle, PrivateBody, Unreadable
from hearthnet.projections.chat import (
    HISTORY_SQL,
    OPEN_KEYS_SQL,
    OPEN_MESSAGES_SQL,
    OPEN_THREAD_MESSAGES_SQL,
    THREAD_CHANGES_SQL,
    THREAD_HISTORY_SQL,
    THREAD_SQL,
    UNDELIVERED_SQL,
)
from hearthnet.projections.e2e import BROKEN_SQL, BUNDLE_SQL
from hearthnet.services.bus import Capability
from hearthnet.services.context import Lamport, Limit, Nothing, valid_node

if TYPE_CHECKING:
    from hearthnet.domain.attachments import Attachment
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext

EventId = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
_private = msgspec.msgpack.Decoder(c.Private)
_thread_key = msgspec.msgpack.Decoder(c.ThreadKey)


class HistoryInput(msgspec.Struct, kw_only=True):
    """Read this node's conversations."""

    peer: str = ""
    since_lamport: Lamport = 0
    limit: Limit = 200


class ReadInput(msgspec.Struct, kw_only=True):
    """Mark a received message as read."""

    event_id: EventId


class ThreadInput(msgspec.Struct, kw_only=True):
    """One thread."""

    thread_id: EventId


class ThreadHistoryInput(msgspec.Struct, kw_only=True):
    """A thread's messages."""

    thread_id: EventId
    since_lamport: Lamport = 0
    limit: Limit = 200


def _sealable(text: str, attachments: list[Attachment]) -> tuple[bytes, bytes]:
    """A body's plaintext and its padded form; bad_request when it cannot fit an event."""
    plaintext = msgspec.msgpack.encode(c.Private(text=text, attachments=attachments))
    try:
        return plaintext, e2e.pad(plaintext)
    except e2e.TooLong as exc:
        raise BusError("bad_request", f"the message is too long: {exc}") from None


async def _bundle(node: NodeContext, who: str) -> Bundle | None:
    rows = await node.query(BUNDLE_SQL, {"who": who})
    if not rows:
        return None
    r = rows[0]
    return Bundle(
        identity=r["identity"],
        signed_prekey_id=r["signed_prekey_id"],
        signed_prekey=r["signed_prekey"],
        one_time_id=r["one_time_id"] or 0,
        one_time=r["one_time"] or b"",
    )


async def _seal_to(node: NodeContext, peer: str, plaintext: bytes) -> tuple[c.Sealed, bytes]:
    try:
        header, ciphertext, session = await node.keyring.seal(
            peer, await _bundle(node, peer), plaintext
        )
    except LookupError as exc:
        raise BusError("not_found", str(exc)) from None
    return c.Sealed(header=header, ciphertext=ciphertext), session


async def send(call: Call, node: NodeContext) -> dict[str, Any]:
    msg: c.Send = call.input
    valid_node(msg.recipient, "recipient")
    if msg.recipient == node.me:
        raise BusError("bad_request", "a message to yourself is not a message")
    member = await node.query(
        "SELECT status FROM members WHERE node_id = :who", {"who": msg.recipient}
    )
    if not member:
        raise BusError("not_found", f"{msg.recipient} is not a member")
    same = await node.query(
        "SELECT event_id, lamport FROM messages WHERE sender = :me AND client_id = :cid LIMIT 1",
        {"me": node.me, "cid": msg.client_id},
    )
    if same:
        return {**same[0], "delivered": "queued", "duplicate": True}
    plaintext, padded = _sealable(msg.body, msg.attachments)
    sealed, session = await _seal_to(node, msg.recipient, padded)
    body = PrivateBody(
        node.me, msg.client_id, "message", msg.recipient, "", session, plaintext, None
    )
    await node.keyring.keep(body)
    sent = c.MessageSent(client_id=msg.client_id, recipient=msg.recipient, body=sealed)
    recorded = await node.append(c.MESSAGE_SENT, encode_body(sent))
    return {
        "event_id": recorded.id.hex(),
        "lamport": recorded.event.lamport,
        "delivered": "queued",
    }


def _shown(kept: PrivateBody | None) -> dict[str, Any]:
    """A private body as the history shows it: its text, or why there is none."""
    if kept is None:
        return {"body": "", "attachments": [], "error": "not opened yet"}
    if kept.payload is None:
        return {"body": "", "attachments": [], "error": kept.error}
    private = _private.decode(kept.payload)
    return {
        "body": private.text,
        "attachments": msgspec.to_builtins(private.attachments),
        "error": None,
    }


async def history(call: Call, node: NodeContext) -> dict[str, Any]:
    q: HistoryInput = call.input
    rows = await node.query(
        HISTORY_SQL, {"me": node.me, "peer": q.peer, "since": q.since_lamport, "limit": q.limit}
    )
    kept = await node.keyring.bodies((r["sender"], r["client_id"]) for r in rows)
    messages = []
    for r in rows:
        body = msgspec.json.decode(r.pop("body"), type=str | c.Sealed)
        attachments = msgspec.json.decode(r.pop("attachments"))
        if isinstance(body, str):
            shown = {"body": body, "attachments": attachments, "error": None, "private": False}
        else:
            shown = {**_shown(kept.get((r["sender"], r["client_id"]))), "private": True}
        messages.append({**r, **shown})
    return {"messages": messages}


async def read(call: Call, node: NodeContext) -> dict[str, Any]:
    q: ReadInput = call.input
    mine = await node.query(
        "SELECT 1 FROM messages WHERE event_id = :id AND recipient = :me",
        {"id": q.event_id, "me": node.me},
    )
    if not mine:
        raise BusError("not_found", "no message to this node with that id")
    receipt = c.Receipt(target_event_id=q.event_id, at=int(time.time() * 1000))
    recorded = await node.append(c.MESSAGE_READ, encode_body(receipt))
    return {"event_id": recorded.id.hex()}


async def acknowledge_delivery(node: NodeContext) -> None:
    """Reaction: a delivered receipt for every message to this node not yet acknowledged."""
    for row in await node.query(UNDELIVERED_SQL, {"me": node.me}):
        receipt = c.Receipt(target_event_id=row["event_id"], at=int(time.time() * 1000))
        await node.record(c.MESSAGE_DELIVERED, encode_body(receipt))


async def _generations(
    node: NodeContext, thread_id: str
) -> tuple[dict[str, Any], dict[str, frozenset[str]]]:
    """A thread's row and its generations with their members; not_found for no such thread."""
    found = await node.query(THREAD_SQL, {"thread": thread_id})
    if not found:
        raise BusError("not_found", f"no thread {thread_id}")
    thread = found[0]
    changes = [
        c.Change(r["lamport"], r["event_id"], r["author"], bool(r["added"]), r["member"])
        for r in await node.query(THREAD_CHANGES_SQL, {"thread": thread_id})
    ]
    invited = msgspec.json.decode(thread["members"], type=list[str])
    return thread, c.generations(thread["creator"], invited, thread_id, changes)


async def _membership(node: NodeContext, thread_id: str) -> tuple[dict[str, Any], set[str], str]:
    """A thread's row, its members and its current generation."""
    thread, found = await _generations(node, thread_id)
    *_, (generation, members) = found.items()
    return thread, set(members), generation


async def _thread_member(node: NodeContext, thread_id: str) -> tuple[set[str], str]:
    _, members, generation = await _membership(node, thread_id)
    if node.me not in members:
        raise BusError("unauthorized", "this node is not a member of the thread")
    return members, generation


async def _community_members(node: NodeContext, who: list[str]) -> None:
    for member in who:
        valid_node(member, "member")
        found = await node.query(
            "SELECT 1 FROM members WHERE node_id = :who AND status = 'active'", {"who": member}
        )
        if not found:
            raise BusError("not_found", f"{member} is not an active member")


async def create_thread(call: Call, node: NodeContext) -> dict[str, Any]:
    q: c.CreateThread = call.input
    others = sorted(set(q.members) - {node.me})
    if not others:
        raise BusError("bad_request", "a thread needs at least one other member")
    await _community_members(node, others)
    created = c.ThreadCreated(client_id=q.client_id, name=q.name, members=others)
    recorded = await node.append(c.THREAD_CREATED, encode_body(created))
    return {"thread_id": recorded.id.hex(), "event_id": recorded.id.hex()}


async def _share_key(
    node: NodeContext, thread_id: str, generation: str, members: set[str], chain: bytes
) -> list[str]:
    """Seal a new sender key to each other member (those without keys yet are named)."""
    payload = msgspec.msgpack.encode(
        c.ThreadKey(thread_id=thread_id, generation=generation, chain=chain, n=0)
    )
    shares, waiting = [], []
    for member in sorted(members - {node.me}):
        try:
            sealed, session = await _seal_to(node, member, payload)
        except BusError:
            waiting.append(member)
            continue
        client_id = f"key:{thread_id[:16]}:{generation[:16]}:{member[8:30]}"
        kept = PrivateBody(node.me, client_id, "key", member, thread_id, session, payload, None)
        await node.keyring.keep(kept)
        shares.append(c.SharedKey(member=member, sealed=sealed))
    shared = c.KeyShared(thread_id=thread_id, generation=generation, keys=shares)
    await node.append(c.THREAD_KEY_SHARED, encode_body(shared))
    return waiting


def _thread_ad(thread_id: str, generation: str, sender: str) -> bytes:
    return f"{thread_id}|{generation}|{sender}".encode()


async def thread_send(call: Call, node: NodeContext) -> dict[str, Any]:
    q: c.ThreadSend = call.input
    same = await node.query(
        "SELECT event_id, lamport FROM thread_messages WHERE sender = :me AND client_id = :cid"
        " LIMIT 1",
        {"me": node.me, "cid": q.client_id},
    )
    if same:
        return {**same[0], "duplicate": True}
    plaintext, padded = _sealable(q.body, q.attachments)
    async with node.serial("thread sends"):  # a new sender key's share precedes its use
        members, generation = await _thread_member(node, q.thread_id)
        chain, _, new = await node.keyring.sender_chain(q.thread_id, generation, node.me)
        waiting = await _share_key(node, q.thread_id, generation, members, chain) if new else []
        ad = _thread_ad(q.thread_id, generation, node.me)
        n, ciphertext = await node.keyring.group_seal(node.me, q.thread_id, generation, padded, ad)
        kept = PrivateBody(node.me, q.client_id, "thread", "", q.thread_id, b"", plaintext, None)
        await node.keyring.keep(kept)
        sent = c.ThreadMessageSent(
            thread_id=q.thread_id,
            client_id=q.client_id,
            generation=generation,
            n=n,
            ciphertext=ciphertext,
        )
        recorded = await node.append(c.THREAD_MESSAGE_SENT, encode_body(sent))
    return {"event_id": recorded.id.hex(), "lamport": recorded.event.lamport, "waiting": waiting}


async def thread_history(call: Call, node: NodeContext) -> dict[str, Any]:
    q: ThreadHistoryInput = call.input
    thread, found = await _generations(node, q.thread_id)
    *_, members = found.values()
    rows = await node.query(
        THREAD_HISTORY_SQL, {"thread": q.thread_id, "since": q.since_lamport, "limit": q.limit}
    )
    kept = await node.keyring.bodies((r["sender"], r["client_id"]) for r in rows)
    messages = [
        {**r, **_shown(kept[(r["sender"], r["client_id"])])}
        for r in rows
        if (r["sender"], r["client_id"]) in kept and r["sender"] in found.get(r["generation"], ())
    ]
    return {
        "thread_id": q.thread_id,
        "name": thread["name"],
        "creator": thread["creator"],
        "members": sorted(members),
        "member": node.me in members,
        "messages": messages,
    }


async def threads(call: Call, node: NodeContext) -> dict[str, Any]:
    mine = []
    for row in await node.query(
        "SELECT thread_id FROM threads ORDER BY lamport DESC LIMIT 500", {}
    ):
        thread, members, _ = await _membership(node, row["thread_id"])
        if node.me in members:
            mine.append({**thread, "members": sorted(members)})
    return {"threads": mine}


async def _change(node: NodeContext, thread_id: str, member: str, added: bool) -> dict[str, Any]:
    valid_node(member, "member")
    thread, members, _ = await _membership(node, thread_id)
    trial = c.Change(0, "", node.me, added, member)
    if not c.counts(set(members), thread["creator"], trial):
        raise BusError(
            "unauthorized",
            f"this change would not count: a member adds others (at most {c.MAX_THREAD_MEMBERS}"
            " in a thread), only the creator removes them, anyone leaves",
        )
    kind = c.THREAD_MEMBER_ADDED if added else c.THREAD_MEMBER_REMOVED
    recorded = await node.append(
        kind, encode_body(c.MemberChange(thread_id=thread_id, member=member))
    )
    return {"event_id": recorded.id.hex()}


async def add_member(call: Call, node: NodeContext) -> dict[str, Any]:
    q: c.ChangeMember = call.input
    await _community_members(node, [q.member])
    return await _change(node, q.thread_id, q.member, True)


async def remove_member(call: Call, node: NodeContext) -> dict[str, Any]:
    q: c.ChangeMember = call.input
    return await _change(node, q.thread_id, q.member, False)


async def leave(call: Call, node: NodeContext) -> dict[str, Any]:
    q: ThreadInput = call.input
    return await _change(node, q.thread_id, node.me, False)


async def open_private(node: NodeContext) -> None:
    """Reaction: open what reached this node sealed (direct messages, shared sender keys,
    thread messages), in that order, once each; keep what does not open as such; tell a
    peer whose session cannot be taken up, so that it opens another and sends again."""
    await _open_messages(node)
    await _open_keys(node)
    await _open_thread_messages(node)


async def _todo(node: NodeContext, sql: str) -> list[dict[str, Any]]:
    rows = await node.query(sql, {"me": node.me})
    todo = await node.keyring.unhandled(r["event_id"] for r in rows)
    return [r for r in rows if r["event_id"] in todo]


async def _open_pairwise(node: NodeContext, peer: str, sealed: c.Sealed) -> bytes:
    try:
        return await node.keyring.open(peer, sealed.header, sealed.ciphertext)
    except Unreadable as exc:
        if exc.broken and await node.keyring.break_session(peer, exc.broken):
            broken = e2e.SessionBroken(peer=peer, session=exc.broken, reason=str(exc)[:200])
            await node.record(e2e.SESSION_BROKEN, encode_body(broken))
        raise


async def _open_messages(node: NodeContext) -> None:
    for row in await _todo(node, OPEN_MESSAGES_SQL):
        body = msgspec.json.decode(row["body"], type=str | c.Sealed)
        peer, client_id = row["sender"], row["client_id"]
        if isinstance(body, str):
            await node.keyring.keep(
                PrivateBody(peer, client_id, "plain", peer, "", b"", None, "sent in the clear"),
                row["event_id"],
            )
            continue
        try:
            plaintext = e2e.unpad(await _open_pairwise(node, peer, body))
            _private.decode(plaintext)
            kept = PrivateBody(peer, client_id, "message", peer, "", b"", plaintext, None)
        except (Unreadable, ValueError, msgspec.DecodeError) as exc:
            kept = PrivateBody(peer, client_id, "message", peer, "", b"", None, str(exc))
        await node.keyring.keep(kept, row["event_id"])


async def _open_keys(node: NodeContext) -> None:
    for row in await _todo(node, OPEN_KEYS_SQL):
        author = row["author"]
        sealed = c.Sealed(header=row["header"], ciphertext=row["ciphertext"])
        client_id = f"key:{row['event_id']}"
        try:
            key = _thread_key.decode(await _open_pairwise(node, author, sealed))
            if (key.thread_id, key.generation) != (row["thread_id"], row["generation"]):
                raise ValueError("the key was shared for another thread or generation")
            await node.keyring.accept_chain(author, key.thread_id, key.generation, key.chain, key.n)
            kept = PrivateBody(author, client_id, "key", author, key.thread_id, b"", b"", None)
        except (Unreadable, ValueError, msgspec.DecodeError) as exc:
            kept = PrivateBody(
                author, client_id, "key", author, row["thread_id"], b"", None, str(exc)
            )
        await node.keyring.keep(kept, row["event_id"])


async def _open_thread_messages(node: NodeContext) -> None:
    for row in await _todo(node, OPEN_THREAD_MESSAGES_SQL):
        author, thread = row["sender"], row["thread_id"]
        if not row["shared"]:  # sent before this node joined, or after it left
            await node.keyring.keep(
                PrivateBody(
                    author,
                    f"unshared:{row['event_id']}",
                    "thread",
                    "",
                    thread,
                    b"",
                    None,
                    "not shared with this node",
                ),
                row["event_id"],
            )
            continue
        ad = _thread_ad(thread, row["generation"], author)
        try:
            padded = await node.keyring.group_open(
                author, thread, row["generation"], row["n"], row["ciphertext"], ad
            )
            plaintext = e2e.unpad(padded)
            _private.decode(plaintext)
            kept = PrivateBody(author, row["client_id"], "thread", "", thread, b"", plaintext, None)
        except LookupError:
            continue  # its key is shared but not opened yet: the next pass takes it
        except (Unreadable, ValueError, msgspec.DecodeError) as exc:
            kept = PrivateBody(author, row["client_id"], "thread", "", thread, b"", None, str(exc))
        await node.keyring.keep(kept, row["event_id"])


async def repair_sessions(node: NodeContext) -> None:
    """Reaction: when a peer could not take up a session this node opened, open another
    (without a one-time prekey) and send again what went in the broken one."""
    for row in await _todo(node, BROKEN_SQL):
        peer, session = row["author"], row["session"]
        if await node.keyring.break_session(peer, session):
            for kept in await node.keyring.sent_in(node.me, peer, session):
                await _send_again(node, kept)
        await node.keyring.keep(
            PrivateBody(peer, f"broken:{row['event_id']}", "broken", peer, "", session, None, None),
            row["event_id"],
        )


async def _send_again(node: NodeContext, kept: PrivateBody) -> None:
    assert kept.payload is not None
    plaintext = kept.payload if kept.kind == "key" else e2e.pad(kept.payload)
    try:
        sealed, session = await _seal_to(node, kept.peer, plaintext)
    except BusError:
        return
    await node.keyring.keep(kept._replace(session=session))
    if kept.kind == "key":
        key = _thread_key.decode(kept.payload)
        body = c.KeyShared(
            thread_id=key.thread_id,
            generation=key.generation,
            keys=[c.SharedKey(member=kept.peer, sealed=sealed)],
        )
        await node.record(c.THREAD_KEY_SHARED, encode_body(body))
    else:
        sent = c.MessageSent(client_id=kept.client_id, recipient=kept.peer, body=sealed)
        await node.record(c.MESSAGE_SENT, encode_body(sent))


CAPABILITIES = (
    Capability("chat.send", "self", c.Send, send, idempotent=True),
    Capability("chat.history", "self", HistoryInput, history),
    Capability("chat.read", "self", ReadInput, read),
    Capability("chat.thread.create", "self", c.CreateThread, create_thread),
    Capability("chat.thread.send", "self", c.ThreadSend, thread_send, idempotent=True),
    Capability("chat.thread.history", "self", ThreadHistoryInput, thread_history),
    Capability("chat.thread.list", "self", Nothing, threads),
    Capability("chat.thread.add_member", "self", c.ChangeMember, add_member),
    Capability("chat.thread.remove_member", "self", c.ChangeMember, remove_member),
    Capability("chat.thread.leave", "self", ThreadInput, leave),
)
