"""A node's end-to-end secrets, in `keys/e2e.sqlite` (mode 0600): the private halves of its
prekeys, its ratchet sessions and sender keys, and the private bodies it sent or opened.

The identity key is derived from the Ed25519 device key and never stored. Every change of a
session or a chain is committed before its message leaves (so no message key is ever used
twice), and a message that does not open changes nothing. A consumed one-time prekey's private
half is deleted (forward secrecy); it is remembered as consumed until its retirement is
published. A replaced signed prekey's private half is deleted after a grace period.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING, Any

import msgspec
import nacl.bindings

from hearthnet.adapters import ratchet
from hearthnet.adapters.crypto import SealError, x25519_public
from hearthnet.domain.ports import PrivateBody, Unreadable
from hearthnet.domain.types import parse_node_id

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from hearthnet.adapters.crypto import NaclSigner
    from hearthnet.domain.ports import Bundle

KINDS = ("signed", "one_time")
SIGNED_PREKEY_GRACE_MS = 35 * 24 * 3600 * 1000
"""A signed prekey's private half is deleted once it is this old and two newer ones exist
(forward secrecy); a first message naming it after that opens a new session (broken path)."""
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS prekey_private (kind TEXT, id INTEGER, private BLOB, public BLOB,"
    " created_at INTEGER, consumed_at INTEGER, retired INTEGER DEFAULT 0, PRIMARY KEY (kind, id))",
    "CREATE TABLE IF NOT EXISTS sessions (peer TEXT, id BLOB, state BLOB, updated_at INTEGER,"
    " PRIMARY KEY (peer, id))",
    "CREATE TABLE IF NOT EXISTS broken (peer TEXT, id BLOB, PRIMARY KEY (peer, id))",
    "CREATE TABLE IF NOT EXISTS sender_chains (author TEXT, thread TEXT, generation TEXT,"
    " state BLOB, PRIMARY KEY (author, thread, generation))",
    "CREATE TABLE IF NOT EXISTS bodies (sender TEXT, client_id TEXT, kind TEXT, peer TEXT,"
    " thread TEXT, session BLOB, payload BLOB, error TEXT, PRIMARY KEY (sender, client_id))",
    "CREATE TABLE IF NOT EXISTS handled (event_id TEXT PRIMARY KEY)",
)
_session = msgspec.msgpack.Decoder(ratchet.Session)
_chain = msgspec.msgpack.Decoder(ratchet.SenderChain)
_header = msgspec.msgpack.Decoder(ratchet.Header)
_encode = msgspec.msgpack.encode


def x25519_from_ed25519(public_key: bytes) -> bytes:
    """The X25519 form of an Ed25519 public key (raises ValueError for a key off the curve)."""
    try:
        return bytes(nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(public_key))
    except Exception as exc:  # libsodium refuses keys that are not points of the curve
        raise ValueError(f"not an Ed25519 public key: {exc}") from None


def _now() -> int:
    return int(time.time() * 1000)


class LocalKeyring:
    """One node's keyring; every method that touches the file runs in a worker thread."""

    def __init__(self, home: Path, signer: NaclSigner) -> None:
        path = home / "keys" / "e2e.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        for statement in SCHEMA:
            self._db.execute(statement)
        self._lock = threading.Lock()
        sk = signer.seed + signer.public_key
        self._identity = bytes(nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(sk))

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(self._locked, fn, *args)

    def _locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = fn(*args)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        row = self._db.execute(sql, args).fetchone()
        return row[0] if row else None

    def identity_public(self) -> bytes:
        """The node's X25519 identity key."""
        return x25519_public(self._identity)

    async def create(self, kind: str, count: int, after: int = 0) -> list[tuple[int, bytes]]:
        """Make and durably store `count` new prekeys of a kind, numbered above any this node
        made and above `after` (the highest the log shows for it: a key restored on a new
        device never reuses an id); return (id, public key)."""
        if kind not in KINDS:
            raise ValueError(f"no prekey kind {kind!r}")
        return await self._run(self._create, kind, count, after)  # type: ignore[no-any-return]

    def _create(self, kind: str, count: int, after: int = 0) -> list[tuple[int, bytes]]:
        made_here = "SELECT coalesce(max(id), 0) FROM prekey_private WHERE kind = ?"
        top = max(self._one(made_here, (kind,)), after)
        rows, made = [], []
        for n in range(top + 1, top + count + 1):
            private = os.urandom(32)
            public = x25519_public(private)
            rows.append((kind, n, private, public, _now()))
            made.append((n, public))
        self._db.executemany(
            "INSERT INTO prekey_private (kind, id, private, public, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        if kind == "signed":  # a replaced signed prekey stays usable for a grace period only
            self._db.execute(
                "DELETE FROM prekey_private WHERE kind = 'signed' AND id < ? AND created_at < ?",
                (top, _now() - SIGNED_PREKEY_GRACE_MS),
            )
        return made

    async def holding(self, kind: str, ids: list[int]) -> set[int]:
        """Which of these prekeys this keyring holds the private half of (a key restored on a
        new device holds none of those its old device published)."""
        return await self._run(  # type: ignore[no-any-return]
            lambda: {
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM prekey_private WHERE kind = ? AND private IS NOT NULL",
                    (kind,),
                )
                if r[0] in set(ids)
            }
        )

    async def consumed(self) -> list[int]:
        """One-time prekeys used up since the last publication, to retire on the log."""
        return await self._run(  # type: ignore[no-any-return]
            lambda: [
                r[0]
                for r in self._db.execute(
                    "SELECT id FROM prekey_private WHERE kind = 'one_time'"
                    " AND consumed_at IS NOT NULL AND retired = 0"
                )
            ]
        )

    async def retired(self, ids: list[int]) -> None:
        """Note that these consumed one-time prekeys are now retired on the log."""
        await self._run(
            lambda: self._db.executemany(
                "UPDATE prekey_private SET retired = 1 WHERE kind = 'one_time' AND id = ?",
                [(i,) for i in ids],
            )
        )

    async def seal(
        self, peer: str, bundle: Bundle | None, plaintext: bytes
    ) -> tuple[bytes, bytes, bytes]:
        """Seal to a peer in its current session, or open one from its published keys (a
        peer that broke a session with this node is written to without a one-time prekey).
        Returns (header, ciphertext, session id); LookupError when there is no session and
        no keys to open one."""
        return await self._run(self._seal, peer, bundle, plaintext)  # type: ignore[no-any-return]

    def _seal(
        self, peer: str, bundle: Bundle | None, plaintext: bytes
    ) -> tuple[bytes, bytes, bytes]:
        raw = self._one("SELECT state FROM sessions WHERE peer = ? ORDER BY id LIMIT 1", (peer,))
        if raw is not None:
            session = _session.decode(raw)
        elif bundle is None:
            raise LookupError(
                f"{peer} has published no keys yet (it has not been online since it joined)"
            )
        else:
            if self._one("SELECT 1 FROM broken WHERE peer = ? LIMIT 1", (peer,)):
                bundle = msgspec.structs.replace(bundle, one_time_id=0, one_time=b"")
            try:
                session = ratchet.initiate(self._identity, bundle)
            except SealError as exc:
                raise LookupError(f"{peer}'s published keys cannot be used: {exc}") from None
        session, header, ciphertext = ratchet.encrypt(session, plaintext)
        self._store(peer, session)
        return _encode(header), ciphertext, session.id

    def _store(self, peer: str, session: ratchet.Session) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?, ?, ?, ?)",
            (peer, session.id, _encode(session), _now()),
        )

    async def open(self, peer: str, header: bytes, ciphertext: bytes) -> bytes:
        """Open a peer's message (taking up the session it opens, if it does). Unreadable
        says why not; `broken` when the session cannot be taken up and the peer must open
        another."""
        return await self._run(self._open, peer, header, ciphertext)  # type: ignore[no-any-return]

    def _open(self, peer: str, raw_header: bytes, ciphertext: bytes) -> bytes:
        try:
            header = _header.decode(raw_header)
        except (msgspec.DecodeError, msgspec.ValidationError):
            raise Unreadable("e2e_decrypt_failed: the header is malformed") from None
        raw = self._one(
            "SELECT state FROM sessions WHERE peer = ? AND id = ?", (peer, header.session)
        )
        session = _session.decode(raw) if raw is not None else self._take_up(peer, header)
        try:
            session, plaintext = ratchet.decrypt(session, header, ciphertext)
        except SealError as exc:
            raise Unreadable(f"e2e_decrypt_failed: {exc}") from None
        if raw is None and header.init is not None and header.init.one_time:
            self._db.execute(
                "UPDATE prekey_private SET private = NULL, consumed_at = ?"
                " WHERE kind = 'one_time' AND id = ?",
                (_now(), header.init.one_time),
            )
        self._store(peer, session)
        return plaintext

    def _take_up(self, peer: str, header: ratchet.Header) -> ratchet.Session:
        init = header.init
        if init is None:
            raise Unreadable("e2e_decrypt_failed: no session with this id", broken=header.session)
        signed = self._one(
            "SELECT private FROM prekey_private WHERE kind = 'signed' AND id = ?",
            (init.signed_prekey,),
        )
        one_time = None
        if init.one_time:
            one_time = self._one(
                "SELECT private FROM prekey_private WHERE kind = 'one_time' AND id = ?",
                (init.one_time,),
            )
            if one_time is None:
                raise Unreadable(
                    f"e2e_decrypt_failed: one-time prekey {init.one_time} is used up",
                    broken=header.session,
                )
        if signed is None:
            raise Unreadable(
                f"e2e_decrypt_failed: no signed prekey {init.signed_prekey}", broken=header.session
            )
        try:
            peer_identity = x25519_from_ed25519(parse_node_id(peer))
            return ratchet.respond(self._identity, signed, one_time, peer_identity, init)
        except (SealError, ValueError) as exc:
            raise Unreadable(f"e2e_decrypt_failed: {exc}") from None

    async def break_session(self, peer: str, session: bytes) -> bool:
        """Record that a peer's session with this node cannot be used; True the first time."""
        return await self._run(self._break, peer, session)  # type: ignore[no-any-return]

    def _break(self, peer: str, session: bytes) -> bool:
        self._db.execute("DELETE FROM sessions WHERE peer = ? AND id = ?", (peer, session))
        done = self._db.execute("INSERT OR IGNORE INTO broken VALUES (?, ?)", (peer, session))
        return done.rowcount == 1

    async def sender_chain(self, thread: str, generation: str, me: str) -> tuple[bytes, int, bool]:
        """This node's sending chain for a thread's generation, made if there is none:
        (chain key, next message number, whether it is new and must be shared)."""
        return await self._run(self._sender_chain, thread, generation, me)  # type: ignore[no-any-return]

    def _sender_chain(self, thread: str, generation: str, me: str) -> tuple[bytes, int, bool]:
        raw = self._one(
            "SELECT state FROM sender_chains WHERE author = ? AND thread = ? AND generation = ?",
            (me, thread, generation),
        )
        if raw is not None:
            chain = _chain.decode(raw)
            return chain.chain, chain.n, False
        chain = ratchet.new_sender_chain()
        self._put_chain(me, thread, generation, chain)
        return chain.chain, chain.n, True

    def _put_chain(
        self, author: str, thread: str, generation: str, chain: ratchet.SenderChain
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO sender_chains VALUES (?, ?, ?, ?)",
            (author, thread, generation, _encode(chain)),
        )

    async def group_seal(
        self, me: str, thread: str, generation: str, plaintext: bytes, ad: bytes
    ) -> tuple[int, bytes]:
        """Seal a thread message with this node's chain: (message number, ciphertext)."""
        return await self._run(self._group_seal, me, thread, generation, plaintext, ad)  # type: ignore[no-any-return]

    def _group_seal(
        self, me: str, thread: str, generation: str, plaintext: bytes, ad: bytes
    ) -> tuple[int, bytes]:
        raw = self._one(
            "SELECT state FROM sender_chains WHERE author = ? AND thread = ? AND generation = ?",
            (me, thread, generation),
        )
        if raw is None:
            raise LookupError("no sending chain for this generation")
        chain, n, ciphertext = ratchet.sender_encrypt(_chain.decode(raw), plaintext, ad)
        self._put_chain(me, thread, generation, chain)
        return n, ciphertext

    async def accept_chain(
        self, author: str, thread: str, generation: str, chain: bytes, n: int
    ) -> None:
        """Keep a member's sender key shared with this node (the first share counts)."""
        await self._run(
            lambda: self._db.execute(
                "INSERT OR IGNORE INTO sender_chains VALUES (?, ?, ?, ?)",
                (author, thread, generation, _encode(ratchet.SenderChain(chain=chain, n=n))),
            )
        )

    async def group_open(
        self, author: str, thread: str, generation: str, n: int, ciphertext: bytes, ad: bytes
    ) -> bytes:
        """Open a thread message; Unreadable when it does not open, LookupError while this
        node holds no key of its author for that generation."""
        return await self._run(self._group_open, author, thread, generation, n, ciphertext, ad)  # type: ignore[no-any-return]

    def _group_open(
        self, author: str, thread: str, generation: str, n: int, ciphertext: bytes, ad: bytes
    ) -> bytes:
        raw = self._one(
            "SELECT state FROM sender_chains WHERE author = ? AND thread = ? AND generation = ?",
            (author, thread, generation),
        )
        if raw is None:
            raise LookupError("no key of this sender for this generation")
        try:
            chain, plaintext = ratchet.sender_decrypt(_chain.decode(raw), n, ciphertext, ad)
        except SealError as exc:
            raise Unreadable(f"e2e_decrypt_failed: {exc}") from None
        self._put_chain(author, thread, generation, chain)
        return plaintext

    async def keep(self, body: PrivateBody, event_id: str = "") -> None:
        """Keep a private body this node sent or opened (the first for a sender's client id
        counts), and mark the event it came in as handled."""
        await self._run(self._keep, body, event_id)

    def _keep(self, body: PrivateBody, event_id: str) -> None:
        self._db.execute(
            "INSERT INTO bodies VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sender, client_id)"
            " DO UPDATE SET payload = coalesce(payload, excluded.payload),"
            " error = CASE WHEN coalesce(payload, excluded.payload) IS NULL"
            " THEN excluded.error END, session = excluded.session",
            body,
        )
        if event_id:
            self._db.execute("INSERT OR IGNORE INTO handled VALUES (?)", (event_id,))

    async def unhandled(self, event_ids: Iterable[str]) -> set[str]:
        """Which of these events this node has not handled yet."""
        wanted = list(event_ids)
        return await self._run(self._unhandled, wanted)  # type: ignore[no-any-return]

    def _unhandled(self, wanted: list[str]) -> set[str]:
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (event_id TEXT)")
        self._db.execute("DELETE FROM wanted")
        self._db.executemany("INSERT INTO wanted VALUES (?)", [(w,) for w in wanted])
        return {
            r[0]
            for r in self._db.execute(
                "SELECT w.event_id FROM wanted w LEFT JOIN handled h USING (event_id)"
                " WHERE h.event_id IS NULL"
            )
        }

    async def bodies(
        self, sender_client_ids: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], PrivateBody]:
        """The private bodies kept for these (sender, client id) pairs."""
        wanted = list(sender_client_ids)
        return await self._run(self._bodies, wanted)  # type: ignore[no-any-return]

    def _bodies(self, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], PrivateBody]:
        found = {}
        for sender, client_id in wanted:
            row = self._db.execute(
                "SELECT kind, peer, thread, session, payload, error FROM bodies"
                " WHERE sender = ? AND client_id = ?",
                (sender, client_id),
            ).fetchone()
            if row:
                found[(sender, client_id)] = PrivateBody(sender, client_id, *row)
        return found

    async def sent_in(self, me: str, peer: str, session: bytes) -> list[PrivateBody]:
        """What this node sealed to a peer in a session (to send again when it broke)."""
        return await self._run(  # type: ignore[no-any-return]
            lambda: [
                PrivateBody(me, *row)
                for row in self._db.execute(
                    "SELECT client_id, kind, peer, thread, session, payload, error FROM bodies"
                    " WHERE sender = ? AND peer = ? AND session = ?",
                    (me, peer, session),
                )
            ]
        )

    def close(self) -> None:
        """Close the file once the work in flight is done (a node stopping does not wait for
        its reactions' threads)."""
        with self._lock:
            self._db.close()
