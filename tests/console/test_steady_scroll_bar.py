"""A long table's scroll bar repaints when its handle moves, not whenever rows arrive."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.widgets.painted_table import SteadyScrollBar
from tests.console.conftest import EventCounter


def settled(qtbot: QtBot, paints: EventCounter) -> int:
    for _ in range(5):
        QApplication.processEvents()
    qtbot.wait(20)
    return paints.count


def test_repaints_only_when_the_handle_moves(qtbot: QtBot) -> None:
    bar = SteadyScrollBar(Qt.Orientation.Vertical)
    qtbot.addWidget(bar)
    bar.resize(16, 300)
    bar.setRange(0, 100_000)
    bar.setPageStep(30)
    bar.show()
    qtbot.waitExposed(bar)
    paints = EventCounter(QEvent.Type.Paint)
    bar.installEventFilter(paints)
    before = settled(qtbot, paints)

    for maximum in range(100_001, 100_050):  # rows arrive: the handle stays on its pixels
        bar.setMaximum(maximum)
    assert settled(qtbot, paints) == before

    bar.setValue(50_000)  # the operator scrolls: it moves
    assert settled(qtbot, paints) > before
    moved = paints.count
    bar.setMaximum(10)  # a short table: the handle grows
    assert settled(qtbot, paints) > moved
    grown = paints.count
    bar.setRange(0, 0)  # nothing to scroll: drawn as such
    assert settled(qtbot, paints) > grown
