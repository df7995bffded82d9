"""Doing a display update at most so often, without ever showing a stale value for long.

A replay tick moves the clock ~30 times a second; the clock, the timeline
slider and the position counter showing every one of them cost a repaint of
the replay bar and the status bar each time (~2 ms with the themes' style
sheets), ~6% of the GUI thread at 5,000 alerts/s
(benchmarks/bench_console_live.py), for changes nobody can read at that
rate. `Throttle` runs its callback at once when the last run is at least
`interval_ms` old (a step, a seek, the first tick show immediately) and
otherwise once at the end of the interval, with whatever the state is then.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

CLOCK_MS = 100
"""How often a moving clock (the replay bar's, the status bar's) is redrawn at most."""


class Throttle(QObject):
    """Calls `run()` at most once per `interval_ms`; a request never waits longer than that."""

    def __init__(self, interval_ms: int, run: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._run = run
        self._interval = interval_ms / 1000.0
        self._last = -float("inf")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def request(self) -> None:
        """Something changed: run now if it has been quiet long enough, else soon."""
        if self._timer.isActive():
            return
        wait = self._last + self._interval - time.monotonic()
        if wait <= 0:
            self._fire()
        else:
            self._timer.start(max(1, round(wait * 1000)))

    def flush(self) -> None:
        """Run now if a request is waiting (a replay paused or finished: show where it stopped)."""
        if self._timer.isActive():
            self._timer.stop()
            self._fire()

    def _fire(self) -> None:
        self._last = time.monotonic()
        self._run()
