"""The capability bus: names, version negotiation, trust, errors, routing and failover."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from hearthnet.domain.capability import BusError, Descriptor, Version, best_offer, parse_capability
from hearthnet.services.bus import Bus, Call


def test_names_and_versions() -> None:
    assert parse_capability("market.post") == ("market.post", None)
    assert parse_capability("market.post@1.2") == ("market.post", Version(1, 2))
    assert parse_capability("market.post@>=1.2") == ("market.post", Version(1, 2))
    for bad in ("Market", "market", "market.post@1", "market.post@x.y", ""):
        with pytest.raises(BusError) as err:
            parse_capability(bad)
        assert err.value.code == "bad_request" and err.value.status == 400


def test_negotiation_same_major_highest_minor() -> None:
    offers = [Version(1, 0), Version(1, 3), Version(2, 0)]
    assert best_offer(offers, Version(1, 1)) == Version(1, 3)
    assert best_offer(offers, Version(1, 4)) is None
    assert best_offer(offers, Version(2, 0)) == Version(2, 0)
    assert best_offer(offers, None) == Version(2, 0)


def test_error_codes_map_to_statuses() -> None:
    assert BusError("revoked").status == 403
    assert BusError("rate_limited").status == 429
    assert BusError("partition").status == 503
    with pytest.raises(ValueError):
        BusError("teapot")


class Echo(msgspec.Struct):
    text: str


def _bus(remotes: list[Any] | None = None) -> Bus:
    bus = Bus(lambda: remotes or [])

    async def echo(call: Call) -> dict[str, Any]:
        return {"text": call.input.text, "caller": call.caller}

    bus.register(Descriptor(name="test.echo", version="1.2"), Echo, echo)
    bus.register(Descriptor(name="test.secret", version="1.0", trust="trusted"), Echo, echo)
    return bus


def test_local_route_trust_and_bad_input() -> None:
    bus = _bus()
    out = asyncio.run(bus.call("test.echo@1.0", "me", "member", {}, {"text": "hi"}))
    assert out["output"] == {"text": "hi", "caller": "me"} and out["meta"]["version"] == "1.2"
    with pytest.raises(BusError) as err:
        asyncio.run(bus.call("test.secret", "me", "member", {}, {"text": "x"}))
    assert err.value.code == "unauthorized"
    assert asyncio.run(bus.call("test.secret", "me", "trusted", {}, {"text": "x"}))["output"]
    with pytest.raises(BusError) as err:
        asyncio.run(bus.call("test.echo", "me", "member", {}, {"text": 5}))
    assert err.value.code == "bad_request"
    with pytest.raises(BusError) as err:
        asyncio.run(bus.call("test.echo@2.0", "me", "member", {}, {}, route_remote=False))
    assert err.value.code == "not_found"


class FakeRemote:
    """A peer that serves `test.remote@1.1` and fails when told to."""

    def __init__(self, url: str) -> None:
        self.url, self.failing, self.calls = url, False, 0

    async def offers(self) -> list[Descriptor]:
        return [Descriptor(name="test.remote", version="1.1")]

    async def call(self, ref: str, params: dict[str, Any], input: Any) -> dict[str, Any]:
        self.calls += 1
        if self.failing:
            raise BusError("partition", "down")
        return {"output": {"by": self.url, "ref": ref}, "meta": {}}

    async def stream(self, ref: str, params: dict[str, Any], input: Any) -> Any:
        if self.failing:
            raise BusError("partition", "down")
        yield "tick", {"by": self.url}
        yield "done", {"frames": 1}


def test_remote_route_failover_and_quarantine() -> None:
    a, b = FakeRemote("http://a"), FakeRemote("http://b")
    bus = _bus([a, b])
    first = asyncio.run(bus.call("test.remote@1.0", "me", "self", {}, {}))
    assert first["output"]["ref"] == "test.remote@1.1"
    served = first["meta"]["served_by"]
    down, up = (a, b) if served == "http://a" else (b, a)
    down.failing = True
    for _ in range(4):
        assert (
            asyncio.run(bus.call("test.remote", "me", "self", {}, {}))["meta"]["served_by"]
            == up.url
        )
    calls_before = down.calls
    asyncio.run(bus.call("test.remote", "me", "self", {}, {}))
    assert down.calls == calls_before, "a quarantined peer is skipped"
    up.failing = True
    with pytest.raises(BusError) as err:
        asyncio.run(bus.call("test.remote", "me", "self", {}, {}))
    assert err.value.code in ("partition", "not_found")


def test_streams_end_in_exactly_one_done_or_error() -> None:
    bus = Bus(lambda: [])

    async def count(call: Call) -> Any:
        for i in range(call.input.text.count("x")):
            yield "tick", {"i": i}
        if "!" in call.input.text:
            raise BusError("timeout", "gave up")

    bus.register(Descriptor(name="test.count", version="1.0", streaming=True), Echo, count)

    async def frames(text: Any) -> list[tuple[str, Any]]:
        return [f async for f in bus.stream("test.count", "me", "self", {}, {"text": text})]

    ok = asyncio.run(frames("xxx"))
    assert [n for n, _ in ok] == ["tick", "tick", "tick", "done"] and ok[-1][1]["frames"] == 3
    failed = asyncio.run(frames("xx!"))
    assert [n for n, _ in failed] == ["tick", "tick", "error"]
    assert failed[-1][1]["error"] == "timeout"
    bad = asyncio.run(frames(5))
    assert [n for n, _ in bad] == ["error"] and bad[0][1]["error"] == "bad_request"
    with pytest.raises(BusError):
        asyncio.run(bus.call("test.count", "me", "self", {}, {"text": "x"}))


def test_remote_streams_fail_over_before_the_first_frame() -> None:
    a, b = FakeRemote("http://a"), FakeRemote("http://b")
    a.failing = True
    bus = _bus([a, b])

    async def frames() -> list[tuple[str, Any]]:
        return [f async for f in bus.stream("test.remote", "me", "self", {}, {})]

    got = asyncio.run(frames())
    assert got == [("tick", {"by": "http://b"}), ("done", {"frames": 1})]
    b.failing = True
    assert asyncio.run(frames())[-1][0] == "error"
