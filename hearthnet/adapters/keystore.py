"""The node key on disk: `keys/device.ed25519` (raw seed, mode 0600) and `keys/device.pub`;
its backup as a text, and its restore on a new device."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import NaclSigner
from hearthnet.domain.types import InvalidIdentifier, b64url, unb64url

if TYPE_CHECKING:
    from pathlib import Path


class KeyFileError(RuntimeError):
    """The key files exist but cannot be used."""


def key_paths(home: Path) -> tuple[Path, Path]:
    """Return the private and public key file paths under a data directory."""
    return home / "keys" / "device.ed25519", home / "keys" / "device.pub"


def load_signer(home: Path, *, create: bool) -> NaclSigner | None:
    """Load the node key; with create, make one on first use. None if absent and not created."""
    private = key_paths(home)[0]
    if private.exists():
        seed = private.read_bytes()
        if len(seed) != 32:
            raise KeyFileError(f"{private} must hold a 32-byte seed, it holds {len(seed)} bytes")
        return NaclSigner(seed)
    if not create:
        return None
    return _write(home, NaclSigner.generate())


BACKUP_PREFIX = "hearthnet-key://v1/"


def backup_text(signer: NaclSigner) -> str:
    """The node key as a text to keep offline (a file or a QR code): whoever holds it IS this
    node in the community."""
    return BACKUP_PREFIX + b64url(signer.seed)


def read_backup(text: str) -> NaclSigner:
    """The key in a backup text; KeyFileError when the text is not a whole key backup."""
    text = text.strip()
    if not text.startswith(BACKUP_PREFIX):
        raise KeyFileError(f"a key backup starts with {BACKUP_PREFIX}")
    try:
        seed = unb64url(text[len(BACKUP_PREFIX) :])
    except InvalidIdentifier as exc:
        raise KeyFileError(f"the key backup is damaged: {exc}") from None
    if len(seed) != 32:
        raise KeyFileError("the key backup is damaged: a key is 32 bytes")
    return NaclSigner(seed)


def restore_key(home: Path, text: str, *, replace_unused: bool = False) -> NaclSigner:
    """Write a backed-up key as this data directory's node key; KeyFileError when the text is
    not a key backup or this directory already has a key. With replace_unused the caller
    vouches that the present key has signed nothing: it is replaced in one step."""
    signer = read_backup(text)
    if not replace_unused and key_paths(home)[0].exists():
        raise KeyFileError(f"{key_paths(home)[0]} exists already: restore into a new directory")
    return _write(home, signer, replace=replace_unused)


def _write(home: Path, signer: NaclSigner, *, replace: bool = False) -> NaclSigner:
    private, public = key_paths(home)
    private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = private.with_suffix(".new") if replace else private
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(signer.seed)
        f.flush()
        os.fsync(f.fileno())
    if replace:
        os.replace(target, private)
    public.write_bytes(signer.public_key)
    public.chmod(0o644)
    return signer
