"""The replay as a `Source`: play, pause, step, speed and seek on a recorded stream.

A QTimer drives playback in small slices: each tick moves the replay clock by
`speed` times the wall time since the last tick and applies what falls due,
at most `max_events_per_tick` observations, so the GUI never blocks even "as
fast as possible". Seeking rebuilds the state in the background worker with
`ReplayPlayer.seek` (exactly what `watchfloor analyze --at` reports) and then
points the views at the new engine with `EngineBridge.reset`.
"""

from __future__ import annotations

import math
import time as _time

from PySide6.QtCore import QObject, QTimer, Signal

from console.background import Background
from console.bridge import EngineBridge
from console.source import RateMeter, SourceState
from core.engine import Engine
from core.replay import ReplayPlayer

AS_FAST_AS_POSSIBLE = math.inf
SPEEDS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, AS_FAST_AS_POSSIBLE)
TICK_MS = 33
MAX_EVENTS_PER_TICK = 2_000
_MAX_TICK_SECONDS = 0.25  # after a stall (debugger, suspend) do not jump ahead
_RATE_WINDOW = 1.0


def speed_label(speed: float) -> str:
    """'10×', or 'max' for as fast as possible."""
    if math.isinf(speed):
        return "max"
    return f"{speed:g}\u00d7"


