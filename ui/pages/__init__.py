"""One module per dashboard page, named after its feature; each says how it is reached."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

    from ui.ports import NodePorts


class Page(NamedTuple):
    """A page: its path, its navigation label (a string key) and icon, and how it is built
    for one connection, given the node's ports and this node's id."""

    path: str
    label: str
    icon: str
    build: Callable[[NodePorts, str], None]


PHONE_GRID = ':grid="Quasar.Screen.xs"'
"""Table props: on a phone each row is a card of its fields, so nothing is cut off."""
