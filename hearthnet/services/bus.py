"""The capability bus: local handlers first, else the best healthy peer that offers it.

Capabilities of trust `self` (those that sign events) are never routed: a node signs only
for its own operator, so no peer would serve such a call.

A request for `name@>=A.B` is served by an offer X.Y iff X == A and Y >= B, highest wins.
Each (peer, capability) keeps a ring of recent outcomes; a peer under half success over its
recent calls is quarantined for a minute and the next peer is tried.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from hearthnet.domain.capability import (
    LEVEL_FOR_TRUST,
    BusError,
    Descriptor,
    Version,
    best_offer,
    parse_capability,
)

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable

    Collector = Callable[[list[tuple[str, Any]]], tuple[dict[str, Any], dict[str, Any]]]
    """A streaming capability's frames as one answer: (output, meta)."""

H = TypeVar("H", bound="Callable[..., Any]")
P = TypeVar("P")
HEALTH_WINDOW = 100
QUARANTINE_S = 60.0
MIN_CALLS_FOR_QUARANTINE = 3


@dataclass(frozen=True)
class Call:
    """One capability call as a handler sees it."""

    caller: str
    """The calling node id (this node's own id for the local CLI and UI)."""
    level: str
    """The caller's standing: self, anchor, trusted or member."""
    params: dict[str, Any]
    input: Any

    def params_as(self, kind: type[P]) -> P:
        """The call's params as the capability reads them; bad_request if they do not fit."""
        try:
            return msgspec.convert(self.params, kind)
        except msgspec.ValidationError as exc:
            raise BusError("bad_request", f"params: {exc}") from None


@dataclass(frozen=True)
class Capability:
    """One capability a feature serves: a top-level handler taking the call and the node's
    context, so that it can be tested alone with an in-memory context."""

    name: str
    trust: str
    input_type: type[Any]
    handler: Callable[..., Any]
    """`async (call, context) -> output`, or an async generator of frames when streaming."""
    streaming: bool = False
    idempotent: bool = False
    collect: Collector | None = None
    """How a streaming capability answers a call that does not ask for a stream."""


@dataclass
class Offer:
    """A capability this node serves: a handler, or a streamer of frames."""

    descriptor: Descriptor
    input_type: type[Any]
    handler: Callable[[Call], Awaitable[dict[str, Any]]]
    collect: Collector | None = None

    @property
    def streamer(self) -> Callable[[Call], AsyncGenerator[tuple[str, Any], None]]:
        """The handler of a streaming capability, which yields (frame name, data)."""
        return self.handler  # type: ignore[return-value]


