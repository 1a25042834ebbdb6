"""The composition root: the list of features, and the one place that wires adapters to ports,
the command line and the dashboard. Adding a feature is its modules plus one line in FEATURES.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from hearthnet.adapters import cap_xml, node_home
from hearthnet.adapters.crypto import verify_ed25519
from hearthnet.adapters.http_server import root_app, serve_until_stopped
from hearthnet.adapters.keyring import x25519_from_ed25519
from hearthnet.adapters.onboarding import BrowserOnboarding
from hearthnet.adapters.runtime import NodeRuntime, RunOptions
from hearthnet.cli import alerts as alerts_cli
from hearthnet.cli import chat as chat_cli
from hearthnet.cli import community as community_cli
from hearthnet.cli import doctor as doctor_cli
from hearthnet.cli import files as files_cli
from hearthnet.cli import inspection as inspection_cli
from hearthnet.cli import llm as llm_cli
from hearthnet.cli import market as market_cli
from hearthnet.cli import mesh as mesh_cli
from hearthnet.cli import node as node_cli
from hearthnet.cli import ocr as ocr_cli
from hearthnet.cli import rag as rag_cli
from hearthnet.cli import serve as serve_cli
from hearthnet.cli import speech as speech_cli
from hearthnet.cli import translation as translation_cli
from hearthnet.cli.session import Wiring
from hearthnet.domain import alerts as alert_events
from hearthnet.domain import chat as chat_events
from hearthnet.domain import community as community_events
from hearthnet.domain import e2e as e2e_events
from hearthnet.domain import files as file_events
from hearthnet.domain import market as market_events
from hearthnet.domain import mesh as mesh_events
from hearthnet.domain import ocr as ocr_events
from hearthnet.domain import rag as rag_events
from hearthnet.domain.types import node_id
from hearthnet.projections.alerts import AlertsProjection
from hearthnet.projections.chat import ChatProjection
from hearthnet.projections.community import MembershipProjection
from hearthnet.projections.e2e import E2eProjection
from hearthnet.projections.files import FilesProjection
from hearthnet.projections.inspection import FeedsProjection, TimelineProjection
from hearthnet.projections.market import MarketProjection
from hearthnet.projections.ocr import OcrProjection
from hearthnet.projections.rag import RagProjection
from hearthnet.services import (
    alerts,
    chat,
    community,
    e2e,
    files,
    inspection,
    llm,
    market,
    mesh,
    ocr,
    rag,
    speech,
    translation,
)
from hearthnet.services import node as node_service
from hearthnet.services.context import Reactions
from ui.ports import DashboardHost, NodePorts

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    import click
    import msgspec

    from hearthnet.projections.base import Projection
    from hearthnet.services.bus import Capability
    from ui.pages import Page


@dataclass(frozen=True)
class Feature:
    """One feature across the layers: the events it owns (domain), its read models, its
    capabilities and reactions (services), its commands (CLI) and its dashboard page."""

    name: str
    events: Mapping[str, type[msgspec.Struct]] = field(default_factory=dict)
    projections: tuple[Callable[[], Projection], ...] = ()
    capabilities: tuple[Capability, ...] = ()
    reactions: Reactions = field(default_factory=Reactions)
    commands: tuple[click.Command, ...] = ()
    page: str = ""
    """The module of its dashboard page (its `PAGE`), loaded only when a dashboard is served."""


FEATURES = (
    Feature(
        "mesh",
        mesh_events.EVENTS,
        capabilities=mesh.CAPABILITIES,
        reactions=Reactions(on_peer_change=(mesh.record_peer_change,)),
        commands=mesh_cli.COMMANDS,
        page="ui.pages.mesh",
    ),
    Feature(
        "market",
        market_events.EVENTS,
        (MarketProjection,),
        market.CAPABILITIES,
        commands=market_cli.COMMANDS,
        page="ui.pages.market",
    ),
    Feature(
        "chat",
        chat_events.EVENTS,
        (ChatProjection,),
        chat.CAPABILITIES,
        Reactions(
            on_views_updated=(chat.open_private, chat.repair_sessions, chat.acknowledge_delivery)
        ),
        chat_cli.COMMANDS,
        "ui.pages.chat",
    ),
    Feature(
        "files",
        file_events.EVENTS,
        (FilesProjection,),
        files.CAPABILITIES,
        commands=files_cli.COMMANDS,
        page="ui.pages.files",
    ),
    Feature(
        "llm",
        capabilities=llm.CAPABILITIES,
        commands=llm_cli.COMMANDS,
        page="ui.pages.ask",
    ),
    Feature(
        "rag",
        rag_events.EVENTS,
        (RagProjection,),
        rag.CAPABILITIES,
        Reactions(on_views_updated=(rag.index_from_log,)),
        rag_cli.COMMANDS,
        "ui.pages.library",
    ),
    Feature(
        "ocr",
        ocr_events.EVENTS,
        (OcrProjection,),
        ocr.CAPABILITIES,
        Reactions(on_views_updated=(ocr.read_shared_photos,)),
        ocr_cli.COMMANDS,
    ),
    Feature("speech", capabilities=speech.CAPABILITIES, commands=speech_cli.COMMANDS),
    Feature(
        "translation", capabilities=translation.CAPABILITIES, commands=translation_cli.COMMANDS
    ),
    Feature(
        "alerts",
        alert_events.EVENTS,
        (AlertsProjection,),
        alerts.capabilities(cap_xml),
        alerts.reactions(cap_xml),
        alerts_cli.COMMANDS,
        "ui.pages.alerts",
    ),
    Feature(
        "inspection",
        projections=(FeedsProjection, TimelineProjection),
        capabilities=inspection.CAPABILITIES,
        commands=inspection_cli.COMMANDS,
        page="ui.pages.inspection",
    ),
    Feature(
        "community",
        community_events.EVENTS,
        (partial(MembershipProjection, verify_ed25519),),
        community.CAPABILITIES,
        Reactions(on_views_updated=(community.carry_out_requests,)),
        community_cli.COMMANDS,
        page="ui.pages.community",
    ),
    Feature(
        "e2e",
        e2e_events.EVENTS,
        (partial(E2eProjection, x25519_from_ed25519),),
        e2e.CAPABILITIES,
        Reactions(on_views_updated=(e2e.keep_prekeys,)),
    ),
    Feature(
        "node",
        capabilities=node_service.CAPABILITIES,
        commands=(*node_cli.COMMANDS, *serve_cli.COMMANDS, *doctor_cli.COMMANDS),
        page="ui.pages.node",
    ),
)
"""Every feature a node runs, in the order of the dashboard's navigation."""

