"""The connectivity probe and the loop that turns its answers into the node's mode.

A probe is any `async () -> bool`; the one shipped tries TCP connections to configured
`host:port` targets (a DNS resolver, the uplink router) and says whether any answered. Each
change of mode is appended to `modes.jsonl` in the data directory and handed to the runtime
(which syncs more often in emergency).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

import msgspec

from hearthnet.domain.connectivity import Mode, ModeTracker

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence
    from pathlib import Path

PROBE_EVERY_S = 10.0


class TcpProbe:
    """Reachable when any of the targets accepts a TCP connection within the timeout."""

    def __init__(self, targets: Sequence[str], timeout: float = 3.0) -> None:
        self.targets = [t.rsplit(":", 1) for t in targets]
        self.timeout = timeout

    async def __call__(self) -> bool:
        for host, port in self.targets:
            with contextlib.suppress(OSError, TimeoutError, ValueError):
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(host.strip("[]"), int(port)), self.timeout
                )
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                return True
        return False


class ModeChange(msgspec.Struct, frozen=True):
    """One recorded change of mode."""

    mode: str
    since: int
    failures: int
    successes: int


class Connectivity:
    """Probes at an interval and records each change of mode."""

    def __init__(
        self,
        probe: Callable[[], Awaitable[bool]],
        record: Path,
        changed: Callable[[Mode], None],
        every: float = PROBE_EVERY_S,
    ) -> None:
        self.probe, self.record, self.changed, self.every = probe, record, changed, every
        self.tracker = ModeTracker()
        self.since = int(time.time() * 1000)

    @property
    def mode(self) -> Mode:
        """The current mode."""
        return self.tracker.mode

    async def check(self) -> None:
        """Probe once and act on a change."""
        try:
            reachable = await self.probe()
        except Exception:  # a probe that fails counts as unreachable, never stops the node
            reachable = False
        new = self.tracker.observe(reachable)
        if new is None:
            return
        self.since = int(time.time() * 1000)
        line = ModeChange(new, self.since, self.tracker.failures, self.tracker.successes)
        await asyncio.to_thread(self._append, msgspec.json.encode(line) + b"\n")
        self.changed(new)

    def _append(self, line: bytes) -> None:
        with self.record.open("ab") as f:
            f.write(line)

    async def run(self) -> None:
        """Probe until cancelled."""
        while True:
            await self.check()
            await asyncio.sleep(self.every)


def history(record: Path) -> list[ModeChange]:
    """The recorded changes of mode, oldest first."""
    if not record.exists():
        return []
    decoder = msgspec.json.Decoder(ModeChange)
    out = []
    for line in record.read_bytes().splitlines():
        with contextlib.suppress(msgspec.DecodeError, msgspec.ValidationError):
            out.append(decoder.decode(line))
    return out
