"""Per-minute alert counts read back from a store.

The trends view draws minutes before this session from whichever store is
configured: the embedded SQLite history or InfluxDB (over InfluxQL). Both
answer the same question through `CountsReader`, so the view does not care.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from core.model import Severity

COUNT_SEVERITIES: tuple[Severity, ...] = (
    Severity.CRITICAL,
    Severity.MAJOR,
    Severity.WARNING,
    Severity.INFO,
)
"""Column order of `MinuteCounts.firing`."""


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """Alerts firing per minute by severity over a span of whole minutes.

    Row k is the epoch minute `start_minute + k` (minute = floor(seconds / 60));
    column j counts alert episodes of severity `COUNT_SEVERITIES[j]` that were
    firing at some point in that minute.
    """

    start_minute: int
    firing: npt.NDArray[np.int64]

    @property
    def minutes(self) -> int:
        return int(self.firing.shape[0])

    @classmethod
    def empty(cls, start_minute: int, minutes: int) -> MinuteCounts:
        return cls(start_minute, np.zeros((minutes, len(COUNT_SEVERITIES)), dtype=np.int64))


class CountsReader(Protocol):
    """A store that can say how many alerts fired per minute in the past."""

    def alert_counts(self, start: float, end: float) -> MinuteCounts:
        """Counts for every minute overlapping [start, end) (epoch seconds)."""
        ...
