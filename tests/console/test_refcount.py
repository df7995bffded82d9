"""PySide6 6.12.0 on Python 3.11 drops a reference from None on every void Qt call
and aborts the process (DESIGN.md 7). Guard the pinned version against it."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot


def test_void_qt_calls_do_not_eat_references_to_none(qtbot: QtBot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for i in range(2_000):
        widget.resize(200 + i % 7, 100)
        widget.update()
        widget.repaint()
        widget.setWindowTitle("refcount")
    after = sys.getrefcount(None)
    assert after >= before - 50, f"None lost {before - after} references over 8,000 void calls"
