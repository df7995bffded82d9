"""Brute-force alert episodes of a replay, for checking the stores' per-minute counts.

The replay is stepped one timeline time at a time, so every episode is seen
however short; an episode runs from startsAt to endsAt (or the last event when
it resolved without one), and counts in minutes floor(start/60) ..
ceil(end/60) - 1; an episode still firing counts up to the clock's minute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.replay import ReplayPlayer
from core.timeline import Record, load_records

DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo"


@dataclass(frozen=True, slots=True)
class Episodes:
    """(fingerprint, episode number) -> [start, end or nan], its severity label, the clock."""

    spans: dict[tuple[str, int], tuple[float, float]]
    severity: dict[tuple[str, int], str]
    clock: float

    def minute_counts(self) -> dict[tuple[int, str], int]:
        """(epoch minute, severity label) -> episodes firing at some point in it."""
        counts: dict[tuple[int, str], int] = {}
        for key, (start, end) in self.spans.items():
            first = math.floor(start / 60)
            last = math.floor(self.clock / 60) if math.isnan(end) else math.ceil(end / 60) - 1
            for minute in range(first, max(first, last) + 1):
                k = (minute, self.severity[key])
                counts[k] = counts.get(k, 0) + 1
        return counts


def replay_episodes(topology: Topology, records: list[Record]) -> Episodes:
    """Every episode of every alert of a replay, stepping one timeline time at a time."""
    player = ReplayPlayer(topology, records)
    spans: dict[tuple[str, int], tuple[float, float]] = {}
    severity: dict[tuple[str, int], str] = {}
    while not player.finished:
        delta = player.step()
        for fp in {*delta.alerts_added, *delta.alerts_updated, *delta.alerts_resolved}:
            state = player.engine.alerts[fp]
            end = math.nan if state.firing else (state.ends_at or state.last_event_time)
            spans[(fp, state.episodes)] = (state.starts_at, end)
            severity[(fp, state.episodes)] = state.severity.label
    clock = player.engine.clock
    assert clock is not None
    return Episodes(spans, severity, clock)


def demo_episodes() -> Episodes:
    """Every episode of the bundled demo replay."""
    return replay_episodes(
        load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")
    )
