"""The node's public face: its signed manifest, its health, and the claim of a one-time invite
link by a node that is not a member yet; a wrong method on an API path is a JSON 405, not the
dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import msgspec
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hearthnet.adapters.http_common import BodyError, error, read_body
from hearthnet.domain.capability import BusError
from hearthnet.domain.types import node_id


class ClaimBody(msgspec.Struct, kw_only=True):
    """A one-time link's secret, and the name its holder gives itself."""

    token: Annotated[str, msgspec.Meta(max_length=64)]
    name: Annotated[str, msgspec.Meta(max_length=64)] = ""


if TYPE_CHECKING:
    from starlette.requests import Request

    from hearthnet.adapters.http_api import NodeApi

CLAIM_PATH = "/onboard/v1/claim"
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
API_PREFIXES = ("bus", "sync", "admin")


def routes(api: NodeApi) -> list[Route]:
    """The manifest and health routes (first) and the catch-alls of the API (last)."""

    async def manifest(_: Request) -> Response:
        return JSONResponse(api.manifest())

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    async def claim(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyError as exc:
            return exc.response
        caller = api.gate.claiming(request, body)
        if isinstance(caller, JSONResponse):
            return caller
        try:
            asked = msgspec.json.decode(body, type=ClaimBody)
            data = {"token": asked.token, "node_id": node_id(caller), "display_name": asked.name}
            answer = await api.bus.call("community.claim", api.me, "self", {}, data)
        except BusError as exc:
            return error(exc.status, exc.code, exc.message)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return error(400, "bad_request", str(exc))
        return JSONResponse(answer["output"])

    return [
        Route("/manifest", manifest),
        Route("/health", health),
        Route(CLAIM_PATH, claim, methods=["POST"]),
    ]


def unrouted() -> list[Route]:
    """Anything else under an API prefix."""

    async def not_served(request: Request) -> Response:
        return error(405, "bad_request", f"{request.method} {request.url.path} is not served")

    return [
        Route(f"/{prefix}/{{rest:path}}", not_served, methods=ANY_METHOD) for prefix in API_PREFIXES
    ]
