"""The node key on disk: `keys/device.ed25519` (raw seed, mode 0600) and `keys/device.pub`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hearthnet.adapters.crypto import NaclSigner

if TYPE_CHECKING:
    from pathlib import Path


class KeyFileError(RuntimeError):
    """The key files exist but cannot be used."""


def key_paths(home: Path) -> tuple[Path, Path]:
    """Return the private and public key file paths under a data directory."""
    return home / "keys" / "device.ed25519", home / "keys" / "device.pub"


def load_signer(home: Path, *, create: bool) -> NaclSigner | None:
    """Load the node key; with create, make one on first use. None if absent and not created."""
    private, public = key_paths(home)
    if private.exists():
        seed = private.read_bytes()
        if len(seed) != 32:
            raise KeyFileError(f"{private} must hold a 32-byte seed, it holds {len(seed)} bytes")
        return NaclSigner(seed)
    if not create:
        return None
    private.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    signer = NaclSigner.generate()
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(signer.seed)
    public.write_bytes(signer.public_key)
    public.chmod(0o644)
    return signer
