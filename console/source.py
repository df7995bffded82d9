"""Where alerts come from: the `Source` interface the session drives.

The replay (console/replay_source.py) is the first implementation; the live
Kafka source of the Kafka issue implements the same interface, so the window,
the status bar and the session do not care which one is running.
"""

from __future__ import annotations

import enum
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
