"""The private halves of a node's X25519 keys, in `keys/prekeys.sqlite` (mode 0600).

The identity key is derived from the Ed25519 device key and never stored. Prekeys are
generated here and committed to disk before their public halves are published, so no key
is ever offered that this node cannot use.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from typing import TYPE_CHECKING

import nacl.bindings

from hearthnet.adapters.crypto import x25519_public

if TYPE_CHECKING:
    from pathlib import Path

    from hearthnet.adapters.crypto import NaclSigner

KINDS = ("signed", "one_time")


def x25519_from_ed25519(public_key: bytes) -> bytes:
    """The X25519 form of an Ed25519 public key (raises ValueError for a key off the curve)."""
    try:
        return bytes(nacl.bindings.crypto_sign_ed25519_pk_to_curve25519(public_key))
    except Exception as exc:  # libsodium refuses keys that are not points of the curve
        raise ValueError(f"not an Ed25519 public key: {exc}") from None


class Prekeys:
    """The keyring of one node: its identity key and its prekeys' private halves."""

    def __init__(self, home: Path, signer: NaclSigner) -> None:
        path = home / "keys" / "prekeys.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS prekey_private (kind TEXT, id INTEGER, private BLOB, "
            "public BLOB, created_at INTEGER, PRIMARY KEY (kind, id))"
        )
        self._lock = threading.Lock()
        sk = signer.seed + signer.public_key
        self._identity = bytes(nacl.bindings.crypto_sign_ed25519_sk_to_curve25519(sk))

    def identity_public(self) -> bytes:
        """The node's X25519 identity key."""
        return x25519_public(self._identity)

    async def create(self, kind: str, count: int) -> list[tuple[int, bytes]]:
        """Make and durably store `count` new prekeys of a kind; return (id, public key)."""
        return await asyncio.to_thread(self._create, kind, count)

    def _create(self, kind: str, count: int) -> list[tuple[int, bytes]]:
        if kind not in KINDS:
            raise ValueError(f"no prekey kind {kind!r}")
        made = []
        with self._lock:
            top = self._db.execute(
                "SELECT coalesce(max(id), 0) FROM prekey_private WHERE kind = ?", (kind,)
            ).fetchone()[0]
            rows = []
            for n in range(1, count + 1):
                private = os.urandom(32)
                public = x25519_public(private)
                rows.append((kind, top + n, private, public, int(time.time() * 1000)))
                made.append((top + n, public))
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT INTO prekey_private VALUES (?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")
        return made

    def close(self) -> None:
        """Close the key file, once keys being made are stored (a node stopping does not wait
        for its reactions' threads)."""
        with self._lock:
            self._db.close()
