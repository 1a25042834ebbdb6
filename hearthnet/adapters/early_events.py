"""Events held back until their missing predecessor arrives, bounded in bytes.

Each author may hold MAX_BYTES_PER_AUTHOR; all together MAX_BYTES. When the total is full,
the author holding the most gives way (its events are fetched again later), unless the
newcomer would then hold the most itself: an author with a small gap is never refused because
another filled the buffer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hearthnet.adapters.verification import Checked

MAX_BYTES_PER_AUTHOR = 1024 * 1024
MAX_BYTES = 8 * 1024 * 1024


class EarlyEvents:
    """Checked events by author and seq, with their encoded sizes accounted."""

    def __init__(self) -> None:
        self._held: dict[bytes, dict[int, Checked]] = {}
        self._bytes: dict[bytes, int] = {}
        self.count = 0

    def total_bytes(self) -> int:
        """The encoded bytes held in all."""
        return sum(self._bytes.values())

    def bytes_of(self, author: bytes) -> int:
        """The encoded bytes an author holds."""
        return self._bytes.get(author, 0)

    def get(self, author: bytes, seq: int) -> Checked | None:
        """The event held at an author's seq, if any."""
        return self._held.get(author, {}).get(seq)

    def room_for(self, item: Checked) -> tuple[str, list[Checked]]:
        """Say why an event cannot be held ('' if it can), and whose events must go first."""
        author, size = item.event.author, len(item.raw)
        held = self.bytes_of(author)
        if held + size > MAX_BYTES_PER_AUTHOR:
            return "the author has too much held back", []
        if self.total_bytes() + size <= MAX_BYTES:
            return "", []
        greediest = max(self._bytes, key=self._bytes.__getitem__)
        if self._bytes[greediest] <= held + size:
            return "too many early events held back", []
        return "", list(self._held[greediest].values())

    def hold(self, item: Checked) -> None:
        """Keep an event (after room_for said it may stay)."""
        author = item.event.author
        self._held.setdefault(author, {})[item.event.seq] = item
        self._bytes[author] = self.bytes_of(author) + len(item.raw)
        self.count += 1

    def take(self, author: bytes, seq: int) -> Checked | None:
        """Remove and return the event held at an author's seq."""
        item = self._held.get(author, {}).pop(seq, None)
        if item is not None:
            self._forget(item)
        return item

    def drop(self, item: Checked) -> None:
        """Remove one event, if held."""
        self.take(item.event.author, item.event.seq)

    def drop_from(self, author: bytes, seq: int) -> None:
        """Remove an author's events at or past seq (a fork froze the feed there)."""
        for doomed in [s for s in self._held.get(author, {}) if s >= seq]:
            self.take(author, doomed)

    def _forget(self, item: Checked) -> None:
        author = item.event.author
        left = self.bytes_of(author) - len(item.raw)
        if left > 0:
            self._bytes[author] = left
        else:
            self._bytes.pop(author, None)
            self._held.pop(author, None)
        self.count -= 1
