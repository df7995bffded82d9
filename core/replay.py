"""Replaying a recorded stream: play at any speed, step, and seek to any time.

The player walks the timeline of core.timeline (event-time order, arrival
order on ties). Advancing to T applies every observation up to T; seeking
rebuilds the engine from scratch with exactly what `watchfloor analyze --at T`
applies, in the same order, so the state after any mix of playing, stepping
and seeking (backwards too) is the state the command line reports.
"""

from __future__ import annotations

import bisect

from core.analysis import Analysis, analyze_records
from core.engine import Engine, EngineConfig, EngineDelta
from core.graph.topology import Topology
from core.timeline import Item, Record, timeline


class ReplayPlayer:
    """Drives an engine along a recorded timeline: advance, step, seek."""

    def __init__(
        self, topology: Topology, records: list[Record], config: EngineConfig | None = None
    ) -> None:
        self.topology = topology
        self.records = records
        self.config = config
        self._timeline = timeline(records)
        self._times = [time for time, _ in self._timeline]
        finite = [t for t in self._times if t != float("-inf")]
        self.start_time: float | None = finite[0] if finite else None
        self.end_time: float | None = finite[-1] if finite else None
        self.engine = Engine(topology, config)
        self.time: float | None = None
        self._next = 0  # index of the next timeline item to apply

    @property
    def finished(self) -> bool:
        return self._next >= len(self._timeline)

    @property
    def applied(self) -> int:
        """How many observations (and rejects) have been applied."""
        return self._next

    def __len__(self) -> int:
        return len(self._timeline)

    def advance(self, until: float) -> EngineDelta:
        """Apply every observation with time <= `until` not applied yet."""
        end = bisect.bisect_right(self._times, until, lo=self._next)
        batch: list[Item] = [item for _, item in self._timeline[self._next : end]]
        self._next = end
        delta = self.engine.apply(batch)
        if until == float("-inf"):
            return delta  # undated rejects ahead of every dated observation
        if self.time is None or until > self.time:
            self.time = until
        later = self.engine.advance_to(self.time)
        _merge(delta, later)
        return delta

    def step(self) -> EngineDelta:
        """Apply the observations of the next time on the timeline; move the clock there."""
        if self.finished:
            return EngineDelta()
        return self.advance(self._times[self._next])

    def batch_end(self, until: float, limit: int) -> float | None:
        """The time to `advance` to for one batch of at most `limit` observations up to `until`.

        The latest time <= `until` whose observations, with those before it,
        number at most `limit`; when the next time alone has more, that time
        (as `step` would). None when nothing is due by `until`.
        """
        first = self._next
        end = bisect.bisect_right(self._times, until, lo=first)
        if end == first:
            return None
        last = min(end, first + max(limit, 1)) - 1
        time = self._times[last]
        if last + 1 < end and self._times[last + 1] == time:
            # the limit falls inside one time's observations: stop before that time
            start = bisect.bisect_left(self._times, time, lo=first, hi=last)
            if start > first:
                time = self._times[start - 1]
        return time

    def seek(self, time: float) -> Engine:
        """Rebuild the state as of `time`; returns the new engine."""
        self.engine = self.analysis_at(time).engine
        self.time = time
        self._next = bisect.bisect_right(self._times, time)
        return self.engine

    def analysis_at(self, time: float) -> Analysis:
        """The analysis as of `time` (what `analyze --at` prints), without moving."""
        return analyze_records(self.topology, self.records, at=time, config=self.config)

    def next_time(self) -> float | None:
        """Time of the next observation to apply (None when finished)."""
        return None if self.finished else self._times[self._next]

    def fraction(self, time: float) -> float:
        """Where `time` lies between the first and last observation, in [0, 1]."""
        if self.start_time is None or self.end_time is None or self.end_time <= self.start_time:
            return 0.0
        span = self.end_time - self.start_time
        return min(1.0, max(0.0, (time - self.start_time) / span))


def _merge(into: EngineDelta, other: EngineDelta) -> None:
    """Fold a later delta into an earlier one (expiries after a batch)."""
    into.alerts_added.extend(other.alerts_added)
    into.alerts_updated.extend(other.alerts_updated)
    into.alerts_resolved.extend(other.alerts_resolved)
    into.rejected.extend(other.rejected)
    into.domains_opened.extend(other.domains_opened)
    into.domains_changed.extend(d for d in other.domains_changed if d not in into.domains_changed)
    into.domains_closed.extend(other.domains_closed)
    into.merged_into.update(other.merged_into)
    into.stale += other.stale
    into.clock = other.clock
