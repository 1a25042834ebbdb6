"""What every HTTP surface of a node shares: error answers and bounded request bodies."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from hearthnet.sync import protocol

if TYPE_CHECKING:
    from starlette.requests import Request

BODY_TIMEOUT_S = 10.0
"""A request body must arrive within this; a slow one is answered 408 and dropped."""
MSGPACK = "application/x-msgpack"


def error(status: int, code: str, message: str) -> JSONResponse:
    """A wire error (SPEC 3.5) with its HTTP status."""
    return JSONResponse({"error": code, "message": message}, status_code=status)


class BodyError(Exception):
    """A body that is too large or too slow; `response` says so."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


async def read_body(request: Request) -> bytes:
    """Read at most one frame of body, in time; raise BodyError with the answer otherwise."""
    claimed = request.headers.get("content-length", "0")
    too_large = error(413, "bad_request", f"body larger than {protocol.FRAME_LIMIT} bytes")
    if not claimed.isdigit() or int(claimed) > protocol.FRAME_LIMIT:
        raise BodyError(too_large)
    chunks, size = [], 0
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            async for chunk in request.stream():
                size += len(chunk)
                if size > protocol.FRAME_LIMIT:
                    raise BodyError(too_large)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyError(error(408, "timeout", "the body did not arrive in time")) from None
    return b"".join(chunks)
