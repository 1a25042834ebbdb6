"""Members as people: their names ("you" for this node), and an avatar drawn from their key."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING
from urllib.parse import quote

from nicegui import ui

from ui.live import call
from ui.strings import t

if TYPE_CHECKING:
    from ui.ports import NodePorts


async def names(ports: NodePorts, me: str) -> dict[str, str]:
    """Each member's display name (the start of its id when it has none); "you" for me."""
    found = await call(ports, "community.members", {})
    if found is None:
        return {me: t("you")}
    named = {m["node_id"]: m["display_name"] or m["node_id"][8:20] for m in found["members"]}
    return {**named, me: t("you")}


def avatar_svg(node_id: str) -> str:
    """A 5x5 mirrored pattern in a colour, both from the node's id: the same on every screen,
    different for each member."""
    digest = hashlib.sha256(node_id.encode()).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    cells = []
    for row in range(5):
        for col in range(3):
            if digest[2 + row * 3 + col] & 1:
                for x in {col, 4 - col}:
                    cells.append(f'<rect x="{x}" y="{row}" width="1" height="1"/>')
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="-0.5 -0.5 6 6" aria-hidden="true">'
        f'<rect x="-0.5" y="-0.5" width="6" height="6" fill="hsl({hue},30%,92%)"/>'
        f'<g fill="hsl({hue},60%,35%)">{"".join(cells)}</g></svg>'
    )


def avatar(node_id: str, size: str) -> None:
    """The member's avatar beside their name (decorative: screen readers read the name)."""
    ui.image(avatar_url(node_id)).classes(f"{size} rounded").props('aria-hidden="true"')


def avatar_url(node_id: str) -> str:
    """The avatar as a data URL (for an image or a chat bubble)."""
    return "data:image/svg+xml;utf8," + quote(avatar_svg(node_id))
