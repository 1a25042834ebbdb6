"""The node's public face: its signed manifest and its health; a wrong method on an API path
is a JSON 405, not the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hearthnet.adapters.http_common import error

if TYPE_CHECKING:
    from starlette.requests import Request

    from hearthnet.adapters.http_api import NodeApi

ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
API_PREFIXES = ("bus", "sync", "admin")


def routes(api: NodeApi) -> list[Route]:
    """The manifest and health routes (first) and the catch-alls of the API (last)."""

    async def manifest(_: Request) -> Response:
        return JSONResponse(api.manifest())

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True})

    return [Route("/manifest", manifest), Route("/health", health)]


def unrouted() -> list[Route]:
    """Anything else under an API prefix."""

    async def not_served(request: Request) -> Response:
        return error(405, "bad_request", f"{request.method} {request.url.path} is not served")

    return [
        Route(f"/{prefix}/{{rest:path}}", not_served, methods=ANY_METHOD) for prefix in API_PREFIXES
    ]
