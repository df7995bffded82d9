"""Alerts table: follows engine deltas, filters and sorts in the data layer, syncs selection."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alert_store import AlertFilter
from console.views.alerts import AlertsView
from core.engine import Engine
from core.model import Severity, Status
from tests.console.conftest import estate, event, feed

DISPLAY = Qt.ItemDataRole.DisplayRole


def column_values(view: AlertsView, key: str) -> list[str]:
    model = view.model
    column = model.columns.index(key)
    return [model.data(model.index(r, column), DISPLAY) for r in range(model.rowCount())]


def test_model_passes_modeltester_while_following_deltas(
    qtbot, qtmodeltester, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    qtmodeltester.check(view.model)
    feed(bridge, event("db", at=10), event("api", at=11, severity=Severity.MAJOR))
    feed(bridge, event("web", at=12, severity=Severity.WARNING), event("db", at=13, starts=10))
    feed(bridge, event("api", at=20, status=Status.RESOLVED, ends=20, severity=Severity.MAJOR))
    view.model.set_sort("alertname", False)
    view.set_filter_text("db")
    view.set_filter_text("")
    view.model.set_label_columns(["service"])
    view.model.set_label_columns([])
    bridge.reset(Engine(estate()))
    qtmodeltester.check(view.model)


def test_rows_appear_update_and_resolve_from_bridge_signals(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    model = view.model
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    feed(bridge, event("db", at=10), event("api", at=11, severity=Severity.MAJOR))
    assert model.rowCount() == 2 and inserted
    assert column_values(view, "component") == ["db", "api"]  # critical first
    assert column_values(view, "status") == ["firing", "firing"]
    assert column_values(view, "domain")[0] != ""

    feed(bridge, event("db", at=30, starts=10))
    assert column_values(view, "repeats") == ["1", "0"]

    feed(bridge, event("db", at=40, status=Status.RESOLVED, starts=10, ends=40))
    row = column_values(view, "component").index("db")
    assert column_values(view, "status")[row] == "resolved"
    assert column_values(view, "domain")[row] == ""
    assert resets == []  # incremental: no model reset on updates

    new_engine = Engine(estate())
    new_engine.apply([event("disk", at=50)])
    bridge.reset(new_engine)
    assert resets == [True]
    assert column_values(view, "component") == ["disk"]


def test_filters_text_severity_status_domain_component_time(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    feed(
        bridge,
        event("db", at=100, summary="primary unreachable"),
        event("web", at=200, severity=Severity.WARNING, name="Slow"),
        event("lonely", at=300, severity=Severity.INFO, name="Chatter", extra={"team": "zeta"}),
        event("nowhere", at=400, severity=Severity.MAJOR, name="Orphan"),
    )
    feed(
        bridge,
        event(
            "web",
            at=500,
            status=Status.RESOLVED,
            ends=500,
            name="Slow",
            severity=Severity.WARNING,
            starts=200,
        ),
    )
    assert view.model.rowCount() == 4

    view.set_filter_text("UNREACH")  # summary, case-insensitive
    assert column_values(view, "component") == ["db"]
    view.set_filter_text("team=zeta")  # label text
    assert column_values(view, "component") == ["lonely"]
    view.set_filter_text("unmapped")
    assert column_values(view, "alertname") == ["Orphan"]
    view.set_filter_text("")

    view.severity_buttons[Severity.CRITICAL].setChecked(False)
    view.severity_buttons[Severity.INFO].setChecked(False)
    assert sorted(column_values(view, "component")) == ["unmapped", "web"]
    for button in view.severity_buttons.values():
        button.setChecked(True)

    view.status_box.setCurrentIndex(view.status_box.findData("resolved"))
    assert column_values(view, "component") == ["web"]
    view.status_box.setCurrentIndex(view.status_box.findData("firing"))
    assert "web" not in column_values(view, "component")
    view.status_box.setCurrentIndex(view.status_box.findData("all"))

    view.component_box.setText("lonely")
    view.component_box.editingFinished.emit()
    assert column_values(view, "component") == ["lonely"]
    view.component_box.setText("")
    view.component_box.editingFinished.emit()

    # the time range from the trends view: alerts overlapping it
    selection.set_time_range((150.0, 250.0))
    assert sorted(column_values(view, "component")) == ["db", "web"]
    selection.set_time_range((450.0, 600.0))  # web resolved at 500: overlaps; firing ones too
    assert sorted(column_values(view, "component")) == ["db", "lonely", "unmapped", "web"]
    selection.set_time_range((510.0, 600.0))
    assert "web" not in column_values(view, "component")
    selection.set_time_range(None)
    assert view.model.rowCount() == 4


def test_sorting_by_severity_rank_and_columns(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    feed(
        bridge,
        event("lonely", at=1, severity=Severity.INFO, name="B"),
        event("db", at=2, severity=Severity.CRITICAL, name="c"),
        event("web", at=3, severity=Severity.WARNING, name="a"),
        event("api", at=4, severity=Severity.MAJOR, name="D"),
    )
    model = view.model
    column = model.columns.index("severity")
    view.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    assert column_values(view, "severity") == ["▲ critical", "◆ major", "● warning", "○ info"]
    view.table.sortByColumn(column, Qt.SortOrder.AscendingOrder)
    assert column_values(view, "severity")[0] == "○ info"
    view.table.sortByColumn(model.columns.index("alertname"), Qt.SortOrder.AscendingOrder)
    assert column_values(view, "alertname") == ["a", "B", "c", "D"]
    # a new alert lands at its sorted place, by insertion
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _p, a, _b: inserted.append(a))
    feed(bridge, event("batch", at=5, name="bb"))
    assert column_values(view, "alertname") == ["a", "B", "bb", "c", "D"] and inserted == [2]


def test_selection_sync_both_ways_and_domain_filter(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    feed(bridge, event("db", at=1), event("lonely", at=2, severity=Severity.WARNING))
    row = column_values(view, "component").index("lonely")
    view.table.selectRow(row)
    fingerprint = view.model.fingerprint_at(row)
    assert selection.alert == fingerprint and selection.component == "lonely"

    db_fp = next(fp for fp, a in bridge.engine.alerts.items() if a.labels["service"] == "db")
    selection.set_alert(db_fp)
    assert view.model.fingerprint_at(view.table.currentIndex().row()) == db_fp

    domain_of_db = bridge.engine.domain_of(bridge.engine.topology.index["db"])
    selection.set_domain(domain_of_db)
    assert column_values(view, "component") == ["db"]
    selection.set_domain(None)
    assert view.model.rowCount() == 2


def test_column_choice_is_remembered(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    feed(bridge, event("db", at=1, extra={"team": "core"}))
    view.set_column_visible("fingerprint", False)
    view.set_label_column("team", True)
    view.table.sortByColumn(view.model.columns.index("starts"), Qt.SortOrder.AscendingOrder)
    state = view.state()
    assert "fingerprint" in state["hidden"] and state["labels"] == ["team"]
    assert column_values(view, "label:team") == ["core"]

    other = AlertsView(bridge, theme, selection)
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.state()["hidden"] == state["hidden"]
    assert other.model.label_columns == ["team"]
    assert other.model.sort_column == "starts" and not other.model.descending
    other.restore_state({"labels": "nonsense", "sort": [42, "x"]})  # ignored, no crash
    menu = other.column_menu()
    assert any(a.text() == "Fingerprint" and not a.isChecked() for a in menu.actions())


def test_untrusted_html_is_literal_text(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    script = "<script>alert(1)</script>"
    img = '"><img src=x onerror=alert(1)>'
    feed(bridge, event("db", at=1, summary=script), event("api", at=2, summary=img + "\x1b[2J"))
    summaries = column_values(view, "summary")
    assert script in summaries
    assert img + "\\x1b[2J" in summaries  # control characters shown escaped


def test_focus_filter_and_store_filter_directly(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = AlertsView(bridge, theme, selection)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.focus_filter()
    assert view.focusWidget() is view.filter_box
    feed(bridge, event("db", at=1))
    store = view.model.store
    assert store.mask(AlertFilter(text="DOWN")).tolist() == [True]
    assert store.mask(AlertFilter(severities=frozenset({Severity.INFO}))).tolist() == [False]
