"""The admin surface: this machine's CLI, with the node's admin token, and nobody else."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import msgspec
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hearthnet.adapters.http_common import BodyError, error, read_body
from hearthnet.adapters.placement import StoreError
from hearthnet.domain.types import InvalidIdentifier

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    from hearthnet.adapters.http_api import NodeApi


async def _peers(api: NodeApi, request: Request) -> Response:
    if request.method == "POST":
        try:
            url = str(msgspec.json.decode(await read_body(request))["url"])
        except BodyError as exc:
            return exc.response
        except (msgspec.DecodeError, KeyError, TypeError, RecursionError):
            return error(400, "bad_request", 'body must be {"url": "http://host:port"}')
        try:
            api.peers.add(url)
        except InvalidIdentifier as exc:
            return error(400, "bad_request", str(exc))
    return JSONResponse([dataclasses.asdict(s) for s in api.peers.peers.values()])


async def _stats(api: NodeApi, _: Request) -> Response:
    counters = {"pushed_events": api.peers.pushed_events, "served_events": api.served_events}
    return JSONResponse(counters)


async def _append(api: NodeApi, request: Request) -> Response:
    try:
        data = msgspec.json.decode(await read_body(request))
        result = await api.append(str(data["type"]), bytes.fromhex(str(data["body_hex"])))
    except BodyError as exc:
        return exc.response
    except (msgspec.DecodeError, KeyError, TypeError, ValueError, RecursionError) as exc:
        return error(400, "bad_request", f"cannot append: {exc}")
    except StoreError as exc:
        return error(503, "partition", f"the log did not take it: {exc}")
    return JSONResponse(result)


def _operator_only(
    api: NodeApi, handler: Callable[[NodeApi, Request], Awaitable[Response]]
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if not api.gate.is_operator(request):
            return error(401, "unauthorized", "admin calls need the local admin token")
        return await handler(api, request)

    return endpoint


def routes(api: NodeApi) -> list[Route]:
    """The admin routes of a node."""
    return [
        Route("/admin/v1/peers", _operator_only(api, _peers), methods=["GET", "POST"]),
        Route("/admin/v1/append", _operator_only(api, _append), methods=["POST"]),
        Route("/admin/v1/stats", _operator_only(api, _stats)),
    ]
