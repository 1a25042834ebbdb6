"""X3DH and the Double Ratchet as Signal specifies them, and sender-key chains for groups, on
libsodium's X25519 and ChaCha20-Poly1305 and the standard library's HMAC-SHA256.

Every function is pure: it takes a state and returns the new state with its output, so that the
caller stores the state and the message together or not at all. A message that does not open
leaves the state as it was.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import TYPE_CHECKING, Annotated

import msgspec

from hearthnet.adapters.crypto import SealError, open_sealed, seal, x25519, x25519_public

if TYPE_CHECKING:
    from hearthnet.domain.ports import Bundle

MAX_SKIP = 1000
"""The furthest a chain may jump forward in one message (keys of the messages skipped)."""
MAX_STORED = 2000
"""Skipped message keys kept per session or sender chain; the oldest go first."""
SESSION_ID_BYTES = 8

Key32 = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
Counter = Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]


class Init(msgspec.Struct, frozen=True, array_like=True):
    """X3DH's first message: the initiator's ephemeral key and which prekeys it used
    (`one_time` 0: none). The initiator's identity key is its author's, never sent."""

    ephemeral: Key32
    signed_prekey: Counter
    one_time: Counter = 0


class Header(msgspec.Struct, frozen=True, array_like=True):
    """A ratchet message's header: the session, the sender's ratchet key, the length of its
    previous chain and the message's number in the current one."""

    session: Annotated[bytes, msgspec.Meta(min_length=8, max_length=8)]
    dh: Key32
    previous: Counter
    n: Counter
    init: Init | None = None


class Session(msgspec.Struct, kw_only=True):
    """One Double Ratchet session with a peer (Signal's state variables)."""

    id: bytes
    ad: bytes
    root: bytes
    dh_private: bytes
    dh_public: bytes
    dh_remote: bytes = b""
    send_chain: bytes = b""
    recv_chain: bytes = b""
    sent: int = 0
    received: int = 0
    previous: int = 0
    skipped: dict[str, bytes] = {}
    init: Init | None = None
    """Sent with every message until the peer has answered (X3DH's initial message)."""


class SenderChain(msgspec.Struct, kw_only=True):
    """A group member's sending chain (Signal's sender key), or a copy received from it."""

    chain: bytes
    n: int = 0
    skipped: dict[str, bytes] = {}


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869)."""
    prk = hmac.digest(salt or bytes(32), ikm, "sha256")
    out, block = b"", b""
    for i in range(1, -(-length // 32) + 1):
        block = hmac.digest(prk, block + info + bytes([i]), "sha256")
        out += block
    return out[:length]


def _x3dh_secret(dh_outputs: bytes) -> bytes:
    return hkdf(bytes(32), b"\xff" * 32 + dh_outputs, b"HearthNet_X3DH_v1", 32)


def _root_step(root: bytes, dh_out: bytes) -> tuple[bytes, bytes]:
    out = hkdf(root, dh_out, b"HearthNet_RK_v1", 64)
    return out[:32], out[32:]


def _chain_step(chain: bytes) -> tuple[bytes, bytes]:
    """The next chain key and this step's message key (HMAC with 0x02 and 0x01)."""
    return hmac.digest(chain, b"\x02", "sha256"), hmac.digest(chain, b"\x01", "sha256")


def _seal(message_key: bytes, plaintext: bytes, ad: bytes) -> bytes:
    k = hkdf(bytes(32), message_key, b"HearthNet_MK_v1", 44)
    return seal(k[:32], k[32:], plaintext, ad)


def _open(message_key: bytes, ciphertext: bytes, ad: bytes) -> bytes:
    k = hkdf(bytes(32), message_key, b"HearthNet_MK_v1", 44)
    return open_sealed(k[:32], k[32:], ciphertext, ad)


def _keypair() -> tuple[bytes, bytes]:
    private = os.urandom(32)
    return private, x25519_public(private)


def session_id(ephemeral: bytes) -> bytes:
    """A session's id: derived from the initiator's ephemeral key, the same on both sides."""
    return hashlib.sha256(b"HearthNet_session" + ephemeral).digest()[:SESSION_ID_BYTES]


def initiate(identity_private: bytes, bundle: Bundle) -> Session:
    """Open a session to a peer from its published keys (X3DH, initiator's side)."""
    ephemeral_private, ephemeral = _keypair()
    dh = x25519(identity_private, bundle.signed_prekey)
    dh += x25519(ephemeral_private, bundle.identity)
    dh += x25519(ephemeral_private, bundle.signed_prekey)
    if bundle.one_time:
        dh += x25519(ephemeral_private, bundle.one_time)
    secret = _x3dh_secret(dh)
    dh_private, dh_public = _keypair()
    root, send_chain = _root_step(secret, x25519(dh_private, bundle.signed_prekey))
    return Session(
        id=session_id(ephemeral),
        ad=x25519_public(identity_private) + bundle.identity,
        root=root,
        dh_private=dh_private,
        dh_public=dh_public,
        dh_remote=bundle.signed_prekey,
        send_chain=send_chain,
        init=Init(
            ephemeral=ephemeral,
            signed_prekey=bundle.signed_prekey_id,
            one_time=bundle.one_time_id if bundle.one_time else 0,
        ),
    )


