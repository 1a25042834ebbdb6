"""Pin the primitives of end-to-end encryption to Wycheproof: X25519 and ChaCha20-Poly1305,
every case of both files, unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hearthnet.adapters.crypto import SealError, open_sealed, seal, x25519
from tests.conftest import VECTORS


def _cases(name: str) -> list[dict[str, Any]]:
    data = json.loads((VECTORS / name).read_text())
    cases = [
        {**t, **{k: v for k, v in g.items() if k != "tests"}}
        for g in data["testGroups"]
        for t in g["tests"]
    ]
    assert len(cases) == data["numberOfTests"] > 300
    return cases


X25519 = _cases("wycheproof_x25519_test.json")
AEAD = _cases("wycheproof_chacha20_poly1305_test.json")


@pytest.mark.parametrize("case", X25519, ids=[f"tc{c['tcId']}" for c in X25519])
def test_x25519(case: dict[str, Any]) -> None:
    private, public = bytes.fromhex(case["private"]), bytes.fromhex(case["public"])
    shared = bytes.fromhex(case["shared"])
    if shared == bytes(32):  # a low-order peer key: the zero secret is refused, never used
        assert case["result"] == "acceptable"
        with pytest.raises(SealError, match="low order"):
            x25519(private, public)
        return
    assert case["result"] in ("valid", "acceptable")
    assert x25519(private, public) == shared


@pytest.mark.parametrize("case", AEAD, ids=[f"tc{c['tcId']}" for c in AEAD])
def test_chacha20_poly1305(case: dict[str, Any]) -> None:
    key, nonce = bytes.fromhex(case["key"]), bytes.fromhex(case["iv"])
    aad, msg = bytes.fromhex(case["aad"]), bytes.fromhex(case["msg"])
    sealed = bytes.fromhex(case["ct"]) + bytes.fromhex(case["tag"])
    if case["result"] == "invalid":
        with pytest.raises(SealError):
            open_sealed(key, nonce, sealed, aad)
        return
    assert seal(key, nonce, msg, aad) == sealed
    assert open_sealed(key, nonce, sealed, aad) == msg
