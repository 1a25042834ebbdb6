"""The Alerts page: the publish form's two-person flow, the banner on every page once an Actual
alert is in force, Exercise marked apart from Actual, answers, and an alert's audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hearthnet.adapters.connectivity import Connectivity, TcpProbe
from hearthnet.domain import alerts as a
from hearthnet.domain.bodies import encode_body
from tests.e2e.cluster import free_port
from tests.integration.test_alerts import with_roles
from tests.ui.test_pages import RETRIES, as_node, one

if TYPE_CHECKING:
    from pathlib import Path

    from tests.ui.conftest import Dashboard


async def test_a_severe_alert_waits_for_a_cosignature_then_shows_everywhere(
    dashboard: Dashboard,
) -> None:
    d, user = dashboard, dashboard.user
    neighbour = await d.add_neighbour()
    await with_roles(d.runtime, neighbour)
    await user.open("/alerts")
    await user.should_see(marker="alerts-empty", retries=RETRIES)
    user.find(marker="publish-alert").click()
    one(user, "alert-status").set_value("Actual")
    user.find(marker="alert-event").type("Deichbruch")
    one(user, "alert-severity").set_value("Severe")
    user.find(marker="alert-headline").type("Deich bei Issum gebrochen")
    user.find(marker="alert-area").type("Issum Ortskern")
    user.find(marker="alert-region").type("DE.NRW.Kleve.Issum")
    user.find(marker="alert-send").click()
    await user.should_see("awaiting co-signature", retries=RETRIES)
    await user.should_not_see(marker="alert-banner", retries=RETRIES)
    [alert] = (await as_node(d, "alert.list", {}))["alerts"]
    cert = next(
        r["cert_id"]
        for r in (await as_node(d, "role.list", {}))["roles"]
        if r["holder"] == neighbour.id
    )
    body = a.AlertCosigned(alert_event_id=alert["event_id"], cert_id=cert)
    await d.from_neighbour(a.ALERT_COSIGNED, encode_body(body))
    await user.should_see("in force", retries=RETRIES)
    await user.should_see(marker="alert-banner", retries=RETRIES)
    user.find(marker="nav-board").click()
    await user.should_see("Deich bei Issum gebrochen", retries=RETRIES)
    user.find(marker="alert-banner").click()
    await user.should_see(marker="ack-acting", retries=RETRIES)
    user.find(marker="ack-acting").click()
    await user.should_see("Acting 1", retries=RETRIES)
    one(user, "alert-audit").set_value(True)
    await user.should_see("Co-signed by", retries=RETRIES)


async def test_an_exercise_is_marked_and_raises_no_banner(dashboard: Dashboard) -> None:
    d, user = dashboard, dashboard.user
    await with_roles(d.runtime)
    await as_node(
        d,
        "alert.publish",
        {
            "event": "Übung",
            "severity": "Extreme",
            "status": "Exercise",
            "area_desc": "Issum",
            "region": "DE.NRW.Kleve.Issum",
        },
    )
    await user.open("/alerts")
    await user.should_see("EXERCISE · not a real alert", retries=RETRIES)
    await user.should_see("Testdorf", retries=RETRIES)  # the header's update, banners included
    await user.should_not_see(marker="alert-banner")


async def test_in_emergency_the_dashboard_turns_red_and_opens_on_the_alerts(
    dashboard: Dashboard, tmp_path: Path
) -> None:
    d, user = dashboard, dashboard.user
    closed = free_port()  # nothing listens there: the uplink is gone
    d.runtime.connectivity = Connectivity(
        TcpProbe([f"127.0.0.1:{closed}"], timeout=1.0), tmp_path / "modes.jsonl", lambda _: None
    )
    for _ in range(4):
        await d.runtime.connectivity.check()
    assert d.runtime.connectivity.mode == "emergency"
    await user.open("/board")
    await user.should_see("Emergency mode", retries=RETRIES)
    await user.should_see(marker="alerts-empty", retries=RETRIES)
