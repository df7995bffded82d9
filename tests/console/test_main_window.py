"""The main window: settings persist and reset, every action has keys, keyboard-only use."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from console.actions import ACTIONS, MENUS
from console.main_window import MainWindow
from console.shell import install_excepthook
from console.source import SourceState
from console.views.alerts import AlertsView
from core.model import parse_time
from tests.console.conftest import make_window


def show(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()


def load_demo(qtbot: QtBot, window: MainWindow, **kwargs: object) -> None:
    with qtbot.waitSignal(window.session.sig_loaded, timeout=20_000):
        window.session.open_demo(**kwargs)  # type: ignore[arg-type]


def test_menus_hold_every_action_with_its_shortcut(window: MainWindow) -> None:
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == list(MENUS)
    for spec in ACTIONS:
        action = window.actions_by_id[spec.id]
        assert [k.toString() for k in action.shortcuts()] == [
            QKeySequence(k).toString() for k in spec.shortcuts
        ]


def test_shortcut_overview_lists_every_action_and_key(window: MainWindow) -> None:
    dialog = window.shortcuts_dialog()
    rows = dialog.rows()
    assert len(rows) == len(ACTIONS)
    by_text = {text: keys for text, _menu, keys in rows}
    for spec in ACTIONS:
        keys = by_text[spec.text.replace("&", "").rstrip("\u2026")]
        for key in spec.shortcuts:
            assert QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) in keys
    assert "F1" in by_text["Keyboard shortcuts"] and "?" in by_text["Keyboard shortcuts"]
    dialog.deleteLater()


def test_layout_and_theme_persist_and_reset(qtbot: QtBot, settings_path: Path) -> None:
    first = make_window(qtbot, settings_path)
    show(qtbot, first)
    first.docks["trends"].hide()
    first.docks["details"].setFloating(True)
    first.actions_by_id["view.light_theme"].trigger()
    first.actions_by_id["view.font_bigger"].trigger()
    assert first.theme.name == "light"
    first.close()

    second = make_window(qtbot, settings_path)
    show(qtbot, second)
    assert second.theme.name == "light"
    assert second.theme.font_scale > 1.0
    assert second.actions_by_id["view.light_theme"].isChecked()
    assert not second.docks["trends"].isVisible()
    assert second.docks["details"].isFloating()

    second.actions_by_id["view.reset_layout"].trigger()
    assert second.docks["trends"].isVisible()
    assert not second.docks["details"].isFloating()
    assert second.dockWidgetArea(second.docks["incidents"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    second.close()
    saved = QSettings(str(settings_path), QSettings.Format.IniFormat)
    assert saved.value("theme/name") == "light"


def test_last_files_are_remembered(qtbot: QtBot, window: MainWindow, settings_path: Path) -> None:
    load_demo(qtbot, window, autoplay=False)
    window.close()
    saved = QSettings(str(settings_path), QSettings.Format.IniFormat)
    assert str(saved.value("files/replay")).endswith("alerts.ndjson.gz")
    assert str(saved.value("files/topology")).endswith("topology.json")


def test_keyboard_only_replay_and_incidents(qtbot: QtBot, window: MainWindow) -> None:
    show(qtbot, window)
    load_demo(qtbot, window, autoplay=False, at=parse_time("2026-11-26T02:45:00Z"))
    replay = window.session.replay
    assert replay is not None and replay.state is SourceState.IDLE
    window.docks["incidents"].widget().setFocus()

    QTest.keyClick(window, Qt.Key.Key_Space)
    assert replay.playing
    assert window.actions_by_id["replay.play"].isChecked()
    QTest.keyClick(window, Qt.Key.Key_Space)
    assert not replay.playing

    applied = replay.player.applied
    QTest.keyClick(window, Qt.Key.Key_Period)
    assert replay.player.applied > applied

    domains = [d.id for d in window.session.bridge.engine.domains()]
    assert len(domains) >= 2
    QTest.keyClick(window, Qt.Key.Key_N)
    assert window.selection.domain == domains[0]
    QTest.keyClick(window, Qt.Key.Key_N)
    assert window.selection.domain == domains[1]

    QTest.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.theme.name == "light"
    scale = window.theme.font_scale
    window.actions_by_id["view.font_bigger"].trigger()
    assert window.theme.font_scale > scale
    window.actions_by_id["view.font_reset"].trigger()
    assert window.theme.font_scale == 1.0

    replay.set_speed(math.inf)
    assert window.replay_bar.speed_combo.currentText() == "as fast as possible"


def test_ctrl_f_focuses_the_component_search(qtbot: QtBot, window: MainWindow) -> None:
    show(qtbot, window)
    window.actions_by_id["view.find_component"].trigger()
    search = getattr(window.views["topology"], "search_box", None)
    # focusWidget(), not hasFocus(): offscreen windows are not always the active window.
    assert search is not None and window.focusWidget() is search
    window.actions_by_id["view.filter_alerts"].trigger()
    alerts = window.views["alerts"]
    assert isinstance(alerts, AlertsView)
    assert window.focusWidget() is alerts.filter_box


def test_errors_reach_the_status_bar_not_a_dialog(qtbot: QtBot, window: MainWindow) -> None:
    saved = sys.excepthook
    install_excepthook(window.show_error)
    try:
        try:
            raise RuntimeError("boom <b>bold</b>\nsecond line")
        except RuntimeError:
            kind, exc, trace = sys.exc_info()
            assert kind is not None and exc is not None
            sys.excepthook(kind, exc, trace)
    finally:
        sys.excepthook = saved
    assert "boom <b>bold</b>" in window.status.currentMessage()
    assert "second line" not in window.status.currentMessage()


def test_replay_bar_is_accessible_and_seeks(qtbot: QtBot, window: MainWindow) -> None:
    bar = window.replay_bar
    for widget in (bar.play_button, bar.step_button, bar.speed_combo, bar.slider, bar.clock):
        assert widget.accessibleName()
    load_demo(qtbot, window, autoplay=False)
    replay = window.session.replay
    assert replay is not None
    assert bar.clock.text().startswith("2026-11-26T02:02")
    with qtbot.waitSignal(replay.sig_seek_finished, timeout=20_000):
        bar.slider.setSliderPosition(bar.slider.maximum() // 2)
        bar._seek_to_slider()
    assert bar.clock.text().startswith("2026-11-26T02:31")
