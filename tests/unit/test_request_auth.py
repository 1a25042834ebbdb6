"""Signed requests: one target, once, inside the clock window, over exactly these bytes."""

from __future__ import annotations

import time

import pytest

from hearthnet.adapters.request_auth import (
    MAX_SKEW_MS,
    TIMESTAMP,
    AuthError,
    ReplayGuard,
    sign_request,
    verify_request,
)
from hearthnet.domain.types import node_id
from tests.factories import signer

COMMUNITY = node_id(signer(0).public_key)
ME = node_id(signer(9).public_key)


def _check(headers: dict[str, str], guard: ReplayGuard, target: str = "/p?x=1") -> bytes:
    return verify_request(headers, "POST", target, b"body", COMMUNITY, ME, guard)


def test_a_request_checks_once_and_only_for_its_target_and_bytes() -> None:
    caller = signer(1)
    guard = ReplayGuard()
    headers = sign_request(caller, COMMUNITY, ME, "POST", "/p?x=1", b"body")
    assert _check(headers, guard) == caller.public_key
    with pytest.raises(AuthError, match="replayed"):
        _check(headers, guard)
    fresh = sign_request(caller, COMMUNITY, ME, "POST", "/p?x=1", b"body")
    with pytest.raises(AuthError, match="invalid request signature"):
        _check(fresh, guard, target="/p?x=2")
    elsewhere = sign_request(
        caller, COMMUNITY, node_id(signer(8).public_key), "POST", "/p?x=1", b"body"
    )
    with pytest.raises(AuthError, match="another node"):
        _check(elsewhere, guard)


def test_a_request_from_a_wrong_clock_says_clock_skew(monkeypatch: pytest.MonkeyPatch) -> None:
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 2 * MAX_SKEW_MS / 1000)
    old = sign_request(signer(1), COMMUNITY, ME, "POST", "/p?x=1", b"body")
    monkeypatch.setattr(time, "time", real)
    with pytest.raises(AuthError) as refused:
        _check(old, ReplayGuard())
    assert refused.value.code == "clock_skew"


def test_a_full_replay_cache_refuses_what_it_can_no_longer_tell() -> None:
    guard = ReplayGuard(limit=3)
    now = int(time.time() * 1000)
    for i in range(3):
        assert guard.admit(b"k", f"n{i}", now - 10 + i, now)
    assert guard.admit(b"k", "n3", now, now), "the oldest is forgotten to make room"
    assert not guard.admit(b"k", "n0", now - 10, now), "and a request as old is refused"
    assert not guard.admit(b"k", "n3", now, now), "a repeat inside the window is a replay"


def test_missing_or_malformed_headers_are_refused_not_raised() -> None:
    headers = sign_request(signer(1), COMMUNITY, ME, "POST", "/p?x=1", b"body")
    for broken in (
        {**headers, TIMESTAMP: "soon"},
        {k: v for k, v in headers.items() if k != TIMESTAMP},
    ):
        with pytest.raises(AuthError):
            _check(broken, ReplayGuard())
