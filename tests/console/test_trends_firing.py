"""The alerts-firing series, however it is kept up to date, counts every episode as defined."""

from __future__ import annotations

import math
import random

import numpy as np

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.trends import COLUMN, TrendsView
from core.engine import Engine
from core.model import Severity, Status
from tests.console.conftest import estate, event

NAMES = ["Down", "Slow", "Errors"]


def _by_definition(view: TrendsView) -> np.ndarray:
    """Per minute and severity: episodes firing at some point of the minute, up to the clock."""
    series, clock = view.series, view._clock
    assert series.first is not None and clock is not None
    counts = np.zeros((series.length, len(COLUMN)), dtype=np.float64)
    for episodes in view._episodes.values():
        for _, severity, start, end in episodes:
            if start > clock:
                continue
            stop = clock if math.isnan(end) or end > clock else end
            low = math.floor(start / 60)
            high = max(math.ceil(stop / 60) - 1, low)
            for minute in range(
                max(low, series.first), min(high, series.first + series.length - 1) + 1
            ):
                counts[minute - series.first, COLUMN[Severity(int(severity))]] += 1
    return counts


def test_firing_per_minute_equals_counting_every_episode(qtbot) -> None:
    rng = random.Random(11)
    bridge = EngineBridge(Engine(estate()))
    view = TrendsView(bridge, Theme("dark"), Selection())
    qtbot.addWidget(view)
    components = estate().ids
    firing: dict[tuple[str, str], float] = {}
    t = 1_700_000_000.0
    for _ in range(80):
        batch = []
        for _ in range(rng.randint(1, 5)):
            t += rng.random() * 40
            component, name = rng.choice(components), rng.choice(NAMES)
            severity = Severity(1 + len(name) % 4)
            key = (component, name)
            if key in firing and rng.random() < 0.5:
                starts = firing.pop(key)
                batch.append(
                    event(
                        component,
                        at=t,
                        name=name,
                        status=Status.RESOLVED,
                        starts=starts,
                        ends=t,
                        severity=severity,
                    )
                )
            else:
                batch.append(
                    event(
                        component,
                        at=t,
                        name=name,
                        starts=firing.setdefault(key, t),
                        severity=severity,
                    )
                )
        bridge.push(bridge.engine.apply(batch))
        bridge.flush()
        view.compute_firing()
        n = view.series.length
        assert np.array_equal(view.series.firing[:n], _by_definition(view))
    assert firing and view.series.firing.any()
    bridge.shutdown()
