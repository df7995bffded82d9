"""What the window's actions do (console/actions.py says which exist and their keys).

Kept apart from main_window.py so the window stays assembly only; every
method here is a small, testable step against the session, the theme and
the selection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog, QInputDialog, QMessageBox, QWidget

from console.selection import Selection
from console.session import Session
from console.theme import Theme
from core.model import format_time, parse_time

log = logging.getLogger(__name__)

FONT_STEP = 1.1


class Shell(Protocol):
    """The parts of the main window the commands need."""

    def view(self, name: str) -> QWidget | None: ...

    def dock(self, name: str) -> QDockWidget | None: ...

    def reset_layout(self) -> None: ...

    def show_shortcuts(self) -> None: ...

    def show_message(self, text: str) -> None: ...

    def save_screenshot(self, path: str | Path) -> bool: ...

    def window_widget(self) -> QWidget: ...


class Commands:
    """Behaviour behind every `ActionSpec`."""

    def __init__(
        self,
        shell: Shell,
        session: Session,
        theme: Theme,
        selection: Selection,
        settings: QSettings,
    ) -> None:
        self.shell = shell
        self.session = session
        self.theme = theme
        self.selection = selection
        self.settings = settings

    # -- File --------------------------------------------------------------

    def open_topology(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.shell.window_widget(),
            "Open topology",
            str(self._last_dir()),
            "Topologies (*.json *.json.gz *.graphml *.xml *.csv *.tsv *.txt *.gz);;All files (*)",
        )
        if path:
            replay = self.session.replay_path
            self.session.open(path, replay, speed=self._speed(), autoplay=False)

    def open_replay(self) -> None:
        topology = self.session.topology_path
        if topology is None:
            self.shell.show_message("Open a topology first (File > Open topology).")
            self.open_topology()
            topology = self.session.topology_path
            if topology is None:
                return
        path, _ = QFileDialog.getOpenFileName(
            self.shell.window_widget(),
            "Open replay",
            str(self._last_dir()),
            "Replays (*.ndjson *.ndjson.gz *.jsonl *.json *.gz);;All files (*)",
        )
        if path:
            self.session.open(topology, path, speed=self._speed(), autoplay=True)

    def open_demo(self) -> None:
        self.session.open_demo(speed=self._speed(), autoplay=True)

    def close_source(self) -> None:
        self.session.close_source()

    def save_screenshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.shell.window_widget(), "Save screenshot", "watchfloor.png", "PNG (*.png)"
        )
        if path:
            saved = self.shell.save_screenshot(path)
            self.shell.show_message(f"Saved {path}" if saved else f"Could not write {path}")

    def quit(self) -> None:
        self.shell.window_widget().close()

    # -- View ----------------------------------------------------------------

    def focus_search(self) -> None:
        """Ctrl+F: the topology's component search (else the alert filter)."""
        if not self._call_view("topology", "focus_search"):
            self.focus_alert_filter()

    def focus_alert_filter(self) -> None:
        self._call_view("alerts", "focus_filter")

    def focus_dock(self, name: str) -> None:
        dock = self.shell.dock(name)
        if dock is None:
            view = self.shell.view(name)
            if view is not None:
                view.setFocus()
            return
        dock.show()
        dock.raise_()
        widget = dock.widget()
        if widget is not None:
            target = widget.focusProxy() or widget
            if target.focusPolicy() == Qt.FocusPolicy.NoFocus:
                widget.focusNextChild()
            else:
                target.setFocus()

    def toggle_theme(self) -> None:
        self.theme.toggle()
        self.settings.setValue("theme/name", self.theme.name)

    def scale_font(self, direction: int) -> None:
        """+1 bigger, -1 smaller, 0 back to normal."""
        if direction == 0:
            scale = 1.0
        else:
            scale = self.theme.font_scale * (FONT_STEP if direction > 0 else 1 / FONT_STEP)
        self.theme.set_font_scale(round(scale, 3))
        self.settings.setValue("theme/font_scale", self.theme.font_scale)
        self.shell.show_message(f"Text size {self.theme.font_scale:.0%}")

    def reset_layout(self) -> None:
        self.shell.reset_layout()

    # -- Replay --------------------------------------------------------------

    @property
    def playing(self) -> bool:
        replay = self.session.replay
        return replay is not None and replay.playing

    def play_pause(self) -> None:
        if self.session.replay is not None:
            self.session.replay.toggle()

    def step(self) -> None:
        if self.session.replay is not None:
            self.session.replay.step()

    def faster(self) -> None:
        if self.session.replay is not None:
            self.session.replay.faster()

    def slower(self) -> None:
        if self.session.replay is not None:
            self.session.replay.slower()

    def go_to_time(self) -> None:
        replay = self.session.replay
        if replay is None:
            return
        text, ok = QInputDialog.getText(
            self.shell.window_widget(),
            "Go to time",
            "Replay time (RFC 3339, UTC, or epoch seconds):",
            text=format_time(replay.time),
        )
        if not ok or not text.strip():
            return
        try:
            when = parse_time(text)
        except ValueError as exc:
            self.shell.show_message(str(exc))
            return
        replay.seek(when)

    def seek_start(self) -> None:
        if self.session.replay is not None:
            self.session.replay.seek_fraction(0.0)

    def seek_end(self) -> None:
        if self.session.replay is not None:
            self.session.replay.seek_fraction(1.0)

    # -- Incident ------------------------------------------------------------

    def next_critical_domain(self) -> None:
        """N: select the next open domain after the current one, worst first (wraps)."""
        domains = [d.id for d in self.session.bridge.engine.domains()]
        if not domains:
            self.shell.show_message("No open failure domains.")
            return
        current = self.selection.domain
        index = domains.index(current) + 1 if current in domains else 0
        self.selection.set_domain(domains[index % len(domains)])

    def acknowledge(self) -> None:
        if self.selection.domain is None:
            self.shell.show_message("Select a failure domain first (N: next critical).")
            return
        if not self._call_view("incidents", "acknowledge_selected"):
            self.shell.show_message("Acknowledging is not available.")

    def clear_selection(self) -> None:
        self.selection.set_alert(None)
        self.selection.set_component(None)
        self.selection.set_domain(None)

    # -- Help ----------------------------------------------------------------

    def show_shortcuts(self) -> None:
        self.shell.show_shortcuts()

    def about(self) -> None:
        QMessageBox.about(
            self.shell.window_widget(),
            "About Watchfloor",
            "Watchfloor: what is broken, what it breaks, and where it started.",
        )

    # -- helpers -------------------------------------------------------------

    def _call_view(self, name: str, method: str) -> bool:
        """Call an optional view capability (e.g. `focus_search`); False if absent."""
        view = self.shell.view(name)
        call: Callable[[], object] | None = getattr(view, method, None)
        if call is None:
            return False
        dock = self.shell.dock(name)
        if dock is not None:
            dock.show()
            dock.raise_()
        call()
        return True

    def _speed(self) -> float:
        replay = self.session.replay
        return replay.speed if replay is not None else 1.0

    def _last_dir(self) -> Path:
        for path in (self.session.replay_path, self.session.topology_path):
            if path is not None:
                return path.parent
        return Path.home()
