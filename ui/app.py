"""The dashboard: NiceGUI on the node's own server and event loop.

`mount` puts it on the node's root app; `root` builds each connection's page: the header, the
navigation and the features' pages, or only onboarding while the node has no community. Pages
talk to the node through its ports alone and follow the log through the broadcaster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nicegui import app, ui
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from ui import strings
from ui.live import call, follow
from ui.pages import onboarding
from ui.pages.node import THEME_COOKIE, dark_setting
from ui.strings import t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.types import ASGIApp, Receive, Scope, Send

    from ui.pages import Page
    from ui.ports import DashboardHost, NodePorts

STATIC = Path(__file__).parent / "static"
API_PREFIXES = ("/bus/", "/sync/", "/admin/", "/manifest", "/health", "/openapi.json")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
THEME_CSS = """
/* Text in the brand colours on the page's own background (flat buttons, outlined badges,
   links) takes a darker shade in the light theme and a lighter one in the dark: WCAG AA. */
:root { --hn-accent: #b45309; --hn-accent-2: #14b8a6; --hn-accent-3: #6d28d9;
        --hn-error: #b91c1c; --hn-warn: #d97706; --hn-ok: #15803d; }
body.body--light { background: #f4ead7; color: #2c1810; }
body.body--dark { background: #1a1816; color: #f4ead7; }
.body--light .q-card { background: #fbf6ec; }
.body--dark .q-card { background: #26221f; }
.hn-mono { font-family: ui-monospace, monospace; word-break: break-all; }
.q-card.hn-emergency { background: #b91c1c; color: #ffffff; }
body.hn-emergency-mode .q-header { background: #7f1d1d !important; }
body.hn-emergency-mode { border-top: 6px solid #b91c1c; }
.body--light .hn-nav { color: #92400e; }
.body--dark .hn-nav { color: #fbbf24; }
.body--light :is(.q-btn--flat, .q-btn--outline, .q-badge--outline) {
  --q-primary: #92400e; --q-positive: #166534; --q-negative: #991b1b; }
.body--dark :is(.q-btn--flat, .q-btn--outline, .q-badge--outline) {
  --q-primary: #fbbf24; --q-positive: #4ade80; --q-negative: #f87171; }
.hn-pick { cursor: pointer; }
.hn-pick:focus-within { outline: 2px solid currentColor; outline-offset: 2px; }
.body--light .nicegui-link { color: #1d4ed8; }
.body--dark .nicegui-link { color: #93c5fd; }
"""
PWA_HEAD = """
<link rel="manifest" href="/manifest.webmanifest">
<meta name="theme-color" content="#b45309">
<link rel="apple-touch-icon" href="/icon.svg">
<script src="/notify.js"></script>
<script>
if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/sw.js"); }
</script>
"""
OFFLINE_WATCH = """
<script>
(function watch() {
  if (!window.socket) { setTimeout(watch, 200); return; }
  window.socket.on("disconnect", () => {
    const pill = document.querySelector(".hn-online");
    if (pill) { pill.textContent = REASON; pill.classList.add("bg-negative"); }
  });
})();
</script>
"""
"""While the node is away the header says so (the page is reloaded when it is back)."""
FILE_INPUT_LABEL = """
<script>
new MutationObserver(() => document.querySelectorAll(".q-uploader__input:not([aria-label])")
  .forEach((input) => {
    const words = input.parentElement.querySelector("span");
    input.setAttribute("aria-label", (words && words.textContent.trim()) || LABEL);
    input.tabIndex = 0;
  }))
  .observe(document.body, { childList: true, subtree: true });
</script>
"""
"""An upload's file input covers its label: it takes that label's words and the keyboard's
focus (Enter opens the file picker)."""
MANIFEST = {
    "name": "HearthNet",
    "short_name": "HearthNet",
    "description": "The neighbourhood's mesh: board, messages, log and community.",
    "start_url": "/",
    "scope": "/",
    "display": "standalone",
    "background_color": "#1a1816",
    "theme_color": "#b45309",
    "icons": [{"src": "/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
}


class DashboardOnThisMachine:
    """Answers dashboard requests only from this machine, even when the API listens on the LAN:
    the dashboard acts with the node's own key."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and client[0] not in LOOPBACK:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            response = JSONResponse(
                {"error": "unauthorized", "message": "the dashboard answers on this machine only"},
                403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mount(root_app: Starlette, host: DashboardHost, pages: Sequence[Page]) -> None:
    """Serve the dashboard, its PWA manifest and service worker from the node's app."""

    async def manifest(_: Request) -> Response:
        return Response(json.dumps(MANIFEST), media_type="application/manifest+json")

    async def service_worker(_: Request) -> Response:
        return FileResponse(STATIC / "sw.js", media_type="text/javascript")

    async def icon(_: Request) -> Response:
        return FileResponse(STATIC / "icon.svg", media_type="image/svg+xml")

    async def notify(_: Request) -> Response:
        return FileResponse(STATIC / "notify.js", media_type="text/javascript")

    root_app.router.routes += [
        Route("/manifest.webmanifest", manifest),
        Route("/sw.js", service_worker),
        Route("/icon.svg", icon),
        Route("/notify.js", notify),
    ]
    app.add_middleware(DashboardOnThisMachine)
    ui.run_with(
        root_app,  # type: ignore[arg-type]  # a Starlette app: mount and lifespan are all it uses
        root=lambda: root(host, pages),
        title="HearthNet",
        favicon=STATIC / "icon.svg",
        dark=None,
        show_welcome_message=False,
        reconnect_timeout=10.0,
    )


def root(host: DashboardHost, pages: Sequence[Page]) -> None:
    """Build one connection's page."""
    request = ui.context.client.request
    strings.set_language(
        strings.pick_language(
            request.query_params.get("lang", "") if request else "",
            request.headers.get("accept-language", "") if request else "",
        )
    )
    ui.add_head_html(PWA_HEAD)
    ui.add_head_html(
        f"<script>document.documentElement.lang = {json.dumps(strings.language())}</script>"
    )
    theme = request.cookies.get(THEME_COOKIE, "auto") if request else "auto"
    ui.dark_mode(dark_setting(theme))
    ui.add_css(THEME_CSS)
    ui.colors(
        primary="#b45309",
        secondary="#14b8a6",
        accent="#6d28d9",
        negative="#b91c1c",
        warning="#d97706",
        positive="#15803d",
    )
    ports = host.node
    if ports is None and host.onboarding.founded():
        starting(host)
        return
    if ports is None:
        with ui.column().classes("w-full max-w-3xl mx-auto p-4"):
            onboarding.build(host)
        return
    header(ports, pages)
    with ui.column().classes("w-full max-w-6xl mx-auto p-2 sm:p-4 gap-4"):
        ui.sub_pages({p.path: lambda p=p: p.build(ports, host.node_id) for p in pages}).classes(
            "w-full min-w-0 flex flex-col gap-4"
        )


def starting(host: DashboardHost) -> None:
    """A node with a community that is still starting: wait, then show the page asked for."""
    with ui.column().classes("w-full items-center p-8 gap-4").mark("starting"):
        ui.spinner(size="lg")
        ui.label(t("starting"))

    def ready() -> None:
        if host.node is not None:
            ui.navigate.reload()

    ui.timer(0.3, ready)


class Notices:
    """What is new for this connection: unread messages to count, and a toast on any page for
    each message or emergency post that arrives while it is open; the browser notifies too
    (the service worker shows it) when the person allowed it, with a sound if they chose one."""

    def __init__(self) -> None:
        self.seen: set[str] | None = None

    async def unread(
        self, ports: NodePorts, me: str, members: dict[str, Any], urgent: list[dict[str, Any]]
    ) -> int:
        """The number of unread messages; a toast for each message or emergency that is new."""
        history = await call(ports, "chat.history", {"limit": 200})
        waiting = [
            m
            for m in (history or {}).get("messages", [])
            if m["recipient"] == me and m["read_at"] is None
        ]
        names = {m["node_id"]: m["display_name"] or m["node_id"][8:20] for m in members["members"]}
        fresh = {m["event_id"]: m for m in waiting} | {p["event_id"]: p for p in urgent}
        if self.seen is not None:
            for event_id, item in fresh.items():
                if event_id in self.seen:
                    continue
                emergency = "title" in item
                if emergency:
                    said, body = f"{t('emergency')}: {item['title']}", item.get("body", "")
                    ui.notify(said, type="negative")
                else:
                    who = names.get(item["sender"], item["sender"][8:20])
                    said, body = t("new_message", who=who), ""
                    ui.notify(said, type="info", icon="chat")
                args = ", ".join(json.dumps(a) for a in (said, body[:200], event_id, emergency))
                ui.run_javascript(f"hnNotify({args})")
        self.seen = (self.seen or set()) | set(fresh)
        return len(waiting)


def header(ports: NodePorts, pages: Sequence[Page]) -> None:
    """Community, node, mesh state, language, navigation and the emergency banner."""
    with ui.header().classes("items-center gap-2 px-3 py-2 flex-wrap"):
        ui.icon("local_fire_department").classes("text-2xl")
        title = ui.label("HearthNet").classes("text-lg font-bold")
        node_name = ui.label("").classes("text-sm opacity-80")
        pill = ui.badge("", color="grey").classes("text-sm hn-online").props("rounded")
        pill.mark("online")
        ui.add_body_html(OFFLINE_WATCH.replace("REASON", json.dumps(t("reconnecting"))))
        ui.add_body_html(FILE_INPUT_LABEL.replace("LABEL", json.dumps(t("choose_files"))))
        damaged = ui.badge(t("damaged"), color="negative").classes("text-sm").props("rounded")
        damaged.mark("damaged").set_visibility(False)
        ui.space()
        other = "de" if strings.language() == "en" else "en"
        ui.link(other.upper(), f"?lang={other}").classes("text-white no-underline text-sm")
    badges: dict[str, ui.badge] = {}
    with ui.row().classes("w-full justify-center gap-1 flex-wrap py-1"):
        for page in pages:
            go = lambda path=page.path: ui.navigate.to(path)  # noqa: E731
            with (
                ui.button(t(page.label), icon=page.icon, on_click=go, color=None)
                .props("flat no-caps")
                .classes("px-2 hn-nav")
                .mark(f"nav-{page.label}")
            ):
                badges[page.label] = ui.badge("", color="negative").props("floating")
                badges[page.label].mark(f"unread-{page.label}").set_visibility(False)
    banner = ui.row().classes("w-full justify-center")
    news = Notices()
    opened = [False]

    async def update() -> None:
        status = await call(ports, "node.status", {})
        members = await call(ports, "community.members", {})
        urgent = await call(ports, "market.list", {"category": "emergency", "limit": 3})
        alerts = await call(ports, "alert.list", {"live_only": True, "limit": 5})
        if status is None or members is None or urgent is None or alerts is None:
            return
        community = members.get("community_name") or "HearthNet"
        title.set_text(community)
        name = status.get("name") or ""
        node_name.set_text(name if name and name != community else status["node_id"][8:20])
        connected = sum(1 for p in status["peers"] if p["state"] == "connected")
        pill.set_text(t("online", n=connected) if connected else t("alone"))
        pill.props(f"color={'positive' if connected else 'warning'}")
        mode = status.get("mode", "normal")
        if mode != "normal":
            pill.set_text(t(f"mode_{mode}"))
            pill.props(f"color={'negative' if mode == 'emergency' else 'warning'}")
        if mode == "emergency":
            ui.query("body").classes(add="hn-emergency-mode")
        else:
            ui.query("body").classes(remove="hn-emergency-mode")
        if mode == "emergency" and not opened[0]:
            ui.navigate.to("/alerts")
        opened[0] = True
        damaged.set_visibility(bool(status.get("log_damaged")))
        unread = await news.unread(ports, status["node_id"], members, urgent["posts"])
        if "messages" in badges:
            badges["messages"].set_text(str(unread))
            badges["messages"].set_visibility(unread > 0)
        ui.page_title(f"({unread}) {community}" if unread else community)
        banner.clear()
        with banner:
            for alert in alerts["alerts"]:
                if alert["status"] == "Actual" and alert["msg_type"] != "Cancel":
                    go = lambda: ui.navigate.to("/alerts")  # noqa: E731
                    with (
                        ui.card()
                        .classes("w-full hn-emergency p-2 cursor-pointer")
                        .mark("alert-banner") as card
                    ):
                        label = f"{t('alerts')} · {alert['severity']}: {alert['headline']}"
                        ui.label(label).classes("font-bold")
                    card.on("click", go)
            for post in urgent["posts"]:
                with ui.card().classes("w-full hn-emergency p-2").mark("emergency"):
                    ui.label(f"{t('emergency')}: {post['title']}").classes("font-bold")

    shown = ("market.", "community.", "peer.", "chat.", "civdef.")
    follow(update, ports, lambda kind: kind.startswith(shown), every=5.0)
