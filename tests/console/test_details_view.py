"""Details: alert and component, untrusted text shown literally, links only on an explicit click."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QLabel

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alerts import AlertsView
from console.views.details import DetailsView, is_openable
from console.views.incidents import IncidentsView
from core.model import AlertEvent, Severity, Status
from core.replay import ReplayPlayer
from tests.console.conftest import event, feed

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'


def assert_no_rich_text(widget) -> None:
    for label in widget.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()


def test_demo_html_annotations_are_literal_text(qtbot, demo_topology, demo_records) -> None:
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    theme, selection = Theme("dark"), Selection()
    alerts = AlertsView(bridge, theme, selection)
    details = DetailsView(bridge, theme, selection)
    incidents = IncidentsView(bridge, theme, selection, who="alice")
    for widget in (alerts, details, incidents):
        qtbot.addWidget(widget)
    assert player.end_time is not None
    bridge.push(player.advance(player.end_time))
    bridge.flush()
    engine = player.engine
    hostile = {
        fp: a
        for fp, a in engine.alerts.items()
        if any(SCRIPT in v or IMG in v for v in a.annotations.values())
    }
    assert len(hostile) == 2
    model = alerts.model
    summary = model.columns.index("summary")
    shown = [
        model.data(model.index(r, summary), Qt.ItemDataRole.DisplayRole)
        for r in range(model.rowCount())
    ]
    assert any(SCRIPT in s for s in shown)
    for fp, alert in hostile.items():
        selection.set_alert(fp)
        text = details.visible_text()
        for value in alert.annotations.values():
            if SCRIPT in value or IMG in value:
                assert value in text
        assert details.text.toPlainText().count("<") >= 1
    for widget in (alerts, details, incidents):
        assert_no_rich_text(widget)


def test_alert_details_labels_mapping_and_links(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = DetailsView(bridge, theme, selection)
    qtbot.addWidget(view)
    opened: list[QUrl] = []
    view.open_url = opened.append
    labels = {"alertname": "Down", "instance": "db:9100", "severity": "critical"}
    alert = AlertEvent(
        fingerprint="00000000000000aa",
        status=Status.FIRING,
        labels=labels,
        annotations={
            "summary": f"db {SCRIPT}",
            "runbook_url": "javascript:alert(1)",
        },
        starts_at=10.0,
        ends_at=None,
        event_time=10.0,
        severity=Severity.CRITICAL,
        generator_url="https://prometheus.example/graph?g0.expr=up",
    )
    feed(bridge, alert)
    selection.set_alert("00000000000000aa")
    text = view.visible_text()
    assert "component db (label instance=db:9100)" in text
    assert f"db {SCRIPT}" in text and "repeats 0 · episodes 1" in text
    assert view.table.rowCount() == 3
    assert opened == []  # nothing opens by itself
    (gen_url, gen_button), (runbook, runbook_button) = view.link_buttons
    assert gen_button.isEnabled() and not runbook_button.isEnabled()
    gen_button.click()
    assert [u.toString() for u in opened] == [gen_url]
    assert view.open_link(runbook) is False and len(opened) == 1
    assert not is_openable("file:///etc/passwd") and not is_openable("https://")
    assert_no_rich_text(view)


def test_component_details_and_selection_order(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = DetailsView(bridge, theme, selection)
    qtbot.addWidget(view)
    feed(bridge, event("db", at=1, summary="primary down"))
    selection.set_component("db")
    text = view.visible_text()
    assert "alerting · domain D" in text
    assert "depends on 1 · 2 depend on it" in text
    assert "primary down" in text
    selection.set_alert(next(iter(bridge.engine.alerts)))
    assert view.shown is not None and view.shown[0] == "alert"
    selection.set_alert(None)
    assert view.shown == ("component", "db")
    selection.set_component(None)
    assert view.shown is None


def test_selection_sync_between_views(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    alerts = AlertsView(bridge, theme, selection)
    incidents = IncidentsView(bridge, theme, selection, who="alice")
    details = DetailsView(bridge, theme, selection)
    for widget in (alerts, incidents, details):
        qtbot.addWidget(widget)
    feed(bridge, event("db", at=1), event("lonely", at=2, severity=Severity.WARNING))
    # picking a domain in the incidents list filters the alerts table to it
    lonely_domain = bridge.engine.domain_of(bridge.engine.topology.index["lonely"])
    row = incidents.model.row_of(lonely_domain)
    assert row is not None
    incidents.table.selectRow(row)
    assert selection.domain == lonely_domain
    assert alerts.model.rowCount() == 1
    assert alerts.domain_box.currentData() == lonely_domain
    # picking the alert row shows it in details
    alerts.table.selectRow(0)
    assert details.shown == ("alert", alerts.model.fingerprint_at(0))
    assert selection.component == "lonely"
    # selecting a domain elsewhere (canvas) moves the incidents selection
    db_domain = bridge.engine.domain_of(bridge.engine.topology.index["db"])
    selection.set_domain(db_domain)
    assert incidents.selected_domain == db_domain
    first = alerts.model.fingerprint_at(0)
    assert first is not None
    store = alerts.model.store
    assert store.component_id(store.row_of[first]) == "db"
