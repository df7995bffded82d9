"""The canvas follows the trends view's time range: which nodes had alerts in it.

An alert falls in the range [start, end] when it started by `end` and had not
ended before `start` (still firing, or no end known, counts as open): the
same rule the alerts table filters by (`alert_store.AlertStore.mask`), so
the nodes the canvas emphasizes are exactly the components of the rows the
table shows. Per node it keeps a count of such alerts; a batch of changed
alerts adjusts the counts of their nodes only.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from console.views.canvas_geometry import IntArray
from core.engine import AlertState, Engine

TimeRange = tuple[float, float]


def overlaps(alert: AlertState, time_range: TimeRange) -> bool:
    """Whether the alert was open at some time within the range."""
    start, end = time_range
    if alert.starts_at > end:
        return False
    return alert.firing or alert.ends_at is None or alert.ends_at >= start


class AlertsInRange:
    """Per node, the number of its alerts that overlap the selected time range."""

    def __init__(self) -> None:
        self.time_range: TimeRange | None = None
        self.counts: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._counted: dict[str, int] = {}  # fingerprint -> node, for alerts counted now

    @property
    def active(self) -> bool:
        return self.time_range is not None

    def mask(self) -> npt.NDArray[np.bool_]:
        """Per node: has an alert in the range."""
        return self.counts > 0

    def set_range(self, engine: Engine, time_range: TimeRange | None) -> None:
        """Count every alert of the engine against a new range (None: no range)."""
        self.time_range = time_range
        self.counts = np.zeros(len(engine.topology), dtype=np.int32)
        self._counted = {}
        if time_range is None:
            return
        counted = {
            alert.fingerprint: alert.component
            for alert in engine.alerts.values()
            if alert.component is not None and overlaps(alert, time_range)
        }
        self._counted = counted
        if counted:
            nodes = np.fromiter(counted.values(), dtype=np.intp, count=len(counted))
            self.counts = np.bincount(nodes, minlength=len(engine.topology)).astype(np.int32)

    def update(self, engine: Engine, fingerprints: Iterable[str]) -> IntArray:
        """Recount these alerts; returns the nodes whose count changed."""
        time_range = self.time_range
        if time_range is None:
            return np.zeros(0, dtype=np.int64)
        counts, counted = self.counts, self._counted
        touched: set[int] = set()
        for fingerprint in fingerprints:
            alert = engine.alerts.get(fingerprint)
            before = counted.get(fingerprint)
            now = None
            if alert is not None and alert.component is not None and overlaps(alert, time_range):
                now = alert.component
            if before == now:
                continue
            if before is not None:
                counts[before] -= 1
                del counted[fingerprint]
                touched.add(before)
            if now is not None:
                counts[now] += 1
                counted[fingerprint] = now
                touched.add(now)
        return np.array(sorted(touched), dtype=np.int64)