class Remote(Protocol):
    """Another node's bus."""

    url: str
    peer_id: str

    async def call(self, ref: str, params: dict[str, Any], input: Any) -> dict[str, Any]:
        """Call a capability there; raise BusError with the wire code on failure."""
        ...

    async def offers(self) -> list[Descriptor]:
        """What it serves."""
        ...

    def stream(
        self, ref: str, params: dict[str, Any], input: Any
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Stream a capability's frames from there (raise BusError if it cannot start)."""
        ...


@dataclass
class _Health:
    outcomes: deque[bool] = field(default_factory=lambda: deque(maxlen=HEALTH_WINDOW))
    quarantined_until: float = 0.0

    def record(self, ok: bool) -> None:
        self.outcomes.append(ok)
        failures = self.outcomes.count(False)
        calls = len(self.outcomes)
        if calls >= MIN_CALLS_FOR_QUARANTINE and failures * 2 > calls and not ok:
            self.quarantined_until = time.monotonic() + QUARANTINE_S


class Bus:
    """Registry of local handlers plus routing to peers."""

    def __init__(self, remotes: Callable[[], list[Remote]]) -> None:
        self._offers: dict[str, list[Offer]] = {}
        self._remotes = remotes
        self._health: dict[tuple[str, str], _Health] = {}

    def register(
        self,
        descriptor: Descriptor,
        input_type: type[Any],
        handler: Callable[[Call], Awaitable[dict[str, Any]]],
        collect: Collector | None = None,
    ) -> None:
        """Serve a capability from this node."""
        offer = Offer(descriptor, input_type, handler, collect)
        self._offers.setdefault(descriptor.name, []).append(offer)

    def offer(
        self,
        name: str,
        trust: str,
        input_type: type[Any],
        collect: Collector | None = None,
        **extra: Any,
    ) -> Callable[[H], H]:
        """Decorate a handler to serve `name@1.0` at a trust level, its input a msgspec type."""
        descriptor = Descriptor(
            name=name,
            version="1.0",
            trust=trust,  # type: ignore[arg-type]
            request_schema=msgspec.json.schema(input_type),
            **extra,
        )

        def add(handler: H) -> H:
            self.register(descriptor, input_type, handler, collect)
            return handler

        return add

    def serve(
        self, capabilities: Iterable[Capability], context: Any, skip: frozenset[str] = frozenset()
    ) -> None:
        """Serve a feature's capabilities with the node's context, but those named in skip."""
        for c in capabilities:
            if c.name not in skip:
                extra = {"streaming": c.streaming, "idempotent": c.idempotent}
                handler = functools.partial(c.handler, node=context)
                self.offer(c.name, c.trust, c.input_type, c.collect, **extra)(handler)

    def descriptors(self) -> list[Descriptor]:
        """Everything this node serves."""
        return [o.descriptor for offers in self._offers.values() for o in offers]

    def local(self, ref: str) -> Offer | None:
        """The best local offer for a capability reference, if any."""
        wanted = parse_capability(ref)
        offers = self._offers.get(wanted.name, [])
        version = best_offer([o.descriptor.parsed_version() for o in offers], wanted.version)
        return next((o for o in offers if o.descriptor.parsed_version() == version), None)

    async def stream(
        self,
        ref: str,
        caller: str,
        level: str,
        params: dict[str, Any],
        raw_input: Any,
        *,
        route_remote: bool = True,
    ) -> AsyncGenerator[tuple[str, Any], None]:
        """Serve a streaming call: its frames, then exactly one `done` or `error`.

        Without a local streaming offer the call goes to the best healthy peer; a peer that
        fails before its first frame is skipped for the next one.
        """
        offer = self.local(ref)
        if offer is None or not offer.descriptor.streaming:
            if route_remote:
                async for frame in self._stream_remote(ref, params, raw_input):
                    yield frame
                return
            yield "error", {"error": "not_found", "message": f"no streaming capability {ref} here"}
            return
        started = time.perf_counter()
        try:
            call = self._prepare(offer, caller, level, params, raw_input)
            frames = 0
            async with contextlib.aclosing(offer.streamer(call)) as served:
                async for name, data in served:
                    frames += 1
                    if name == "done":  # the handler's own last word, with the bus's count
                        yield "done", {**data, "frames": frames}
                        return
                    yield name, data
        except BusError as exc:
            yield "error", {"error": exc.code, "message": exc.message}
            return
        except Exception as exc:  # a defect ends the stream in the taxonomy, never silently
            yield "error", {"error": "internal_error", "message": type(exc).__name__}
            return
        yield "done", {"frames": frames, "ms": round((time.perf_counter() - started) * 1000, 2)}

    async def _stream_remote(
        self, ref: str, params: dict[str, Any], raw_input: Any
    ) -> AsyncIterator[tuple[str, Any]]:
        try:
            candidates = await self._candidates(ref)
        except BusError as exc:
            yield "error", {"error": exc.code, "message": exc.message}
            return
        name = parse_capability(ref).name
        for version, remote in candidates:
            health, started = self._health[(remote.url, name)], False
            try:
                async for frame in remote.stream(f"{name}@{version}", params, raw_input):
                    started = True
                    yield frame
                health.record(True)
                return
            except BusError as exc:
                health.record(False)
                if started:
                    yield "error", {"error": exc.code, "message": exc.message}
                    return
        yield "error", {"error": "partition", "message": f"every node streaming {ref} failed"}

    def _prepare(
        self, offer: Offer, caller: str, level: str, params: dict[str, Any], raw_input: Any
    ) -> Call:
        if level not in LEVEL_FOR_TRUST[offer.descriptor.trust]:
            raise BusError("unauthorized", f"{offer.descriptor.ref} needs {offer.descriptor.trust}")
        try:
            data = msgspec.convert(raw_input, offer.input_type, strict=False)
        except msgspec.ValidationError as exc:
            raise BusError("bad_request", f"invalid input: {exc}") from None
        return Call(caller, level, params, data)

    async def call(
        self,
        ref: str,
        caller: str,
        level: str,
        params: dict[str, Any],
        raw_input: Any,
        *,
        route_remote: bool = True,
    ) -> dict[str, Any]:
        """Serve a call locally, or route it to the best healthy peer."""
        started = time.perf_counter()
        offer = self.local(ref)
        if offer is not None:
            prepared = self._prepare(offer, caller, level, params, raw_input)
            told: dict[str, Any] = {}
            if not offer.descriptor.streaming:
                result = await offer.handler(prepared)
            elif offer.collect is None:
                raise BusError("bad_request", f"{offer.descriptor.ref} streams: ask for SSE")
            else:
                async with contextlib.aclosing(offer.streamer(prepared)) as served:
                    result, told = offer.collect([frame async for frame in served])
            meta = {
                **told,
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "served_by": "local",
                "version": offer.descriptor.version,
            }
            return {"output": result, "meta": meta}
        if not route_remote:
            raise BusError("not_found", f"no capability {ref} here")
        return await self._route(ref, params, raw_input, started)

    async def remotes(self, name: str) -> list[Remote]:
        """The healthy peers offering a capability to peers, the most reliable first."""
        try:
            return [remote for _, remote in await self._candidates(name)]
        except BusError:
            return []

    async def _candidates(self, ref: str) -> list[tuple[Version, Remote]]:
        """Healthy peers offering a compatible version, best first."""
        wanted = parse_capability(ref)
        candidates: list[tuple[Version, Remote]] = []
        for remote in self._remotes():
            try:
                offers = await remote.offers()
            except BusError:
                continue
            open_to_peers = [d for d in offers if d.name == wanted.name and d.trust != "self"]
            version = best_offer([d.parsed_version() for d in open_to_peers], wanted.version)
            health = self._health.setdefault((remote.url, wanted.name), _Health())
            if version is not None and health.quarantined_until < time.monotonic():
                candidates.append((version, remote))
        if not candidates:
            raise BusError("not_found", f"no healthy node serves {ref}")
        candidates.sort(key=lambda c: (c[0], self._success(c[1].url, wanted.name)), reverse=True)
        return candidates

    async def _route(
        self, ref: str, params: dict[str, Any], raw_input: Any, started: float
    ) -> dict[str, Any]:
        name = parse_capability(ref).name
        last: BusError | None = None
        for version, remote in await self._candidates(ref):
            health = self._health[(remote.url, name)]
            try:
                answer = await remote.call(f"{name}@{version}", params, raw_input)
            except BusError as exc:
                if exc.code in ("timeout", "partition", "internal_error", "rate_limited"):
                    health.record(False)
                    last = exc
                    continue
                raise
            health.record(True)
            meta = dict(answer.get("meta") or {})
            meta.update(served_by=remote.url, ms=round((time.perf_counter() - started) * 1000, 2))
            return {"output": answer.get("output"), "meta": meta}
        raise last or BusError("partition", f"every node serving {ref} failed")

    def _success(self, url: str, name: str) -> float:
        outcomes = self._health.get((url, name), _Health()).outcomes
        return outcomes.count(True) / len(outcomes) if outcomes else 1.0
