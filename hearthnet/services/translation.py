"""Translation (`trans.text`), served by a node that has the pair: this node's translators
first (apertium, Argos packs), else a peer advertising the pair. A text "auto" is identified
among the languages the mesh can translate into the wanted one."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import msgspec

from hearthnet.domain import translation as t
from hearthnet.domain.capability import BusError
from hearthnet.services import routing
from hearthnet.services.bus import Capability
from hearthnet.services.context import guess_language

if TYPE_CHECKING:
    from hearthnet.services.bus import Call
    from hearthnet.services.context import NodeContext


def _translators(node: NodeContext, backend: str) -> list[t.Translator]:
    found: list[t.Translator] = getattr(node, "translators", None) or []
    return [x for x in found if not backend or x.backend == backend]


def _pairs_of(params: dict[str, Any], backend: str) -> set[tuple[str, str]]:
    if backend and backend not in (params.get("backends") or []):
        return set()
    pairs = params.get("pairs") or []
    return {(str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2}


async def _serve(translator: t.Translator, text: str, source: str, target: str) -> dict[str, Any]:
    started = time.perf_counter()
    done = await translator.translate(text, source, target)
    return {
        "text": done.text,
        "confidence": done.confidence,
        "from": source,
        "to": target,
        "backend": translator.backend,
        "model": done.model,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


async def translate(call: Call, node: NodeContext) -> dict[str, Any]:
    q: t.Translate = call.input
    params = call.params_as(t.Backend)
    backend = params.backend
    here = _translators(node, backend)
    local = {p: x for x in reversed(here) for p in x.pairs()}
    mesh: list[tuple[Any, set[tuple[str, str]]]] = []
    if call.level == "self" and not params.here_only:
        mesh = [(r, _pairs_of(p, backend)) for r, p in await routing.advertised(node, "trans.text")]
    every = set(local) | {p for _, pairs in mesh for p in pairs}
    source = q.source
    if source == "auto":
        into = {a for a, b in every if b == q.to}
        if not into:
            raise BusError("unsupported_language_pair", t.unsupported("auto", q.to, sorted(every)))
        source = await guess_language(node, q.text, sorted(into | {q.to}))
    if source == q.to:
        return {"text": q.text, "confidence": 1.0, "from": source, "to": q.to, "node": node.me}
    pair = (source, q.to)
    if pair in local:
        async with routing.peer_slot(node, "trans", call.caller):
            try:
                return {**await _serve(local[pair], q.text, source, q.to), "node": node.me}
            except ValueError as exc:
                raise BusError("bad_request", str(exc)) from None
    if call.level != "self" or pair not in every:
        raise BusError("unsupported_language_pair", t.unsupported(source, q.to, sorted(every)))
    asked = {**msgspec.to_builtins(q), "from": source}
    return await routing.answer(
        node,
        "trans.text",
        {"backend": backend} if backend else {},
        asked,
        lambda params: pair in _pairs_of(params, backend),
        None,
        f"no node of the mesh translates {source}-{q.to}",
    )


CAPABILITIES = (Capability("trans.text", "member", t.Translate, translate, idempotent=True),)
