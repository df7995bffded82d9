"""Per-minute alert counts for InfluxDB, counted exactly as the SQLite history counts them.

An alert episode is firing from its `startsAt` to its `endsAt` (the alert's own
times, as the embedded history stores them): it counts in every minute from
floor(start / 60) to ceil(end / 60) - 1, and while still firing up to the
event clock. Changes reach the aggregator per engine delta, so it learns of
an episode after the fact (a webhook saying an alert started 5 minutes ago, a
resolve whose endsAt is in the past): the minutes it touches are re-emitted,
and a minute written before is written again with every key it had, so
InfluxDB's overwrite (same tags, same time) leaves the corrected count. Only
the last `window` minutes behind the clock are corrected.

Counts are kept as differences per minute (+1 where an episode starts, -1 after
it ends), so a minute's count is a prefix sum over the window: no per-minute
scan of every open alert.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from core.model import Severity

Key = tuple[Severity, str]
"""(severity, tier): the tags of a per-minute point."""
Tally = Counter[Key]
DEFAULT_WINDOW = 24 * 60
MAX_GAP_MINUTES = 7 * 24 * 60
"""Quiet minutes between two changes written out while alerts stay open (a week)."""


class MinuteTotals(NamedTuple):
    """One minute by (severity, tier): episodes firing in it, started in it, ended in it."""

    minute: int
    firing: Tally
    started: Tally
    resolved: Tally
    keys: frozenset[Key]
    """Every key to write (zeros included): the minute was written before with these."""


@dataclass(slots=True)
class _Open:
    key: Key
    start: int


class MinuteAggregator:
    """Alert episodes per minute, severity and tier, from engine changes in event time."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self._clear()

    def _clear(self) -> None:
        self.minute: int | None = None
        self.floor: int | None = None  # minutes up to here are only partly known (a reset)
        self.open: dict[str, _Open] = {}
        self.episodes: dict[str, int] = {}
        self._closed: defaultdict[int, Tally] = defaultdict(Counter)  # +1 at start, -1 after end
        self._opened: defaultdict[int, Tally] = defaultdict(Counter)  # open episodes by start
        self._base: Tally = Counter()  # differences that fell out of the window
        self._started: defaultdict[int, Tally] = defaultdict(Counter)
        self._resolved: defaultdict[int, Tally] = defaultdict(Counter)
        self._dirty: set[int] = set()
        self._written: dict[int, set[Key]] = {}

    def reset(
        self,
        firing: Iterable[tuple[str, Severity, str, float]],
        clock: float | None,
        episodes: dict[str, int] | None = None,
    ) -> None:
        """Start over from the alerts firing now, (fingerprint, severity, tier, startsAt)."""
        self._clear()
        self.minute = None if clock is None else math.floor(clock / 60)
        self.floor = self.minute
        self.episodes = dict(episodes or {})
        for fingerprint, severity, tier, starts_at in firing:
            start = self._clamp(math.floor(starts_at / 60))
            self.open[fingerprint] = _Open((severity, tier), start)
            self._opened[start][(severity, tier)] += 1

    def observe(
        self,
        fingerprint: str,
        firing: bool,
        severity: Severity,
        tier: str,
        time: float,
        episodes: int,
        starts_at: float,
        ends_at: float | None,
    ) -> tuple[list[MinuteTotals], str]:
        """Apply one alert's change; returns (minutes to write, change kind)."""
        completed = self._advance(math.floor(time / 60))
        current = self.minute
        assert current is not None
        key = (severity, tier)
        known = self.episodes.get(fingerprint, 0)
        self.episodes[fingerprint] = episodes
        episode = self.open.get(fingerprint)
        if firing:
            # Episodes that started and ended unseen within one delta (a flap).
            flaps = episodes - known - (1 if episode is None else 0)
            if flaps > 0:
                self._close(key, current, current, flaps)
            if episode is None:
                change = "refire" if known else "new"
                start = self._clamp(min(math.floor(starts_at / 60), current))
                self.open[fingerprint] = _Open(key, start)
                self._opened[start][key] += 1
                self._started[start][key] += 1
                self._touch(start, current - 1)
            else:
                change = "refire" if flaps > 0 else "repeat"
                if episode.key != key:  # re-graded: the whole episode moves
                    self._opened[episode.start][episode.key] -= 1
                    self._opened[episode.start][key] += 1
                    self._started[episode.start][episode.key] -= 1
                    self._started[episode.start][key] += 1
                    episode.key = key
                    self._touch(episode.start, current - 1)
            return completed, change
        end_time = ends_at if ends_at is not None else time
        if episode is not None:
            del self.open[fingerprint]
            self._opened[episode.start][episode.key] -= 1
            end = min(max(episode.start, math.ceil(end_time / 60) - 1), current)
            self._close(episode.key, episode.start, end, 1, started=False)
            self._touch(end + 1, current - 1)  # written as firing after it had ended
        elif episodes > known:  # fired and resolved between two looks
            start = self._clamp(min(math.floor(starts_at / 60), current))
            end = min(max(start, math.ceil(end_time / 60) - 1), current)
            self._close(key, start, end, 1)
            self._touch(start, end)
        return completed, "resolve"

    def pending(self) -> list[MinuteTotals]:
        """The current minute as far as it goes, and every corrected minute (a flush)."""
        if self.minute is None:
            return []
        return self._emit(sorted(self._dirty | {self.minute}))

    # -- internals ---------------------------------------------------------------------

    def _clamp(self, minute: int) -> int:
        if self.minute is None:
            return minute
        return max(minute, self.minute - self.window)

    def _close(self, key: Key, start: int, end: int, n: int, *, started: bool = True) -> None:
        self._closed[start][key] += n
        self._closed[end + 1][key] -= n
        if started:
            self._started[start][key] += n
        self._resolved[end][key] += n

    def _touch(self, first: int, last: int) -> None:
        assert self.minute is not None
        low = max(first, self.minute - self.window)
        if self.floor is not None:
            low = max(low, self.floor + 1)
        self._dirty.update(range(low, last + 1))

    def _advance(self, minute: int) -> list[MinuteTotals]:
        current = self.minute
        if current is None:
            self.minute = minute
            return []
        if minute <= current:  # late observations count in the current minute
            return []
        quiet = min(minute - current - 1, MAX_GAP_MINUTES)
        emit = sorted(self._dirty | {current} | set(range(minute - quiet, minute)))
        totals = self._emit(emit)
        self.minute = minute
        self._prune()
        return totals

    def _emit(self, minutes: list[int]) -> list[MinuteTotals]:
        """Totals for `minutes` (sorted), skipping what a reset left partly known."""
        self._dirty.clear()
        if self.floor is not None:
            minutes = [m for m in minutes if m > self.floor]
        if not minutes:
            return []
        low = min(minutes[0], min(self._closed, default=minutes[0]))
        low = min(low, min(self._opened, default=low))
        running: Tally = Counter(self._base)
        wanted = set(minutes)
        out: list[MinuteTotals] = []
        for m in range(low, minutes[-1] + 1):
            running.update(self._closed.get(m, Counter()))
            running.update(self._opened.get(m, Counter()))
            if m not in wanted:
                continue
            firing = Counter({k: v for k, v in running.items() if v > 0})
            started = Counter({k: v for k, v in self._started.get(m, Counter()).items() if v > 0})
            resolved = Counter({k: v for k, v in self._resolved.get(m, Counter()).items() if v > 0})
            keys = set(firing) | set(started) | set(resolved)
            before = self._written.get(m)
            if before is None and not keys:
                continue
            keys |= before or set()
            self._written[m] = keys
            out.append(MinuteTotals(m, firing, started, resolved, frozenset(keys)))
        return out

    def _prune(self) -> None:
        assert self.minute is not None
        horizon = self.minute - self.window
        for table in (self._closed, self._opened):
            for m in [m for m in table if m < horizon]:
                if table is self._closed:
                    self._base.update(table[m])
                else:  # open episodes that started before the window count from it
                    self._opened[horizon].update(table[m])
                del table[m]
        for table in (self._started, self._resolved):
            for m in [m for m in table if m < horizon]:
                del table[m]
        for m in [m for m in self._written if m < horizon]:
            del self._written[m]
