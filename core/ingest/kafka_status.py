"""What the live Kafka feed reports: connection state, time down, lag per partition."""

from __future__ import annotations

import enum
import time as _time
from dataclasses import dataclass, field

__all__ = ["ConnectionState", "LiveStatus", "Partition", "PartitionProgress"]

Partition = tuple[str, int]


class ConnectionState(enum.StrEnum):
    """The feed's link to the cluster, as the status bar says it."""

    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"
    FAILED = "failed"  # a fatal error (authentication, bad configuration): no retry
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """A snapshot of the feed for the status bar (safe to read on any thread)."""

    state: ConnectionState
    down_since: float | None  # wall-clock epoch seconds the cluster became unreachable
    lag: dict[Partition, int]  # messages behind the end of each assigned partition
    received: int
    committed: dict[Partition, int] = field(default_factory=dict)  # next offset committed
    buffered: int = 0
    error: str = ""

    @property
    def total_lag(self) -> int:
        return sum(self.lag.values())

    def down_for(self, now: float | None = None) -> float:
        """Seconds the cluster has been unreachable (0 when it is not)."""
        if self.down_since is None:
            return 0.0
        return max(0.0, (_time.time() if now is None else now) - self.down_since)


@dataclass(slots=True)
class PartitionProgress:
    """How far one assigned partition has been read and applied."""

    high: int = -1  # end of the partition (next offset to be written), as far as known
    start: int = -1  # first offset received this session
    received: int = -1  # next offset after the last received
    applied: int = -1  # next offset after the last applied
    stats_lag: int = -1

    def lag(self) -> int:
        high = max(self.high, self.received)
        base = self.applied if self.applied >= 0 else self.start
        if base < 0:
            return max(0, self.stats_lag)
        return max(0, high - base)
