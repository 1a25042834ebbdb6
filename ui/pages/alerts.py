"""Alerts: civil-defence alerts by severity in CAP colours, Test and Exercise marked apart,
answer buttons, the publish form with its two-person flow, and each alert's audit timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nicegui import background_tasks, ui

from ui.live import call, follow
from ui.pages import Page
from ui.strings import t
from ui.voice import text_actions

if TYPE_CHECKING:
    from ui.ports import NodePorts

SEVERITY_COLOURS = {
    "Extreme": ("red-10", "white"),
    "Severe": ("deep-orange-10", "white"),
    "Moderate": ("amber-6", "black"),
    "Minor": ("blue-9", "white"),
    "Unknown": ("grey-8", "white"),
}
"""CAP severities in the usual warning colours, with text that meets WCAG AA on each."""
ANSWERS = ("received", "acting", "need_help", "standing_down", "mistaken")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")


def drill_mark(status: str) -> str:
    """How a non-Actual status is marked wherever an alert appears ('' for Actual)."""
    return "" if status == "Actual" else f"{status.upper()} · {t('not_real')}"


class AlertsPage:
    """One connection's alerts page."""

    def __init__(self, ports: NodePorts, me: str) -> None:
        self.ports, self.me = ports, me
        self.open_trails: set[str] = set()
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(t("alerts")).classes("text-xl font-bold")
            ui.space()
            ui.button(t("publish_alert"), icon="campaign", on_click=self.open_form).mark(
                "publish-alert"
            )
        self.list = ui.column().classes("w-full gap-2")
        self._form()
        follow(self.refresh, ports, lambda kind: kind.startswith("civdef."))

    def _form(self) -> None:
        with ui.dialog() as self.dialog, ui.card().classes("w-full max-w-lg"):
            ui.label(t("publish_alert")).classes("text-lg font-bold")
            self.status = ui.toggle(["Actual", "Exercise", "Test"], value="Exercise").mark(
                "alert-status"
            )
            self.event = ui.input(t("alert_event")).classes("w-full").mark("alert-event")
            self.severity = ui.select(list(SEVERITIES), value="Moderate", label=t("severity"))
            self.severity.classes("w-full").mark("alert-severity")
            self.headline = ui.input(t("headline")).classes("w-full").mark("alert-headline")
            self.instruction = ui.textarea(t("what_to_do")).classes("w-full")
            self.instruction.mark("alert-instruction")
            self.area = ui.input(t("area")).classes("w-full").mark("alert-area")
            self.region = ui.input(t("region_code")).classes("w-full").mark("alert-region")
            ui.label(t("two_person_hint")).classes("text-sm opacity-80")
            with ui.row():
                ui.button(t("publish"), on_click=self.publish).mark("alert-send")
                ui.button(t("cancel"), on_click=self.dialog.close).props("flat")

    def open_form(self) -> None:
        """Open the publish form."""
        self.dialog.open()

    async def publish(self) -> None:
        """Publish the form's alert."""
        data: dict[str, Any] = {
            "status": self.status.value,
            "event": (self.event.value or "").strip(),
            "severity": self.severity.value,
            "headline": (self.headline.value or "").strip(),
            "instruction": (self.instruction.value or "").strip(),
            "area_desc": (self.area.value or "").strip(),
            "region": (self.region.value or "").strip(),
        }
        out = await call(self.ports, "alert.publish", data)
        if out is None:
            return
        self.dialog.close()
        said = t("alert_waiting") if out["pending_cosign"] else t("alert_published")
        ui.notify(said, type="warning" if out["pending_cosign"] else "positive")
        await self.refresh()

    async def refresh(self) -> None:
        """Show every alert, live ones first."""
        found = await call(self.ports, "alert.list", {"limit": 200})
        if found is None:
            return
        alerts = [x for x in found["alerts"] if x["msg_type"] != "Cancel"]
        alerts.sort(key=lambda x: (not x["live"], -x["lamport"]))
        self.list.clear()
        with self.list:
            if not alerts:
                ui.label(t("no_alerts")).classes("opacity-70").mark("alerts-empty")
            for alert in alerts:
                self.card(alert)

    def card(self, alert: dict[str, Any]) -> None:
        """One alert: severity colour, drill mark, state, answers and its timeline."""
        colour, text = SEVERITY_COLOURS.get(alert["severity"], ("grey-8", "white"))
        drill = drill_mark(alert["status"])
        with ui.card().classes("w-full").mark("alert-card"):
            with ui.row().classes("items-center gap-2 flex-wrap"):
                ui.badge(alert["severity"], color=colour, text_color=text).classes("text-sm").mark(
                    "alert-severity"
                )
                if drill:
                    ui.badge(drill, color="indigo-10").classes("text-sm").mark("alert-drill")
                ui.badge(t(f"alert_{alert['state']}"), color="grey-9").mark("alert-state")
                ui.label(alert["headline"]).classes("text-lg font-bold")
            if alert["instruction"]:
                ui.label(alert["instruction"]).classes("whitespace-pre-wrap")
            text_actions(self.ports, f"{alert['headline']}. {alert['instruction']}")
            for area in alert["areas"]:
                shape = "polygon" if area["polygons"] else "circle" if area["circles"] else ""
                regions = ", ".join(area["regions"])
                ui.label(f"{area['area_desc']} {regions} {shape}").classes("text-sm opacity-80")
            counts = ", ".join(f"{t('ack_' + k)} {v}" for k, v in alert["acks"].items() if v)
            if counts:
                ui.label(counts).classes("text-sm").mark("alert-acks")
            self._buttons(alert)
            event_id = alert["event_id"]
            opened = event_id in self.open_trails
            with ui.expansion(t("audit_trail"), icon="fact_check", value=opened).classes(
                "w-full"
            ) as trail:
                trail.mark("alert-audit")
                body = ui.column().classes("gap-1")
            trail.on_value_change(lambda e, b=body, i=event_id: self.toggle(e.value, b, i))
            if opened:
                background_tasks.create(self.timeline(body, event_id), name="audit trail")

    def _buttons(self, alert: dict[str, Any]) -> None:
        event_id = alert["event_id"]
        with ui.row().classes("gap-1 flex-wrap"):
            if alert["state"] == "pending" and alert["publisher"] != self.me:
                go = lambda: self.act("alert.cosign", {"alert_event_id": event_id})  # noqa: E731
                ui.button(t("cosign"), icon="verified", on_click=go).mark("alert-cosign")
            if alert["state"] in ("active", "pending") and alert["publisher"] == self.me:
                stop = lambda: self.act("alert.cancel", {"alert_event_id": event_id})  # noqa: E731
                ui.button(t("cancel_alert"), icon="cancel", on_click=stop).props("outline").mark(
                    "alert-cancel"
                )
            if alert["state"] in ("active", "pending", "updated"):
                for answer in ANSWERS:
                    data = {"alert_event_id": event_id, "status": answer}
                    ui.button(
                        t("ack_" + answer),
                        on_click=lambda d=data: self.act("alert.ack", d),
                    ).props("flat dense no-caps").mark(f"ack-{answer}")

    async def act(self, ref: str, data: dict[str, Any]) -> None:
        """Co-sign, cancel or answer, then show the result."""
        if await call(self.ports, ref, data) is not None:
            ui.notify(t("done"), type="positive")
            await self.refresh()

    def toggle(self, opened: bool, body: ui.column, event_id: str) -> None:
        """Open or close an alert's audit trail; an open one stays open when the list redraws."""
        if not opened:
            self.open_trails.discard(event_id)
            return
        self.open_trails.add(event_id)
        background_tasks.create(self.timeline(body, event_id), name="audit trail")

    async def timeline(self, body: ui.column, event_id: str) -> None:
        """Fill an alert's audit trail: each statement with the event that proves it."""
        shown = await call(self.ports, "alert.show", {"alert_event_id": event_id})
        if shown is None or body.is_deleted:  # the list was redrawn meanwhile
            return
        body.clear()
        with body:
            rows = [(t("published_by"), shown["publisher"], shown["event_id"])]
            rows += [(t("cosigned_by"), who, "") for who in shown["cosigned_by"]]
            rows += [(t("ack_" + a["status"]), a["node"], a["event_id"]) for a in shown["answers"]]
            for what, who, proof in rows:
                line = f"{what}: {who[8:20]}" + (f" · {proof[:16]}" if proof else "")
                ui.label(line).classes("text-sm font-mono").mark("audit-row")
            ui.label(f"{t('targeted')}: {len(shown['targeted'])}").classes("text-sm")


def build(ports: NodePorts, me: str) -> None:
    """The alerts page."""
    AlertsPage(ports, me)


PAGE = Page("/alerts", "alerts", "campaign", build)
