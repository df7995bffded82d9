"""Where alerts come from: the `Source` interface the session drives.

The replay (console/replay_source.py) is the first implementation; the live
Kafka source of the Kafka issue implements the same interface, so the window,
the status bar and the session do not care which one is running.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from typing import Protocol, runtime_checkable


class SourceState(enum.StrEnum):
    """What a source is doing, as the status bar says it."""

    IDLE = "idle"  # created, not started
    PAUSED = "paused"  # replay: stopped at a time, can resume
    PLAYING = "playing"  # replay: applying events on its clock
    SEEKING = "seeking"  # replay: rebuilding the state as of a time
    FINISHED = "finished"  # replay: every record applied
    CONNECTING = "connecting"  # live: (re)connecting to the broker
    LIVE = "live"  # live: consuming
    ERROR = "error"


@runtime_checkable
class Source(Protocol):
    """A stream of alert events feeding the engine through the session's bridge.

    Implementations are QObjects that also emit `sig_state_changed(str)` and
    `sig_rate_changed(float)` (events applied per second).
    """

    @property
    def name(self) -> str:
        """What the status bar shows: a file name, a broker and topic."""
        ...

    @property
    def state(self) -> SourceState: ...

    @property
    def events_per_second(self) -> float: ...

    def start(self) -> None:
        """Begin (or resume) feeding events."""
        ...

    def stop(self) -> None:
        """Stop feeding events; the state stays as it is."""
        ...


class RateMeter:
    """Events applied per second of wall time, over the ticks of the last second.

    Each count records the work of the tick ending at its time, so the oldest
    entry's work happened before the measured span began and is left out.
    `count` says whether the rate moved enough to be worth reporting (1 event/s
    or 5%), so a source emits its rate signal only then.
    """

    def __init__(
        self, *, window: float = 1.0, tick_seconds: float = 0.0, reported: float = 0.0
    ) -> None:
        self.window = window
        self.tick_seconds = tick_seconds
        """With a single tick in the window: the rate is its work over one tick (0: none)."""
        self.rate = 0.0
        self.reported = reported
        self._log: deque[tuple[float, int]] = deque()

    def count(self, applied: int, now: float | None = None) -> bool:
        """Record one tick's work; True when the new rate should be reported."""
        now = time.monotonic() if now is None else now
        log = self._log
        log.append((now, applied))
        while len(log) > 1 and log[0][0] < now - self.window:
            log.popleft()
        span = now - log[0][0]
        if span > 0:
            self.rate = sum(n for _, n in list(log)[1:]) / span
        else:
            self.rate = applied / self.tick_seconds if self.tick_seconds > 0 else 0.0
        return abs(self.rate - self.reported) >= max(1.0, 0.05 * self.reported)

    def reset(self) -> None:
        """Forget the ticks (stopped, paused, finished): the rate is 0."""
        self._log.clear()
        self.rate = 0.0

    def report(self) -> float:
        """The rate, remembered as reported."""
        self.reported = self.rate
        return self.rate
