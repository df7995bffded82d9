"""The main window: assembles views into docks and `ACTIONS` into menus.

No behaviour lives here (that is console/commands.py); this module builds
the docks, lays them out (default arrangement, saved and restored through
QSettings, View > Reset layout), wires the action specs to QActions and
keeps the status bar.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMenu, QWidget

from console.actions import ACTIONS, MENU_TITLES, MENUS, ActionSpec
from console.bridge import EngineBridge
from console.commands import Commands
from console.selection import Selection
from console.session import Session
from console.shortcuts_dialog import ShortcutsDialog
from console.status_bar import StatusBar
from console.theme import Theme
from console.views.alerts import AlertsView
from console.views.details import DetailsView
from console.views.incidents import IncidentsView
from console.views.records import RejectedView, UnmappedView
from console.views.replay_bar import ReplayBar
from console.views.risk import RiskView
from console.views.topology import TopologyView
from console.views.trends import TrendsView

log = logging.getLogger(__name__)

STATE_VERSION = 1
DEFAULT_SIZE = (1600, 1000)
ViewFactory = Callable[[EngineBridge, Theme, Selection, QWidget | None], QWidget]


@dataclass(frozen=True, slots=True)
class DockSpec:
    """One view and where it goes by default."""

    name: str
    title: str
    factory: ViewFactory
    area: Qt.DockWidgetArea


_LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
_BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
_TOP = Qt.DockWidgetArea.TopDockWidgetArea

TOPOLOGY: ViewFactory = TopologyView
DOCKS: tuple[DockSpec, ...] = (
    DockSpec("incidents", "Incidents", IncidentsView, _LEFT),
    DockSpec("details", "Details", DetailsView, _RIGHT),
    DockSpec("alerts", "Alerts", AlertsView, _BOTTOM),
    DockSpec("rejected", "Rejected", RejectedView, _BOTTOM),
    DockSpec("unmapped", "Unmapped", UnmappedView, _BOTTOM),
    DockSpec("trends", "Trends", TrendsView, _BOTTOM),
    DockSpec("risk", "Risk", RiskView, _RIGHT),
)


class MainWindow(QMainWindow):
    """Docks, menus, shortcuts and status bar around one session."""

    def __init__(
        self,
        session: Session,
        theme: Theme,
        selection: Selection,
        settings: QSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        self.setWindowTitle("Watchfloor")
        self.setDockNestingEnabled(True)
        self.session, self.theme, self.selection, self.settings = (
            session,
            theme,
            selection,
            settings,
        )
        session.setParent(self)  # the window owns the session: deleted with it, on this thread
        bridge = session.bridge
        self.views: dict[str, QWidget] = {"topology": TOPOLOGY(bridge, theme, selection, self)}
        self.setCentralWidget(self.views["topology"])
        self.docks: dict[str, QDockWidget] = {}
        for spec in DOCKS:
            self._add_dock(spec.name, spec.title, spec.factory(bridge, theme, selection, None))
        self.replay_bar = ReplayBar(session, theme)
        self.views["replay"] = self.replay_bar
        self._add_dock("replay", "Replay", self.replay_bar)

        self.status = StatusBar(session, self)
        self.setStatusBar(self.status)

        self.commands = Commands(self, session, theme, selection, settings)
        self.actions_by_id: dict[str, QAction] = {}
        self._checkable: list[tuple[QAction, ActionSpec]] = []
        self._build_menus()

        theme.sig_changed.connect(self._theme_changed)
        session.sig_state_changed.connect(lambda _state: self._refresh_checks())
        session.sig_source_changed.connect(self._source_changed)
        incidents = self.views.get("incidents")
        if isinstance(incidents, IncidentsView):
            # before the history links up: it loads a replay's actions into the new log
            session.sig_source_changed.connect(incidents.source_changed)
            incidents.sig_message.connect(self.show_message)
        self._arrange_default()
        self._restore()
        self._source_changed(session.replay)

    # -- assembly ------------------------------------------------------------

    def add_panel(self, name: str, title: str, widget: QWidget) -> None:
        """Add a dock after assembly (the history's Shift panel), tabbed with the trends."""
        self._add_dock(name, title, widget)
        dock = self.docks[name]
        self.addDockWidget(_BOTTOM, dock)
        trends = self.docks.get("trends")
        if trends is not None:
            self.tabifyDockWidget(trends, dock)
            trends.raise_()
        self.restoreDockWidget(dock)
        panels = self.findChild(QMenu, "menu_panels")
        if panels is not None:
            panels.addAction(dock.toggleViewAction())

    def _add_dock(self, name: str, title: str, widget: QWidget) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFocusProxy(widget)
        dock.toggleViewAction().setText(f"Show {title.lower()}")
        self.views[name] = widget
        self.docks[name] = dock

    def _build_menus(self) -> None:
        menus: dict[str, QMenu] = {
            name: self.menuBar().addMenu(MENU_TITLES[name]) for name in MENUS
        }
        for spec in ACTIONS:
            menu = menus[spec.menu]
            if spec.separator_before:
                menu.addSeparator()
            action = QAction(spec.text, self)
            action.setObjectName(spec.id)
            action.setShortcuts([QKeySequence(key) for key in spec.shortcuts])
            action.setCheckable(spec.checkable)
            if spec.tip:
                action.setStatusTip(spec.tip)
            action.triggered.connect(partial(self._trigger, spec))
            menu.addAction(action)
            self.actions_by_id[spec.id] = action
            if spec.checkable:
                self._checkable.append((action, spec))
        panels = menus["View"].addMenu("&Panels")
        panels.setObjectName("menu_panels")
        for dock in self.docks.values():
            panels.addAction(dock.toggleViewAction())
        for menu in menus.values():
            menu.aboutToShow.connect(self._refresh_checks)
        self._refresh_checks()

    def _trigger(self, spec: ActionSpec, _checked: bool = False) -> None:
        spec.callback(self.commands)
        self._refresh_checks()

    def _refresh_checks(self) -> None:
        for action, spec in self._checkable:
            if spec.checked is not None:
                action.setChecked(spec.checked(self.commands))

    def _arrange_default(self) -> None:
        """The default layout: incidents left, details right, tables and trends below."""
        docks = self.docks
        for dock in docks.values():
            dock.setFloating(False)
            dock.show()
        self.addDockWidget(_TOP, docks["replay"])
        self.addDockWidget(_LEFT, docks["incidents"])
        self.addDockWidget(_RIGHT, docks["details"])
        self.addDockWidget(_BOTTOM, docks["alerts"])
        self.splitDockWidget(docks["alerts"], docks["trends"], Qt.Orientation.Horizontal)
        self.tabifyDockWidget(docks["alerts"], docks["rejected"])
        self.tabifyDockWidget(docks["rejected"], docks["unmapped"])
        self.tabifyDockWidget(docks["details"], docks["risk"])
        docks["alerts"].raise_()
        docks["details"].raise_()
        width, height = DEFAULT_SIZE
        self.resizeDocks(
            [docks["incidents"], docks["details"]],
            [width * 3 // 10, width // 4],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks(
            [docks["alerts"], docks["trends"]],
            [width * 3 // 5, width * 2 // 5],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks([docks["alerts"]], [height * 37 // 100], Qt.Orientation.Vertical)
        self.resizeDocks([docks["replay"]], [1], Qt.Orientation.Vertical)

    # -- the Shell interface the commands use ---------------------------------

    def view(self, name: str) -> QWidget | None:
        return self.views.get(name)

    def dock(self, name: str) -> QDockWidget | None:
        return self.docks.get(name)

    def window_widget(self) -> QWidget:
        return self

    def reset_layout(self) -> None:
        self.resize(*DEFAULT_SIZE)
        self._arrange_default()
        self.settings.remove("window/state")
        self.show_message("Layout reset")

    def show_shortcuts(self) -> None:
        dialog = self.shortcuts_dialog()
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def shortcuts_dialog(self) -> ShortcutsDialog:
        rows = [(spec.menu, self.actions_by_id[spec.id]) for spec in ACTIONS]
        return ShortcutsDialog(rows, self)

    def show_message(self, text: str) -> None:
        self.status.showMessage(text, 5000)

    def show_error(self, text: str) -> None:
        self.status.show_error(text)

    def save_screenshot(self, path: str | Path) -> bool:
        return self.grab().save(str(path), "PNG")

    # -- following the session and the theme --------------------------------

    def _source_changed(self, _replay: object) -> None:
        name = self.session.source_name
        self.setWindowTitle(f"{name} \u2014 Watchfloor" if name else "Watchfloor")
        self._refresh_checks()
        self._save_files()

    def _theme_changed(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.theme.apply(app)
        self._refresh_checks()

    # -- persistence ---------------------------------------------------------

    def _restore(self) -> None:
        settings = self.settings
        geometry = settings.value("window/geometry")
        if not (isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)):
            self.resize(*DEFAULT_SIZE)
        state = settings.value("window/state")
        if isinstance(state, QByteArray) and not self.restoreState(state, STATE_VERSION):
            log.warning("saved window layout not usable; using the default")
        for name, view in self.views.items():
            restore: Callable[[dict[str, Any]], None] | None = getattr(view, "restore_state", None)
            raw = settings.value(f"views/{name}")
            if restore is not None and isinstance(raw, str):
                try:
                    restore(json.loads(raw))
                except ValueError:
                    log.warning("ignoring unreadable saved state of the %s view", name)

    def save_settings(self) -> None:
        settings = self.settings
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState(STATE_VERSION))
        settings.setValue("theme/name", self.theme.name)
        settings.setValue("theme/font_scale", self.theme.font_scale)
        for name, view in self.views.items():
            state: Callable[[], dict[str, Any]] | None = getattr(view, "state", None)
            if callable(state):
                settings.setValue(f"views/{name}", json.dumps(state()))
        self._save_files()
        settings.sync()

    def _save_files(self) -> None:
        session = self.session
        if session.topology_path is not None:
            self.settings.setValue("files/topology", str(session.topology_path))
            if session.replay_path is not None:
                self.settings.setValue("files/replay", str(session.replay_path))
            else:
                self.settings.remove("files/replay")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.save_settings()
        risk = self.views.get("risk")
        if isinstance(risk, RiskView):
            risk.shutdown()  # a training in progress stops; exit does not wait for it
        self.session.shutdown()
        super().closeEvent(event)
