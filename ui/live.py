"""The pages' link to the node: capability calls that show their failures, and following
the log through the broadcaster for as long as a page is open."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import background_tasks, ui

from hearthnet.domain.capability import BusError
from ui.strings import plain_error

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from ui.ports import NodePorts


async def call(
    ports: NodePorts, ref: str, data: dict[str, Any], params: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """Call a capability; show a failure as a readable message with its code."""
    try:
        return await ports.bus.call(ref, data, params)
    except BusError as exc:
        said, details = plain_error(exc.code, exc.message)
        ui.notify(said, caption=details, type="negative", multi_line=True)
        return None


class _Follower(ui.element):
    """An invisible element whose deletion (page left, connection gone) stops its follower."""

    def __init__(self) -> None:
        super().__init__()
        self.stops: list[Callable[[], object]] = []

    def _handle_delete(self) -> None:
        for stop in self.stops:
            stop()
        super()._handle_delete()


def follow(
    refresh: Callable[[], Awaitable[None]],
    ports: NodePorts | None = None,
    types: Callable[[str], bool] | None = None,
    every: float | None = None,
) -> None:
    """Run refresh now, then on each notice of new events (of the types asked for) and, if
    asked, every few seconds; stop when the page that asked goes away."""
    anchor = _Follower()

    async def first() -> None:
        with anchor:
            await refresh()

    background_tasks.create(first(), name="first load")
    if every is not None:
        ui.timer(every, refresh)
    if ports is None:
        return
    subscription = ports.broadcaster.subscribe()

    async def listen() -> None:
        async for change in subscription:
            if types is None or any(types(name) for name in change.types):
                with anchor:
                    await refresh()

    task = background_tasks.create(listen(), name="follow the log")
    anchor.stops += [subscription.close, task.cancel]