class ReplaySource(QObject):
    """Plays a `ReplayPlayer` into an `EngineBridge` on the GUI thread."""

    sig_state_changed = Signal(str)
    """The `SourceState` value changed."""
    sig_time_changed = Signal(float)
    """The replay clock moved (epoch seconds)."""
    sig_speed_changed = Signal(float)
    """Playback speed changed (math.inf: as fast as possible)."""
    sig_rate_changed = Signal(float)
    """Observations applied per second of wall time, measured over the last second."""
    sig_seek_finished = Signal(float)
    """A seek rebuilt the state as of this time."""

    def __init__(
        self,
        player: ReplayPlayer,
        bridge: EngineBridge,
        background: Background,
        *,
        name: str = "",
        speed: float = 1.0,
        tick_ms: int = TICK_MS,
        max_events_per_tick: int = MAX_EVENTS_PER_TICK,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.player = player
        self.bridge = bridge
        self._background = background
        self._name = name
        self._speed = speed
        self.max_events_per_tick = max_events_per_tick
        self._state = SourceState.IDLE
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self._tick)
        self._last_wall = 0.0
        self._meter = RateMeter(window=_RATE_WINDOW, tick_seconds=TICK_MS / 1000)
        self._pending_seek: float | None = None
        self._resume_after_seek = False
        # The replay clock: where playback is (player.time is None before the first event).
        self._time = player.time if player.time is not None else (player.start_time or 0.0)

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
        self.play()

    def stop(self) -> None:
        self.pause()

    # -- replay controls --------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self.player.engine

    @property
    def time(self) -> float:
        """The replay clock (epoch seconds)."""
        return self._time

    @property
    def start_time(self) -> float | None:
        return self.player.start_time

    @property
    def end_time(self) -> float | None:
        return self.player.end_time

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def playing(self) -> bool:
        return self._state is SourceState.PLAYING

    @property
    def seeking(self) -> bool:
        return self._state is SourceState.SEEKING

    def play(self) -> None:
        if self.seeking:
            self._resume_after_seek = True
            return
        if self.player.finished:
            self._set_state(SourceState.FINISHED)
            return
        self._last_wall = _time.monotonic()
        self._timer.start()
        self._set_state(SourceState.PLAYING)

    def pause(self) -> None:
        if self.seeking:
            self._resume_after_seek = False
            return
        self._timer.stop()
        self._rate_stopped()
        if self._state is SourceState.PLAYING:
            self._set_state(SourceState.PAUSED)

    def toggle(self) -> None:
        """Play/pause (Space)."""
        if self.playing or (self.seeking and self._resume_after_seek):
            self.pause()
        else:
            self.play()

    def step(self) -> None:
        """Pause and apply the observations of the next time on the timeline."""
        if self.seeking:
            return
        self.pause()
        if self.player.finished:
            self._set_state(SourceState.FINISHED)
            return
        before = self.player.applied
        self.bridge.push(self.player.step())
        self._count(self.player.applied - before)
        self._move_clock()
        self._set_state(SourceState.FINISHED if self.player.finished else SourceState.PAUSED)

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        if speed != self._speed:
            self._speed = speed
            self.sig_speed_changed.emit(speed)

    def faster(self) -> None:
        later = [s for s in SPEEDS if s > self._speed]
        if later:
            self.set_speed(later[0])

    def slower(self) -> None:
        earlier = [s for s in SPEEDS if s < self._speed]
        if earlier:
            self.set_speed(earlier[-1])

    def seek(self, time: float) -> None:
        """Rebuild the state as of `time` (clamped to the replay), in the background."""
        start, end = self.player.start_time, self.player.end_time
        if start is not None and end is not None:
            time = min(end, max(start, time))
        if self.seeking:
            self._pending_seek = time  # the latest wins; intermediate ones are skipped
            return
        self._resume_after_seek = self.playing
        self._timer.stop()
        self._set_state(SourceState.SEEKING)
        player = self.player
        self._background.submit(
            lambda: player.seek(time),
            lambda engine: self._seek_done(time, engine),
            self._seek_failed,
        )

    def seek_fraction(self, fraction: float) -> None:
        start, end = self.player.start_time, self.player.end_time
        if start is not None and end is not None:
            self.seek(start + (end - start) * min(1.0, max(0.0, fraction)))

    # -- internals ---------------------------------------------------------

    def _seek_done(self, time: float, engine: Engine) -> None:
        self._time = time
        self.bridge.reset(engine)
        pending, self._pending_seek = self._pending_seek, None
        if pending is not None and pending != time:
            self._state = SourceState.PAUSED
            resume = self._resume_after_seek
            self.seek(pending)
            self._resume_after_seek = resume
            return
        self.sig_time_changed.emit(time)
        self.sig_seek_finished.emit(time)
        self._set_state(SourceState.FINISHED if self.player.finished else SourceState.PAUSED)
        if self._resume_after_seek:
            self._resume_after_seek = False
            self.play()

    def _seek_failed(self, exc: BaseException) -> None:
        self._pending_seek = None
        self._resume_after_seek = False
        self._set_state(SourceState.ERROR)
        raise RuntimeError(f"seek failed: {exc}") from exc

    def _tick(self) -> None:
        now = _time.monotonic()
        elapsed = min(_MAX_TICK_SECONDS, max(0.0, now - self._last_wall))
        self._last_wall = now
        player = self.player
        target = self._time + elapsed * self._speed
        end = player.end_time
        if end is not None:
            target = min(target, end)
        applied = 0
        budget = self.max_events_per_tick
        while applied < budget:
            # one engine batch for everything due, up to the tick's budget
            until = player.batch_end(target, budget - applied)
            if until is None:
                break
            before = player.applied
            self.bridge.push(player.advance(until))
            applied += player.applied - before
        upcoming = player.next_time()
        behind = upcoming is not None and upcoming <= target  # budget spent: catch up next tick
        if not behind and math.isfinite(target) and (player.time is None or target > player.time):
            self.bridge.push(player.advance(target))
        self._count(applied)
        self._move_clock()
        if player.finished and (end is None or self._time >= end):
            self._timer.stop()
            self._rate_stopped()
            self._set_state(SourceState.FINISHED)

    def _move_clock(self) -> None:
        if self.player.time is not None and self.player.time != self._time:
            self._time = self.player.time
            self.sig_time_changed.emit(self._time)

    def _count(self, applied: int) -> None:
        """Record a tick's work; the rate is what the ticks of the last second applied."""
        if self._meter.count(applied):
            self.sig_rate_changed.emit(self._meter.report())

    def _rate_stopped(self) -> None:
        """Stopped: the rate is 0, said at once."""
        self._meter.reset()
        self.sig_rate_changed.emit(self._meter.report())

    def _set_state(self, state: SourceState) -> None:
        if state is not self._state:
            self._state = state
            self.sig_state_changed.emit(state.value)
