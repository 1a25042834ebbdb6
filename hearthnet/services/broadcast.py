"""The log's broadcaster: tells live readers (the dashboard) what the views just took in.

A notice is published after the read models hold the events, so a reader that re-queries on
a notice sees them. Slow readers never hold the node back: each has a small queue, and when
it is full the notices merge into one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

QUEUE_LIMIT = 16


@dataclass(frozen=True)
class LogChange:
    """The views took in `count` events of these types."""

    count: int
    types: frozenset[str]

    def merged(self, other: LogChange) -> LogChange:
        """One notice that says what both said."""
        return LogChange(self.count + other.count, self.types | other.types)


class Subscription:
    """One reader's notices, in order, until it closes."""

    def __init__(self, owner: Broadcaster) -> None:
        self._owner = owner
        self._queue: asyncio.Queue[LogChange] = asyncio.Queue(QUEUE_LIMIT)

    def offer(self, change: LogChange) -> None:
        """Queue a notice; when the queue is full, fold everything waiting into one."""
        if self._queue.full():
            while not self._queue.empty():
                change = self._queue.get_nowait().merged(change)
        self._queue.put_nowait(change)

    def __aiter__(self) -> AsyncIterator[LogChange]:
        return self._changes()

    async def _changes(self) -> AsyncIterator[LogChange]:
        while True:
            yield await self._queue.get()

    def close(self) -> None:
        """Stop receiving notices."""
        self._owner.subscribers.discard(self)


class Broadcaster:
    """Fans notices out to every open subscription."""

    def __init__(self) -> None:
        self.subscribers: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        """Open a subscription; close it when done."""
        subscription = Subscription(self)
        self.subscribers.add(subscription)
        return subscription

    def publish(self, change: LogChange) -> None:
        """Tell every subscriber."""
        for subscription in list(self.subscribers):
            subscription.offer(change)
