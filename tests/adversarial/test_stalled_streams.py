"""A member who asks for a stream and stops reading it: the node draws at most one frame
ahead of what was sent, whatever the stream would produce, and closing it stops the frames."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from hearthnet.adapters import routes_bus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def test_a_stream_nobody_reads_draws_no_further_than_one_frame_ahead() -> None:
    drawn = 0
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[tuple[str, Any]]:
        nonlocal drawn
        try:
            while True:
                drawn += 1
                yield "chunk", {"data": "x" * 16384}
        finally:
            closed.set()

    stream = routes_bus.sse(endless())
    await anext(stream)  # the member reads one frame, then nothing
    for _ in range(1000):  # every other task runs as long as it can
        await asyncio.sleep(0)
    assert drawn <= 3, f"{drawn} frames drawn for one read"
    await stream.aclose()
    await asyncio.wait_for(closed.wait(), 30)
