"""Labels that change every tick fit their text and do not re-lay out the window."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QWidget
from pytestqt.qtbot import QtBot

from console.widgets.steady import SteadyLabel
from tests.console.conftest import EventCounter


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def test_changing_text_that_fits_does_not_re_lay_out_its_parent(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.setStyleSheet("QLabel { padding: 0 9px; border: 2px solid red; }")
    label = SteadyLabel(parent, samples=("0,000,000 / 0,000,000",))
    layout = QHBoxLayout(parent)
    layout.addWidget(label)
    layout.addStretch(1)
    parent.show()
    qtbot.waitExposed(parent)
    settle()
    requests = EventCounter(QEvent.Type.LayoutRequest)
    parent.installEventFilter(requests)
    for n in range(0, 1_000_000, 7_919):
        label.setText(f"{n:,} / 1,000,000")
    settle()
    assert requests.count == 0
    label.setText("a much longer text than any sample it was given")
    settle()
    assert requests.count >= 1  # it grew: one re-layout


def test_it_is_never_narrower_than_a_plain_label_with_the_same_text(qtbot: QtBot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.setStyleSheet("QLabel { padding: 1px 7px; }")
    steady, plain = SteadyLabel(parent), QLabel(parent)
    for text in ("2026-11-26T02:07:13Z", "1,234,567 events/s", "● live · lag 12,345"):
        steady.setText(text)
        plain.setText(text)
        assert steady.width() >= plain.sizeHint().width()
        assert steady.height() >= plain.sizeHint().height()
    # A bigger font (Ctrl +): fitted afresh.
    font = QFont(steady.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    steady.setFont(font)
    plain.setFont(font)
    assert steady.width() >= plain.sizeHint().width()
