"""The incidents list paints whole rows from one model call: what it draws is what data() says."""

from __future__ import annotations

from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.incidents import IncidentsView
from console.widgets.painted_table import TEXT_PADDING, PaintedTableView
from core.replay import ReplayPlayer
from tests.console.test_painted_table import painted_cells

DISPLAY = Qt.ItemDataRole.DisplayRole
ROLES = (
    Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.BackgroundRole,
    Qt.ItemDataRole.TextAlignmentRole,
)


def demo_view(qtbot, demo_topology, demo_records, minutes: int) -> IncidentsView:
    player = ReplayPlayer(demo_topology, demo_records)
    bridge = EngineBridge(player.engine)
    view = IncidentsView(bridge, Theme("dark"), Selection(), who="alice")
    qtbot.addWidget(view)
    assert player.start_time is not None
    bridge.push(player.advance(player.start_time + minutes * 60))
    bridge.flush()
    view.resize(1400, 900)
    table = view.table
    metrics = table.viewport().fontMetrics()
    model = view.model
    for column in range(model.columnCount()):  # wide enough that nothing is elided
        texts = [model.data(model.index(r, column), DISPLAY) for r in range(model.rowCount())]
        widest = max(metrics.horizontalAdvance(t) for t in [*texts, "M"])
        table.setColumnWidth(column, widest + 2 * TEXT_PADDING + 8)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_incidents_rows_are_painted_as_data_says(qtbot, demo_topology, demo_records) -> None:
    view = demo_view(qtbot, demo_topology, demo_records, 45)
    table, model = view.table, view.model
    assert isinstance(table, PaintedTableView)
    assert model.rowCount() >= 3
    painted = painted_cells(table)
    shown = {r for r, _c in painted}
    assert shown == set(range(model.rowCount()))  # every domain row is on screen here
    expected = {
        (r, c): model.data(model.index(r, c), DISPLAY)
        for r in range(model.rowCount())
        for c in range(model.columnCount())
    }
    assert painted == {cell: text for cell, text in expected.items() if text}


def test_incidents_cell_looks_match_data_for_every_role(qtbot, demo_topology, demo_records) -> None:
    view = demo_view(qtbot, demo_topology, demo_records, 45)
    model, theme = view.model, view.theme
    columns = list(range(model.columnCount()))
    looks = model.cell_looks(range(model.rowCount()), columns)
    silent_rows = 0
    for row, row_looks in enumerate(looks):
        for column, look in zip(columns, row_looks, strict=True):
            index = model.index(row, column)
            assert look.text == model.data(index, DISPLAY)
            assert [look.foreground, look.background, look.alignment] == [
                model.data(index, role) for role in ROLES
            ]
        severity = model.summary(model.keys[row]).severity  # type: ignore[union-attr]
        assert row_looks[0].background == theme.severity_color(severity)
        if "(silent)" in row_looks[model.ROOT_CAUSE_COLUMN].text:
            silent_rows += 1
            assert row_looks[model.ROOT_CAUSE_COLUMN].foreground == theme.color("silent")
    assert silent_rows, "the demo at 02:45 has a domain whose top candidate is silent"
