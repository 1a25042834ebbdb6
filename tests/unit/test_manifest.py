"""Signed manifests: only the node's own, current manifest is believed."""

from __future__ import annotations

import msgspec
import pytest

from hearthnet.adapters.crypto import verify_ed25519
from hearthnet.domain.capability import Descriptor
from hearthnet.domain.manifest import Manifest, ManifestError, check_manifest, sign_manifest
from hearthnet.domain.types import node_id
from tests.factories import signer

NOW = 1_790_000_000_000


def _manifest() -> Manifest:
    key = signer(1)
    return sign_manifest(
        Manifest(
            node_id=node_id(key.public_key),
            community="c",
            capabilities=[Descriptor(name="a.b", version="1.0")],
            issued_at=NOW,
            expires_at=NOW + 30_000,
        ),
        key,
    )


def test_a_signed_current_manifest_checks() -> None:
    manifest = _manifest()
    check_manifest(
        msgspec.json.decode(msgspec.json.encode(manifest), type=Manifest),
        verify_ed25519,
        NOW + 1000,
    )


@pytest.mark.parametrize(
    "change",
    [{"url": "http://evil"}, {"capabilities": []}, {"node_id": node_id(signer(2).public_key)}],
)
def test_any_change_breaks_the_signature(change: dict[str, object]) -> None:
    with pytest.raises(ManifestError):
        check_manifest(msgspec.structs.replace(_manifest(), **change), verify_ed25519, NOW)


def test_stale_manifests_are_refused() -> None:
    with pytest.raises(ManifestError):
        check_manifest(_manifest(), verify_ed25519, NOW + 3_600_000)
