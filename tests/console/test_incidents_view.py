"""Incidents: domains list follows deltas in place, keeps the selection, operator actions."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.incidents import SILENT_GLYPH, IncidentsView
from core.engine import Engine
from core.model import Status
from core.operator import ActionKind, OperatorLog
from core.replay import ReplayPlayer
from tests.console.conftest import estate, event, feed

DISPLAY = Qt.ItemDataRole.DisplayRole


def row_texts(view: IncidentsView, row: int) -> list[str]:
    model = view.model
    return [model.data(model.index(row, c), DISPLAY) for c in range(model.columnCount())]


def test_domains_follow_deltas_and_selection_stays_on_the_same_id(
    qtbot, qtmodeltester, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    view = IncidentsView(bridge, theme, selection, who="alice")
    qtbot.addWidget(view)
    qtmodeltester.check(view.model)
    feed(bridge, event("lonely", at=1))
    feed(bridge, event("db", at=2), event("api", at=3))
    model = view.model
    assert model.rowCount() == 2
    assert model.keys == bridge.engine.domain_ids() or model.keys == [
        d.id for d in bridge.engine.domains()
    ]
    lonely_domain = bridge.engine.domain_of(bridge.engine.topology.index["lonely"])
    row = model.row_of(lonely_domain)
    assert row is not None
    view.table.selectRow(row)
    assert selection.domain == lonely_domain

    # the db domain grows (changed in place) and sorts first; selection stays on lonely's
    feed(bridge, event("web", at=4), event("disk", at=5))
    assert view.selected_domain == lonely_domain
    assert model.keys == [d.id for d in bridge.engine.domains()]
    big = model.keys[0]
    assert row_texts(view, 0)[2] == str(bridge.engine.domain(big).size)  # type: ignore[union-attr]

    # closing a domain removes its row; the selection does not jump to a neighbour
    feed(bridge, event("lonely", at=10, status=Status.RESOLVED, starts=1, ends=10))
    assert model.row_of(lonely_domain) is None
    assert view.selected_domain is None
    assert "closed" in view.title.text()

    bridge.reset(Engine(estate()))
    assert model.rowCount() == 0


def test_acknowledge_assign_note_update_the_row(
    qtbot, bridge: EngineBridge, theme: Theme, selection: Selection
) -> None:
    log = OperatorLog()
    view = IncidentsView(bridge, theme, selection, operator_log=log, who="alice")
    qtbot.addWidget(view)
    assert view.operator_log is log
    feed(bridge, event("db", at=1))
    assert view.acknowledge_selected() is None  # nothing selected
    domain_id = view.model.keys[0]
    selection.set_domain(domain_id)
    assert view.selected_domain == domain_id
    changed: list[int] = []
    view.model.dataChanged.connect(lambda a, _b, _r=(): changed.append(a.row()))
    action = view.acknowledge_selected()
    assert action is not None and action.kind is ActionKind.ACKNOWLEDGE
    assert action.who == "alice" and changed == [0]
    assert row_texts(view, 0)[-1] == "✔ ack alice"
    assert view.acknowledge_selected() is None  # already acknowledged
    view.assign_selected_to_me()
    view.add_note("checked <b>power</b>")
    assert row_texts(view, 0)[-1] == "✔ ack alice · → alice · 1 note"
    assert "checked <b>power</b>" in view.detail_text()
    assert view.ack_button.text().startswith("Unacknowledge")
    view.toggle_ack_selected()
    assert not log.state(domain_id).acknowledged
    assert [a.kind for a in log.actions] == [
        ActionKind.ACKNOWLEDGE,
        ActionKind.ASSIGN,
        ActionKind.NOTE,
        ActionKind.UNACKNOWLEDGE,
    ]


def test_demo_domains_silent_root_cause_detail_and_timeline(
    qtbot, demo_topology, demo_records
) -> None:
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    selection = Selection()
    view = IncidentsView(bridge, Theme("dark"), selection, who="alice")
    qtbot.addWidget(view)
    assert player.start_time is not None
    t = player.start_time
    while t < player.start_time + 45 * 60:
        t += 30
        bridge.push(player.advance(t))
        bridge.flush()
    domains = player.engine.domains()
    assert view.model.keys == [d.id for d in domains]
    silent = [d for d in domains if d.root_causes and not d.root_causes[0].alerting]
    assert silent, "the demo at 02:45 has a domain with a silent top candidate"
    row = view.model.row_of(silent[0].id)
    assert row is not None
    cause = row_texts(view, row)[3]
    assert cause.startswith(SILENT_GLYPH) and "(silent)" in cause
    selection.set_domain(silent[0].id)
    text = view.detail_text()
    assert "Root causes (ranked)" in text and "(silent: raises no alert)" in text
    assert f"Impact: {len(silent[0].impact)} components not alerting" in text
    assert "Timeline" in text and " start " in text
    for member in silent[0].members[:3]:
        assert member in text
