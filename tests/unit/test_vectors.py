"""Pin the one Ed25519 verification policy of every node to external test vectors."""

from __future__ import annotations

import json

import pytest

from hearthnet.adapters.crypto import verify_ed25519
from tests.conftest import VECTORS


def _wycheproof() -> list[tuple[str, bytes, bytes, bytes, str]]:
    data = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    cases = []
    for group in data["testGroups"]:
        key = bytes.fromhex(group["publicKey"]["pk"])
        for t in group["tests"]:
            cases.append(
                (
                    f"tc{t['tcId']}",
                    key,
                    bytes.fromhex(t["msg"]),
                    bytes.fromhex(t["sig"]),
                    t["result"],
                )
            )
    return cases


WYCHEPROOF = _wycheproof()


def test_every_wycheproof_case_is_loaded() -> None:
    data = json.loads((VECTORS / "wycheproof_ed25519_test.json").read_text())
    assert len(WYCHEPROOF) == data["numberOfTests"] > 100


@pytest.mark.parametrize(
    ("case", "key", "msg", "sig", "result"), WYCHEPROOF, ids=[c[0] for c in WYCHEPROOF]
)
def test_wycheproof(case: str, key: bytes, msg: bytes, sig: bytes, result: str) -> None:
    # "acceptable" cases do not occur in this file; valid must pass, invalid must fail.
    assert result in ("valid", "invalid")
    assert verify_ed25519(key, msg, sig) is (result == "valid")


# The accept/reject pattern of our verifier (libsodium's strict rules) on ed25519-speccheck:
# 0-1 small-order A: reject; 2 small-order R: reject; 3 mixed-order A and R, cofactorless
# equation holds: accept; 4 holds only cofactored: reject; 5-6 non-canonical S (S >= L):
# reject; 7-9 non-canonical R or large S: reject; 10-11 non-canonical A: reject.
# Every node runs this one policy, so a crafted signature is valid everywhere or nowhere.
SPECCHECK_EXPECTED = [False, False, False, True] + [False] * 8


def test_speccheck_cases_pin_the_policy() -> None:
    cases = json.loads((VECTORS / "ed25519_speccheck_cases.json").read_text())
    assert len(cases) == len(SPECCHECK_EXPECTED) == 12
    got = [
        verify_ed25519(
            bytes.fromhex(c["pub_key"]), bytes.fromhex(c["message"]), bytes.fromhex(c["signature"])
        )
        for c in cases
    ]
    assert got == SPECCHECK_EXPECTED


def test_wrong_lengths_are_invalid_not_errors() -> None:
    assert verify_ed25519(b"\x00" * 31, b"m", b"\x00" * 64) is False
    assert verify_ed25519(b"\x00" * 32, b"m", b"\x00" * 63) is False
