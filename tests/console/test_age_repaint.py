"""Ages on screen follow the clock without repainting the same texts every frame.

The alerts table's "Ends / age" column and the incidents list's "Age" column
show whole seconds; the engine's clock reaches them up to 20 times a second.
They are repainted once the clock has moved AGE_STEP (half a second) since
they were last drawn, and always show the current age when drawn.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alert_model import AlertTableModel
from console.views.alert_store import AGE_STEP, AgeClock
from console.views.incidents import IncidentsView
from core.engine import Engine
from tests.console.conftest import estate, event


def test_age_clock_waits_for_half_a_second_either_way() -> None:
    ages = AgeClock()
    assert not ages.moved(None)
    assert ages.moved(100.0)  # first time: draw
    assert not ages.moved(100.0 + AGE_STEP / 2)
    assert ages.moved(100.0 + AGE_STEP)
    assert not ages.moved(100.0 + AGE_STEP * 1.5)
    assert ages.moved(90.0)  # a seek back shows at once


def _ends_changes(model: AlertTableModel) -> list[int]:
    column = model.columns.index("ends")
    seen: list[int] = []

    def changed(top_left: QModelIndex, bottom_right: QModelIndex, _roles: object) -> None:
        if top_left.column() <= column <= bottom_right.column():
            seen.append(bottom_right.row() - top_left.row() + 1)

    model.dataChanged.connect(changed)
    return seen


def test_alert_ages_repaint_after_half_a_second_of_clock(qapp: object) -> None:
    bridge = EngineBridge(Engine(estate()))
    engine = bridge.engine
    engine.apply([event("db", at=100.0, starts=100.0), event("web", at=100.0, starts=100.3)])
    model = AlertTableModel(engine, Theme("dark"))
    changes = _ends_changes(model)
    ends = model.columns.index("ends")

    def ages() -> list[str]:
        return [look[0].text for look in model.cell_looks(range(model.rowCount()), [ends])]

    model.clock_changed()
    assert changes == [2]  # the first clock: every age row
    for step in (0.1, 0.2, 0.3, 0.4):
        engine.advance_to(100.0 + step)
        model.clock_changed()
    assert changes == [2]  # under half a second: nothing to repaint
    engine.advance_to(101.6)
    model.clock_changed()
    assert changes == [2, 2]
    # Whenever drawn, the texts are the current ages (1.6 s and 1.3 s: "1s").
    assert sorted(ages()) == ["firing 1s", "firing 1s"]


def test_incident_ages_repaint_after_half_a_second_of_clock(qtbot: QtBot) -> None:
    bridge = EngineBridge(Engine(estate()))
    bridge.push(bridge.engine.apply([event("db", at=100.0, starts=100.0)]))
    bridge.flush()
    view = IncidentsView(bridge, Theme("dark"), Selection())
    qtbot.addWidget(view)
    model = view.model
    seen: list[int] = []
    model.dataChanged.connect(lambda top_left, *_: seen.append(top_left.column()))
    for at in (100.2, 100.4, 100.6, 100.7, 101.2):
        bridge.push(bridge.engine.advance_to(at))
        bridge.flush()
    # Drawn at 100.2 (first), 100.7 and 101.2; not at 100.4, 100.6.
    assert seen.count(model.AGE_COLUMN) == 3
    age = model.cell_looks(range(1), [model.AGE_COLUMN])[0][0].text
    assert age == "1s"
