"""Mesh: this node and its peers as a live graph, the peer list with sync lag, add a peer."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from nicegui import ui

from ui.live import call, follow
from ui.pages import PHONE_GRID, Page
from ui.strings import t, word

if TYPE_CHECKING:
    from ui.ports import NodePorts

STATE_COLOURS = {"connected": "#15803d", "unreachable": "#b91c1c"}
"""Online green, offline red; anything between (new, connecting) amber."""
AMBER = "#d97706"


LABELLED = 12
"""Up to this many peers each carries its label; with more, a peer names itself on hover."""


RING = 300
CORNERS = [  # unseen: the drawing always spans the whole ring, however few peers there are
    {
        "name": f"corner {x} {y}",
        "x": x,
        "y": y,
        "symbolSize": 0,
        "silent": True,
        "label": {"show": False},
        "tooltip": {"show": False},
    }
    for x, y in ((-RING, -RING), (RING, RING))
]


def graph_options(
    me: str, name: str, peers: list[dict[str, Any]], names: dict[str, str] | None = None
) -> dict[str, Any]:
    """ECharts options of the mesh: this node in the middle, its peers on a ring around it,
    each coloured by its state and named by its member's name. The ring's points shrink as
    peers are added and ECharts fits the ring into the chart, so any number of peers fits."""
    me_said = f"{name or me[8:20]} ({t('this_node')})"
    centre = {
        "name": me,
        "x": 0,
        "y": 0,
        "symbolSize": 46,
        "itemStyle": {"color": "#b45309"},
        "label": {"show": True, "formatter": me_said.replace(" (", "\n(")},
        "tooltip": {"formatter": me_said},
    }
    ring = [_on_ring(p, i, len(peers), names or {}) for i, p in enumerate(peers)]
    return {
        "animation": False,
        "tooltip": {"trigger": "item", "renderMode": "richText"},  # names are text, never HTML
        "series": [
            {
                "type": "graph",
                "layout": "none",
                "roam": True,
                "data": [centre, *ring, *CORNERS],
                "links": [{"source": me, "target": p["url"]} for p in peers],
                "lineStyle": {"width": 2 if len(peers) <= LABELLED else 1, "color": "#14b8a6"},
                "label": {
                    "position": "bottom",
                    "fontSize": 11,
                    "lineHeight": 15,
                    "color": "inherit",
                },
                "top": 30,  # the ring's height fits the chart; its width follows, centred
                "bottom": 40,
            }
        ],
    }


def _on_ring(p: dict[str, Any], i: int, count: int, names: dict[str, str]) -> dict[str, Any]:
    """Peer i of count on the ring: named, coloured by its state, smaller as peers are added."""
    angle = 2 * math.pi * i / count
    who = names.get(p["node_id"]) or (p["node_id"][8:20] if p["node_id"] else p["url"])
    said = f"{who} · {word('state', p['state'])}"
    return {
        "name": p["url"],
        "x": round(RING * math.cos(angle)),
        "y": round(RING * math.sin(angle)),
        "symbolSize": max(10, min(34, 220 // count)),
        "itemStyle": {"color": STATE_COLOURS.get(p["state"], AMBER)},
        "label": {"show": count <= LABELLED, "formatter": said},
        "tooltip": {"formatter": f"{said} · {p['url']}"},
    }


def services(capabilities: list[str]) -> list[str]:
    """The families of capabilities a node serves: market, chat, community..."""
    return sorted({c.split("@")[0].split(".")[0] for c in capabilities})


def peer_row(p: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A peer as the table shows it."""
    synced = p["last_sync_ms"]
    return {
        "url": p["url"],
        "node": names.get(p["node_id"]) or p["node_id"][8:20],
        "state": word("state", p["state"]),
        "source": p["source"],
        "last_sync": time.strftime("%H:%M:%S", time.localtime(synced / 1000)) if synced else "-",
        "lag": f"{p['lag_s']} s" if p["lag_s"] is not None else "-",
        "serves": ", ".join(services(p["capabilities"])),
    }


def build(ports: NodePorts, me: str) -> None:
    """The mesh page."""
    ui.label(t("mesh")).classes("text-xl font-bold")
    with ui.card().classes("w-full").mark("next-step") as next_step:
        ui.label(t("next_step_title")).classes("text-lg font-bold")
        ui.label(t("next_step_text"))
        ui.button(
            t("invite_neighbour"), icon="person_add", on_click=lambda: ui.navigate.to("/community")
        ).mark("invite-neighbour")
    next_step.set_visibility(False)
    graph = ui.element().classes("w-full")
    charts: list[ui.echart] = []  # drawn once the page shows: the chart library loads after
    ui.label(t("peers")).classes("text-lg font-bold")
    columns = [
        {"name": "url", "label": t("url"), "field": "url", "align": "left"},
        {"name": "node", "label": t("name"), "field": "node", "align": "left"},
        {"name": "state", "label": t("state"), "field": "state"},
        {"name": "source", "label": t("source"), "field": "source"},
        {"name": "last_sync", "label": t("last_sync"), "field": "last_sync"},
        {"name": "lag", "label": t("lag"), "field": "lag"},
        {"name": "serves", "label": t("serves"), "field": "serves", "align": "left"},
    ]
    table = ui.table(columns=columns, rows=[], row_key="url").classes("w-full").mark("peers")
    table.props(f'no-data-label="{t("no_peers")}" wrap-cells {PHONE_GRID}')
    dead = ui.row().classes("w-full gap-2").mark("dead-peers")
    with ui.row().classes("w-full items-start gap-2"):
        valid = {t("url_invalid"): lambda v: (v or "").startswith(("http://", "https://"))}
        url = ui.input(t("peer_url"), validation=valid).classes("grow").mark("peer-url")
        ui.button(t("add_peer"), icon="add_link", on_click=lambda: add()).mark("add-peer")

    async def refresh() -> None:
        status = await call(ports, "node.status", {})
        found = await call(ports, "mesh.peers", {})
        members = await call(ports, "community.members", {})
        if status is None or found is None or members is None:
            return
        next_step.set_visibility(len(members["members"]) < 2)  # alone: invite someone
        peers = found["peers"]
        names = {m["node_id"]: m["display_name"] for m in members["members"] if m["display_name"]}
        options = graph_options(me, status.get("name", ""), peers, names)
        if not charts:
            await graph.client.connected()
            with graph:
                charts.append(ui.echart(options).mark("topology"))
        chart = charts[0]
        chart.options.clear()
        chart.options.update(options)
        chart.update()
        chart.classes(replace=f"w-full {'h-72' if len(peers) <= LABELLED else 'h-96'}")
        table.rows = [peer_row(p, names) for p in peers]
        table.update()
        dead.clear()
        with dead:
            for p in peers:
                if p["state"] == "unreachable":
                    ui.button(
                        t("forget_peer", url=p["url"]),
                        icon="link_off",
                        on_click=lambda u=p["url"]: forget(u),
                    ).props("flat dense").mark("forget-peer")

    async def forget(peer_url: str) -> None:
        if await call(ports, "mesh.peer.forget", {"url": peer_url}) is not None:
            ui.notify(t("peer_forgotten", url=peer_url), type="info")
            await refresh()

    async def add() -> None:
        if not url.validate() or not url.value:
            return
        added = await call(ports, "mesh.peer.add", {"url": url.value.strip()})
        if added is not None:
            ui.notify(t("peer_added", url=added["url"]), type="positive")
            url.set_value("")
            await refresh()

    follow(refresh, ports, lambda kind: kind.startswith("peer."), every=2.0)


PAGE = Page("/", "mesh", "hub", build)
