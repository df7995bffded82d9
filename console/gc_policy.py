"""When Python's cyclic garbage collector may run in the console.

The engine of a 10k-node topology with a replay loaded is millions of
long-lived objects. CPython's default collector (thresholds 700/10/10)
walks all of them on every full collection: ~100 ms with the GUI thread
stopped, several times a minute while alerts stream in (measured: frame-gap
p99 100 ms with the default, 42-48 ms with the collector off).

The policy:
- after an engine is loaded or rebuilt (a new source, a seek; the bridge's
  `sig_engine_reset`; at most once a second while seeking), once the
  views took it: `gc.unfreeze()`, one full
  collection (reclaims the previous engine's cycles) and `gc.freeze()`, so
  what survived (topology, engine, layout) is never walked again;
- whenever a full collection turns out slow anyway (the heap grew since the
  last freeze, e.g. hours of live alerts), what survived it is frozen too;
- higher thresholds, so young collections run less often;
- the collector runs on the GUI thread only (`GuiThreadCollector`).

Frozen objects are still freed by reference counting; only garbage cycles
among them wait until the next settle (the next engine reset).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from PySide6.QtCore import QTimer

from console.bridge import EngineBridge

THRESHOLDS = (10_000, 20, 20)
"""gc.set_threshold: allocations per young collection, young per middle, middle per full."""
SLOW_FULL_S = 0.02
"""A full collection longer than this freezes its survivors."""
SETTLE_GAP_S = 1.0
"""At most one settle this often (a slider drag seeks many times): the last reset settles too."""


COLLECT_MS = 100
"""How often the GUI thread runs the collections that are due."""


class GuiThreadCollector:
    """Python's cyclic collector, run from the GUI thread only (automatic collection off).

    CPython collects on whichever thread allocates past the threshold. In a
    worker (importing scipy, laying out a graph, building a domain view) a
    collection can free garbage cycles that hold Qt objects, and their C++
    destructors then run off the GUI thread: a crash (seen as a segfault in the
    incidents tests while the scipy warm-up imported in a worker). With
    automatic collection off, a timer on the GUI thread runs the generation
    CPython would have run (same thresholds and counts, `gc.get_count`).
    """

    def __init__(self, interval_ms: int = COLLECT_MS) -> None:
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = gc.isenabled()
        self.running = False

    def start(self) -> None:
        if not self.running:
            self.running = True
            self._was_enabled = gc.isenabled()
            gc.disable()
            self._timer.start()

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._timer.stop()
            if self._was_enabled:
                gc.enable()

    def collect_due(self) -> int | None:
        """Run the oldest generation whose count passed its threshold; which one (None: none)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return generation
        return None


class GcPolicy:
    """Collector thresholds plus freezing the long-lived heap (see module doc)."""

    def __init__(self) -> None:
        self.previous_thresholds = gc.get_threshold()
        self.settles = 0
        self.refreezes = 0
        self._started: float | None = None
        self._installed = False
        self._timer: QTimer | None = None
        self._last_settle = -SETTLE_GAP_S
        self._collector = GuiThreadCollector()

    def install(self, bridge: EngineBridge | None = None) -> None:
        """Raise the thresholds, watch full collections, settle after each engine reset."""
        if not self._installed:
            self._installed = True
            gc.set_threshold(*THRESHOLDS)
            gc.callbacks.append(self._on_collection)
            self._collector.start()
        if bridge is not None:
            if self._timer is None:
                self._timer = QTimer()
                self._timer.setSingleShot(True)
                self._timer.timeout.connect(self.settle)
            bridge.sig_engine_reset.connect(self._engine_reset)

    def uninstall(self) -> None:
        """Back to CPython's behaviour (thresholds as before, nothing frozen)."""
        if self._timer is not None:
            self._timer.stop()
        if self._installed:
            self._installed = False
            self._collector.stop()
            gc.callbacks.remove(self._on_collection)
            gc.set_threshold(*self.previous_thresholds)
            gc.unfreeze()

    def settle(self) -> None:
        """Collect everything once and freeze the survivors (after a load or rebuild)."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self.settles += 1
        self._last_settle = time.monotonic()

    def _engine_reset(self, _engine: object) -> None:
        # On a later loop turn, once every view took the new engine.
        timer = self._timer
        if timer is None or timer.isActive():
            return  # a settle is due already and comes after this reset
        wait = self._last_settle + SETTLE_GAP_S - time.monotonic()
        timer.start(max(0, round(wait * 1000)))

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Runs inside the collector, on whichever thread triggered it: no Qt here.
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            slow = time.perf_counter() - self._started > SLOW_FULL_S
            self._started = None
            if slow and self._installed:
                gc.freeze()
                self.refreezes += 1


_policy: GcPolicy | None = None


def install(bridge: EngineBridge | None = None) -> GcPolicy:
    """The process's policy, installed once; each bridge given settles on its resets."""
    global _policy
    if _policy is None:
        _policy = GcPolicy()
    _policy.install(bridge)
    return _policy
