"""Console fixtures: the demo topology and replay, a small hand-made estate, bridge + views."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console import gc_policy
from console.bridge import EngineBridge
from console.main_window import MainWindow
from console.selection import Selection
from console.session import Session
from console.shell import theme_from_settings
from console.theme import Theme
from console.views.incidents import IncidentsView
from core.engine import Engine
from core.graph.topology import Topology
from core.model import AlertEvent
from core.replay import ReplayPlayer
from core.timeline import Record
from tests.builders import estate, event

__all__ = [
    "EventCounter",
    "demo_incidents",
    "estate",
    "event",
]  # the console tests import them from here

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


class EventCounter(QObject):
    """Counts the events of one type delivered to the objects it is installed on."""

    def __init__(self, kind: QEvent.Type) -> None:
        super().__init__()
        self.kind = kind
        self.count = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == self.kind:
            self.count += 1
        return False


def demo_incidents(
    qtbot: QtBot, topology: Topology, records: list[Record]
) -> tuple[ReplayPlayer, EngineBridge, IncidentsView]:
    """A demo player at its start, its bridge, and an incidents view following it."""
    player = ReplayPlayer(topology, records)
    bridge = EngineBridge(player.engine)
    view = IncidentsView(bridge, Theme("dark"), Selection(), who="alice")
    qtbot.addWidget(view)
    return player, bridge, view


@pytest.fixture
def theme() -> Theme:
    return Theme("dark")


@pytest.fixture
def selection() -> Selection:
    return Selection()


@pytest.fixture
def bridge(qapp) -> EngineBridge:
    return EngineBridge(Engine(estate()))


def feed(bridge: EngineBridge, *events: AlertEvent) -> None:
    """Apply events to the bridge's engine and deliver the deltas now."""
    bridge.push(bridge.engine.apply(list(events)))
    bridge.flush()


# -- the application shell: fresh settings, sessions and windows ----------------


@pytest.fixture(scope="module", autouse=True)
def _collector_on_the_gui_thread(qapp: QApplication) -> Iterator[None]:
    """As the console runs it: Python's cyclic GC never runs in a worker thread, where it
    could free Qt objects off the GUI thread (a crash; console/gc_policy.py)."""
    collector = gc_policy.GuiThreadCollector()
    collector.start()
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """Collect each test's garbage here, on the GUI thread, before the next test starts."""
    yield
    gc.collect()


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    """A fresh INI file per test: never the user's settings."""
    return tmp_path / "watchfloor.ini"


@pytest.fixture
def session(qapp: QApplication) -> Iterator[Session]:
    session = Session()
    yield session
    session.shutdown()
    shiboken6.delete(session)


def make_window(qtbot: QtBot, settings_path: Path) -> MainWindow:
    """A main window on its own session, with settings from `settings_path`."""
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    window = MainWindow(Session(), theme_from_settings(settings), Selection(), settings)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def window(qtbot: QtBot, settings_path: Path) -> MainWindow:
    return make_window(qtbot, settings_path)
