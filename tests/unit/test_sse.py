"""Server-sent events of a streamed call: a comment while the next frame is slow in coming,
the frames in order, and the call's frames closed when the stream is."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from hearthnet.adapters import routes_bus

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def test_a_slow_frame_is_waited_for_with_comments_then_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(routes_bus, "KEEPALIVE_S", 0.01)
    go_on = asyncio.Event()

    async def frames() -> AsyncIterator[tuple[str, Any]]:
        yield "start", {"node": "b"}
        await go_on.wait()  # a long prompt being read
        yield "done", {"tokens": 1}

    sent = []
    async with asyncio.timeout(30):  # without the comment the frame would never come
        async for chunk in routes_bus.sse(frames()):
            sent.append(chunk)
            if chunk == b": waiting\n\n":
                go_on.set()
    assert sent[0] == b'event: start\ndata: {"node":"b"}\n\n'
    assert b": waiting\n\n" in sent
    assert sent[-1] == b'event: done\ndata: {"tokens":1}\n\n'


async def test_closing_the_stream_closes_the_frames() -> None:
    closed = asyncio.Event()

    async def frames() -> AsyncIterator[tuple[str, Any]]:
        try:
            while True:
                yield "token", {"text": "x"}
        finally:
            closed.set()  # a generation stops here

    stream = routes_bus.sse(frames())
    assert await anext(stream) == b'event: token\ndata: {"text":"x"}\n\n'
    await stream.aclose()
    await asyncio.wait_for(closed.wait(), 30)


async def test_a_failure_of_the_frames_reaches_the_stream() -> None:
    async def frames() -> AsyncIterator[tuple[str, Any]]:
        yield "start", {}
        raise RuntimeError("a defect")

    stream = routes_bus.sse(frames())
    await anext(stream)
    with pytest.raises(RuntimeError, match="a defect"):
        await anext(stream)