def respond(
    identity_private: bytes,
    signed_prekey_private: bytes,
    one_time_private: bytes | None,
    peer_identity: bytes,
    init: Init,
) -> Session:
    """Take up a session a peer opened (X3DH, responder's side)."""
    dh = x25519(signed_prekey_private, peer_identity)
    dh += x25519(identity_private, init.ephemeral)
    dh += x25519(signed_prekey_private, init.ephemeral)
    if one_time_private is not None:
        dh += x25519(one_time_private, init.ephemeral)
    return Session(
        id=session_id(init.ephemeral),
        ad=peer_identity + x25519_public(identity_private),
        root=_x3dh_secret(dh),
        dh_private=signed_prekey_private,
        dh_public=x25519_public(signed_prekey_private),
    )


def _header_bytes(header: Header) -> bytes:
    return msgspec.msgpack.encode(header)


def encrypt(session: Session, plaintext: bytes) -> tuple[Session, Header, bytes]:
    """Seal one message: the new state, the header and the ciphertext."""
    if not session.send_chain:
        raise SealError("this session cannot send before its peer has written")
    chain, message_key = _chain_step(session.send_chain)
    header = Header(
        session=session.id,
        dh=session.dh_public,
        previous=session.previous,
        n=session.sent,
        init=session.init,
    )
    ciphertext = _seal(message_key, plaintext, session.ad + _header_bytes(header))
    after = msgspec.structs.replace(session, send_chain=chain, sent=session.sent + 1)
    return after, header, ciphertext


def _skip(state: Session, until: int) -> None:
    if not state.recv_chain:
        return
    if until - state.received > MAX_SKIP:
        raise SealError(f"the message is more than {MAX_SKIP} ahead of its chain")
    while state.received < until:
        state.recv_chain, key = _chain_step(state.recv_chain)
        state.skipped[f"{state.dh_remote.hex()}:{state.received}"] = key
        state.received += 1
    for old in list(state.skipped)[: max(0, len(state.skipped) - MAX_STORED)]:
        del state.skipped[old]


def decrypt(session: Session, header: Header, ciphertext: bytes) -> tuple[Session, bytes]:
    """Open one message: the new state and the plaintext. SealError for a message that does
    not open (tampered, replayed, or too far ahead); the given state is never changed."""
    state = msgspec.structs.replace(session, skipped=dict(session.skipped))
    ad = state.ad + _header_bytes(header)
    stored = state.skipped.pop(f"{header.dh.hex()}:{header.n}", None)
    if stored is not None:
        return _opened(state, _open(stored, ciphertext, ad))
    if header.dh != state.dh_remote:
        _skip(state, header.previous)
        state.previous, state.sent, state.received = state.sent, 0, 0
        state.dh_remote = header.dh
        state.root, state.recv_chain = _root_step(state.root, x25519(state.dh_private, header.dh))
        state.dh_private, state.dh_public = _keypair()
        state.root, state.send_chain = _root_step(state.root, x25519(state.dh_private, header.dh))
    if header.n < state.received:
        raise SealError("this message was opened already")
    _skip(state, header.n)
    state.recv_chain, message_key = _chain_step(state.recv_chain)
    state.received += 1
    return _opened(state, _open(message_key, ciphertext, ad))


def _opened(state: Session, plaintext: bytes) -> tuple[Session, bytes]:
    state.init = None
    return state, plaintext


def new_sender_chain() -> SenderChain:
    """A fresh sending chain for one group generation."""
    return SenderChain(chain=os.urandom(32))


def sender_encrypt(
    chain: SenderChain, plaintext: bytes, ad: bytes
) -> tuple[SenderChain, int, bytes]:
    """Seal a group message: the new chain, the message's number and the ciphertext."""
    after, message_key = _chain_step(chain.chain)
    ciphertext = _seal(message_key, plaintext, ad + chain.n.to_bytes(4, "big"))
    return SenderChain(chain=after, n=chain.n + 1), chain.n, ciphertext


def sender_decrypt(
    chain: SenderChain, n: int, ciphertext: bytes, ad: bytes
) -> tuple[SenderChain, bytes]:
    """Open message `n` of a member's chain (reordered, duplicated or lost messages bounded as
    in a session); SealError when it does not open."""
    state = SenderChain(chain=chain.chain, n=chain.n, skipped=dict(chain.skipped))
    ad += n.to_bytes(4, "big")
    stored = state.skipped.pop(str(n), None)
    if stored is not None:
        return state, _open(stored, ciphertext, ad)
    if n < state.n:
        raise SealError("this message was opened already")
    if n - state.n > MAX_SKIP:
        raise SealError(f"the message is more than {MAX_SKIP} ahead of its chain")
    while state.n < n:
        state.chain, key = _chain_step(state.chain)
        state.skipped[str(state.n)] = key
        state.n += 1
    for old in list(state.skipped)[: max(0, len(state.skipped) - MAX_STORED)]:
        del state.skipped[old]
    state.chain, message_key = _chain_step(state.chain)
    state.n += 1
    return state, _open(message_key, ciphertext, ad)
