"""The replay bar: play/pause, step, speed, a timeline to seek, and the replay clock.

Reads and drives the session's current `ReplaySource`; disabled when there is
none. While the session is live on Kafka there is nothing to play or seek:
the transport is disabled and hidden, and the bar shows the live state instead
(live / connecting / broker down for how long), the newest event time and the
consumer lag. The clock label always shows the replay time (RFC 3339, UTC); while the
timeline handle is dragged it shows where the seek will land, and the seek
happens on release (or on each keyboard step of the focused slider).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractSlider,
    QComboBox,
    QHBoxLayout,
    QSlider,
    QToolButton,
    QWidget,
)

from console.kafka_source import KafkaSource, describe_lag, describe_status
from console.pacing import CLOCK_MS, Throttle
from console.replay_source import SPEEDS, ReplaySource, speed_label
from console.session import Session
from console.source import SourceState
from console.theme import Theme
from console.widgets.steady import SteadyLabel
from core.ingest.kafka_live import LiveStatus
from core.model import format_time

STEPS = 100_000  # timeline resolution: an hour's replay seeks to ~0.04 s
_PLAY, _PAUSE = "\u25b6  Play", "\u275a\u275a  Pause"


class ReplayBar(QWidget):
    """Transport controls for the session's replay."""

    def __init__(self, session: Session, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("replayBar")
        self.session = session
        self.theme = theme
        self.replay: ReplaySource | None = None

        self.play_button = QToolButton(self)
        self.play_button.setText(_PLAY)
        self.play_button.setCheckable(True)
        self.play_button.setAccessibleName("Play or pause")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self._toggle)

        self.step_button = QToolButton(self)
        self.step_button.setText("\u25b6\u2759  Step")
        self.step_button.setAccessibleName("Step")
        self.step_button.setToolTip("Apply the next observation (. or Right)")
        self.step_button.clicked.connect(self._step)

        self.speed_combo = QComboBox(self)
        self.speed_combo.setAccessibleName("Replay speed")
        self.speed_combo.setToolTip("Replay speed ([ slower, ] faster)")
        for speed in SPEEDS:
            self.speed_combo.addItem(
                "as fast as possible" if math.isinf(speed) else speed_label(speed), speed
            )
        self.speed_combo.activated.connect(self._speed_chosen)

        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, STEPS)
        self.slider.setAccessibleName("Replay timeline")
        self.slider.setToolTip("Seek: drag, or focus and use arrows / Page Up / Page Down")
        self.slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.slider.sliderMoved.connect(self._dragging)
        self.slider.sliderReleased.connect(self._released)
        self.slider.actionTriggered.connect(self._slider_action)

        self.clock = SteadyLabel(self, samples=("0" * 26,))
        self.clock.setText("--")
        self.clock.setObjectName("replayClock")
        self.clock.setAccessibleName("Replay time")
        self.clock.setToolTip("Replay time (UTC)")

        self.position = SteadyLabel(self)
        self.position.setAccessibleName("Replay position")
        self.position.setObjectName("replayPosition")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(8)
        layout.addWidget(self.play_button)
        layout.addWidget(self.step_button)
        layout.addWidget(self.speed_combo)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.clock)
        layout.addWidget(self.position)
        self.setTabOrder(self.play_button, self.step_button)
        self.setTabOrder(self.step_button, self.speed_combo)
        self.setTabOrder(self.speed_combo, self.slider)
        self.setFocusProxy(self.play_button)

        # A seek per keyboard step would rebuild on every key repeat: wait for a pause.
        self._seek_timer = QTimer(self)
        self._seek_timer.setSingleShot(True)
        self._seek_timer.setInterval(150)
        self._seek_timer.timeout.connect(self._seek_to_slider)

        # The clock, timeline and position show a playing replay ~10 times a second,
        # not at every tick (see console.pacing).
        self._clock_pace = Throttle(CLOCK_MS, self._show_time, self)
        theme.sig_changed.connect(self._apply_fonts)
        self._apply_fonts()
        session.sig_source_changed.connect(self._source_changed)
        session.sig_live_changed.connect(self._live_changed)
        session.sig_live_status.connect(self._live_status)
        session.sig_time_changed.connect(self._live_time)
        self._source_changed(session.replay)
        if session.live is not None:
            self._live_changed(session.live)

    # -- following the source ---------------------------------------------

    def _source_changed(self, replay: ReplaySource | None) -> None:
        if self.replay is not None:
            self.replay.sig_time_changed.disconnect(self._clock_pace.request)
            self.replay.sig_state_changed.disconnect(self._state_changed)
            self.replay.sig_speed_changed.disconnect(self._speed_changed)
        self.replay = replay
        enabled = replay is not None and replay.start_time is not None
        for widget in (self.play_button, self.step_button, self.speed_combo, self.slider):
            widget.setEnabled(enabled)
        if replay is None:
            if self.session.live is not None:
                self._live_changed(self.session.live)
                return
            self._show_transport(True)
            self.clock.setText("no replay")
            self.clock.setToolTip("Replay time (UTC)")
            self.position.setText("")
            self.position.setToolTip("")
            self._state_changed(SourceState.IDLE.value)
            return
        self._show_transport(True)
        self.clock.setToolTip("Replay time (UTC)")
        self.position.setToolTip("")
        total = len(replay.player)
        self.position.add_samples(f"{total:,} / {total:,}", "seeking\u2026")
        replay.sig_time_changed.connect(self._clock_pace.request)
        replay.sig_state_changed.connect(self._state_changed)
        replay.sig_speed_changed.connect(self._speed_changed)
        self._speed_changed(replay.speed)
        self._state_changed(replay.state.value)
        self._time_changed(replay.time)

    # -- live from Kafka ---------------------------------------------------

    def _show_transport(self, shown: bool) -> None:
        """Play, step, speed and the timeline mean nothing while live: hide them."""
        for widget in (self.play_button, self.step_button, self.speed_combo, self.slider):
            widget.setVisible(shown)
        # The clock takes the timeline's room while live.
        layout = self.layout()
        if isinstance(layout, QHBoxLayout):
            layout.setStretchFactor(self.clock, 0 if shown else 1)

    def _live_changed(self, live: KafkaSource | None) -> None:
        if live is None:
            if self.replay is None:
                self._source_changed(None)
            return
        if self.replay is not None:
            return  # a replay is shown; the session drops the live source first
        for widget in (self.play_button, self.step_button, self.speed_combo, self.slider):
            widget.setEnabled(False)
        self._show_transport(False)
        self.play_button.setChecked(False)
        self.play_button.setText(_PLAY)
        self.clock.setToolTip("Newest event time received live (UTC)")
        clock = self.session.bridge.engine.clock
        self.clock.setText(_newest(clock))
        self._live_status(live.status)

    def _live_status(self, status: LiveStatus | None) -> None:
        live = self.session.live
        if live is None or self.replay is not None:
            return
        if status is None:
            self.position.setText("● connecting")
            self.position.setToolTip(live.name)
            return
        lag, per_partition = describe_lag(status)
        self.position.setText(f"● {describe_status(status)} · {lag}")
        self.position.setToolTip(f"{live.name}\n{per_partition}")

    def _live_time(self, time: float) -> None:
        if self.session.live is not None and self.replay is None:
            self.clock.setText(_newest(time))

    def _show_time(self) -> None:
        if self.replay is not None:
            self._time_changed(self.replay.time)

    def _time_changed(self, time: float) -> None:
        replay = self.replay
        if replay is None:
            return
        if not self.slider.isSliderDown():
            self.clock.setText(format_time(int(time)))
            self.slider.blockSignals(True)
            self.slider.setValue(round(replay.player.fraction(time) * STEPS))
            self.slider.blockSignals(False)
        total = len(replay.player)
        self.position.setText(f"{replay.player.applied:,} / {total:,}")

    def _state_changed(self, state: str) -> None:
        self._clock_pace.flush()
        playing = state == SourceState.PLAYING.value
        self.play_button.setChecked(playing)
        self.play_button.setText(_PAUSE if playing else _PLAY)
        if state == SourceState.SEEKING.value:
            self.position.setText("seeking\u2026")

    def _speed_changed(self, speed: float) -> None:
        index = self.speed_combo.findData(speed)
        if index >= 0:
            self.speed_combo.setCurrentIndex(index)

    def _apply_fonts(self) -> None:
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(self.theme.font(1.1).pointSizeF())
        mono.setBold(True)
        self.clock.setFont(mono)  # refits to its samples

    # -- operator input ----------------------------------------------------

    def _toggle(self) -> None:
        if self.replay is not None:
            self.replay.toggle()

    def _step(self) -> None:
        if self.replay is not None:
            self.replay.step()

    def _speed_chosen(self, index: int) -> None:
        if self.replay is not None:
            self.replay.set_speed(float(self.speed_combo.itemData(index)))

    def _slider_time(self, value: int) -> float | None:
        replay = self.replay
        if replay is None or replay.start_time is None or replay.end_time is None:
            return None
        return replay.start_time + (replay.end_time - replay.start_time) * value / STEPS

    def _dragging(self, value: int) -> None:
        when = self._slider_time(value)
        if when is not None:
            self.clock.setText(f"\u2192 {format_time(int(when))}")

    def _released(self) -> None:
        self._seek_to_slider()

    def _slider_action(self, action: int) -> None:
        if (
            action != QAbstractSlider.SliderAction.SliderMove.value
            and not self.slider.isSliderDown()
        ):
            self._dragging(self.slider.sliderPosition())
            self._seek_timer.start()

    def _seek_to_slider(self) -> None:
        when = self._slider_time(self.slider.sliderPosition())
        if when is not None and self.replay is not None:
            self.replay.seek(when)


def _newest(clock: float | None) -> str:
    """The live clock: the newest event time applied, or a dash before the first."""
    return f"newest event {format_time(int(clock))}" if clock is not None else "no events yet"
