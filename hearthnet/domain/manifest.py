"""Signed node manifests: who a node is, where it listens, what it serves, valid for 30 s."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from hearthnet.domain.capability import Descriptor
from hearthnet.domain.types import InvalidIdentifier, b64url, parse_node_id, unb64url

if TYPE_CHECKING:
    from hearthnet.domain.ports import Signer, Verify

CONTEXT = b"hearthnet/manifest/v1\x00"
TTL_MS = 30_000
MAX_SKEW_MS = 5 * 60 * 1000


class ManifestError(ValueError):
    """A manifest that is not signed by its node, or not current."""


class Manifest(msgspec.Struct, kw_only=True):
    """What a node says about itself at GET /manifest."""

    version: int = 1
    node_id: str
    community: str
    name: str = ""
    url: str = ""
    protocol: int = 1
    peers: list[str] = []
    capabilities: list[Descriptor] = []
    issued_at: int
    expires_at: int
    signature: str = ""


_json = msgspec.json.Encoder(order="sorted")


def _signed_part(manifest: Manifest) -> bytes:
    fields = msgspec.to_builtins(manifest)
    del fields["signature"]
    return CONTEXT + _json.encode(fields)


def sign_manifest(manifest: Manifest, signer: Signer) -> Manifest:
    """Return the manifest signed with the node's key."""
    return msgspec.structs.replace(manifest, signature=b64url(signer.sign(_signed_part(manifest))))


def check_manifest(manifest: Manifest, verify: Verify, now_ms: int) -> None:
    """Raise ManifestError unless the node signed it and it has not expired."""
    try:
        key, signature = parse_node_id(manifest.node_id), unb64url(manifest.signature)
    except InvalidIdentifier as exc:
        raise ManifestError(f"malformed manifest: {exc}") from None
    if not verify(key, _signed_part(manifest), signature):
        raise ManifestError(f"manifest not signed by {manifest.node_id}")
    if manifest.expires_at + MAX_SKEW_MS < now_ms or manifest.issued_at - MAX_SKEW_MS > now_ms:
        raise ManifestError("manifest expired or from the future")