PROJECTIONS = tuple(p for f in FEATURES for p in f.projections)
CAPABILITIES = tuple(c for f in FEATURES for c in f.capabilities)
REACTIONS = Reactions(
    on_views_updated=tuple(r for f in FEATURES for r in f.reactions.on_views_updated),
    on_peer_change=tuple(r for f in FEATURES for r in f.reactions.on_peer_change),
)


def open_node(home: Path, *, create_key: bool = False) -> node_home.Node:
    """Open a data directory with every feature's read models."""
    return node_home.open_node(home, PROJECTIONS, create_key=create_key)


def node_runtime(node: node_home.Node, options: RunOptions) -> NodeRuntime:
    """A runtime for the node serving every feature's capabilities and reactions."""
    return NodeRuntime(node, options, CAPABILITIES, REACTIONS)


def dashboard_pages() -> list[Page]:
    """The features' dashboard pages, in navigation order."""
    return [importlib.import_module(f.page).PAGE for f in FEATURES if f.page]


def dashboard_ports(runtime: NodeRuntime) -> NodePorts:
    """The dashboard's ports on a running node."""
    return NodePorts(runtime.local_bus(), runtime.broadcaster)


async def serve(node: node_home.Node, options: RunOptions) -> None:
    """Run a node until SIGINT or SIGTERM: API, sync and dashboard on one event loop. A node
    without a community serves the dashboard's onboarding, then starts on the same server."""
    assert node.signer is not None
    root = root_app(lambda: node.config.community)
    host = DashboardHost(node_id(node.signer.public_key), BrowserOnboarding(node, lambda: start()))
    runtimes: list[NodeRuntime] = []

    async def start() -> None:
        runtime = node_runtime(node, options)
        await runtime.start()
        runtimes.append(runtime)
        root.router.routes[0:0] = runtime.routes
        host.node, host.node_id = dashboard_ports(runtime), runtime.me
        node.announce(runtime.url, runtime.me, runtime.admin_token)
        options.ready(runtime.url)

    async def listening() -> None:
        if node.config.community:
            await start()
        else:
            options.ready(f"http://127.0.0.1:{options.port} (no community yet: onboard there)")

    if options.dashboard:
        # NiceGUI is heavy and only `run` serves the dashboard: other commands start without it
        from ui import app as dashboard

        dashboard.mount(root, host, dashboard_pages())
    elif not node.config.community:
        raise ValueError("a node without a community needs its dashboard to onboard")
    try:
        await serve_until_stopped(
            root, options.host, options.port, listening, lifespan=options.dashboard
        )
    finally:
        for runtime in runtimes:
            await runtime.stop()
        node.withdraw()


WIRING = Wiring(PROJECTIONS, CAPABILITIES, serve)
