"""The live Kafka source: a `Source` that feeds the engine from a consumer group.

The consumer runs off the GUI thread (core.ingest.kafka_live: polling,
decoding, committing); a QTimer here takes what it decoded in bounded slices,
at most `max_events_per_tick` items and a few milliseconds a frame, applies
them to the engine, hands the delta to the bridge, and only then tells the
consumer that those offsets may be committed (at-least-once). A burst of
100k messages is therefore spread over frames instead of freezing the
window, and the status bar shows the lag per partition meanwhile.
"""

from __future__ import annotations

import time as _time
from typing import Final

from PySide6.QtCore import QObject, QTimer, Signal

from console.bridge import EngineBridge
from console.source import RateMeter, SourceState
from core.ingest.kafka_live import Chunk, ConnectionState, LiveConsumer, LiveStatus
from core.model import duration_text

TICK_MS: Final = 33
MAX_EVENTS_PER_TICK: Final = 2_000
_TICK_SECONDS: Final = 0.010  # apply work per frame, so painting keeps its share
_STATUS_SECONDS: Final = 0.5
_RATE_WINDOW: Final = 1.0
STOP_SECONDS: Final = 3.0

_STATES: Final = {
    ConnectionState.CONNECTING: SourceState.CONNECTING,
    ConnectionState.DOWN: SourceState.CONNECTING,
    ConnectionState.UP: SourceState.LIVE,
    ConnectionState.FAILED: SourceState.ERROR,
    ConnectionState.STOPPED: SourceState.IDLE,
}


def describe_status(status: LiveStatus, now: float | None = None) -> str:
    """One line for the status bar: connection, how long down, total lag."""
    if status.state is ConnectionState.DOWN:
        return f"broker down {duration_text(status.down_for(now))}, reconnecting"
    if status.state is ConnectionState.FAILED:
        return f"failed: {status.error}" if status.error else "failed"
    if status.state is ConnectionState.CONNECTING:
        return "connecting"
    if status.state is ConnectionState.STOPPED:
        return "stopped"
    if not status.lag and status.error:
        return f"waiting for partitions: {status.error}"  # e.g. the topic does not exist
    return "live"


def describe_lag(status: LiveStatus) -> tuple[str, str]:
    """(label text, tooltip with the lag of every partition)."""
    if not status.lag:
        return "lag --", "No partitions assigned yet"
    parts = [f"{topic}/{partition}: {lag:,}" for (topic, partition), lag in status.lag.items()]
    return f"lag {status.total_lag:,}", "Consumer lag per partition\n" + "\n".join(parts)


class KafkaSource(QObject):
    """Applies what a `LiveConsumer` decoded to the bridge's engine, a slice per frame."""

    sig_state_changed = Signal(str)
    """The `SourceState` value changed."""
    sig_rate_changed = Signal(float)
    """Events applied per second of wall time, over the last second."""
    sig_time_changed = Signal(float)
    """The engine's event clock moved (epoch seconds)."""
    sig_status_changed = Signal(object)
    """A fresh `LiveStatus` (connection, down time, lag per partition), twice a second."""
    sig_items_applied = Signal(list)
    """Items (alert events, rejects) the engine just applied, in order (history records them)."""

    def __init__(
        self,
        feed: LiveConsumer,
        bridge: EngineBridge,
        *,
        name: str = "",
        tick_ms: int = TICK_MS,
        max_events_per_tick: int = MAX_EVENTS_PER_TICK,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.feed = feed
        self.bridge = bridge
        self._name = name or feed.options.describe()
        self.max_events_per_tick = max_events_per_tick
        self._state = SourceState.IDLE
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._meter = RateMeter(window=_RATE_WINDOW, reported=-1.0)
        self._last_status = 0.0
        self.status: LiveStatus | None = None
        self.applied_total = 0

    # -- Source ------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def state(self) -> SourceState:
        return self._state

    @property
    def events_per_second(self) -> float:
        return self._meter.rate

    def start(self) -> None:
        self.feed.start()
        self._timer.start()
        self._set_state(SourceState.CONNECTING)
        self._refresh_status(force=True)

    def stop(self) -> None:
        """Stop consuming; what was applied is committed, the rest is read again next time."""
        self._timer.stop()
        # A healthy cluster takes milliseconds (final commit, leave the group); with
        # the cluster down, the worker finishes closing in the background.
        self.feed.stop(timeout=STOP_SECONDS)
        self._meter.reset()
        self.sig_rate_changed.emit(self._meter.report())
        self._refresh_status(force=True)
        self._set_state(SourceState.IDLE)

    # -- internals ---------------------------------------------------------

    def drain(self) -> int:
        """Apply one frame's share of what is waiting; returns how many items (tests call it)."""
        started = _time.perf_counter()
        budget = self.max_events_per_tick
        applied = 0
        clock_before = self.bridge.engine.clock
        while applied < budget and _time.perf_counter() - started < _TICK_SECONDS:
            chunks = self.feed.take(min(500, budget - applied))
            if not chunks:
                break
            applied += self._apply(chunks)
        clock = self.bridge.engine.clock
        if clock is not None and clock != clock_before:
            self.sig_time_changed.emit(clock)
        return applied

    def _apply(self, chunks: list[Chunk]) -> int:
        items = [item for chunk in chunks for item in chunk.items]
        self.bridge.push(self.bridge.engine.apply(items))
        if items:
            self.sig_items_applied.emit(items)
        # Only now may these offsets be committed: the engine has them.
        self.feed.mark_applied(chunks)
        self.applied_total += len(items)
        return len(items)

    def _tick(self) -> None:
        applied = self.drain()
        self._count(applied)
        self._refresh_status()

    def _refresh_status(self, *, force: bool = False) -> None:
        now = _time.monotonic()
        if not force and now - self._last_status < _STATUS_SECONDS:
            return
        self._last_status = now
        status = self.feed.status()
        self.status = status
        if self._timer.isActive():
            self._set_state(_STATES[status.state])
        self.sig_status_changed.emit(status)

    def _count(self, applied: int) -> None:
        if self._meter.count(applied):
            self.sig_rate_changed.emit(self._meter.report())

    def _set_state(self, state: SourceState) -> None:
        if state is not self._state:
            self._state = state
            self.sig_state_changed.emit(state.value)
