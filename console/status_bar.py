"""The status bar: source, events/s, rejected count, replay clock, live lag."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from console.kafka_source import KafkaSource, describe_lag, describe_status
from console.pacing import CLOCK_MS, Throttle
from console.replay_source import ReplaySource, speed_label
from console.session import Session
from console.source import SourceState
from console.widgets.steady import SteadyLabel
from core.engine import Engine
from core.ingest.kafka_live import LiveStatus
from core.model import Rejected, format_time

MESSAGE_MS = 8_000


def _label(name: str, parent: QWidget, tip: str, *, samples: tuple[str, ...] = ()) -> QLabel:
    # Plain text: file names are not markup. Steady: the clock and the counts
    # change every replay tick, which must not re-lay out the window.
    label = SteadyLabel(parent, samples=samples)
    label.setObjectName(name)
    label.setAccessibleName(tip)
    label.setToolTip(tip)
    return label


class StatusBar(QStatusBar):
    """Follows the session and the bridge; messages (errors too) on the left."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.session = session
        self.progress = QProgressBar(self)
        self.progress.setObjectName("loadProgress")
        self.progress.setAccessibleName("Loading")
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.source = _label("statusSource", self, "Alert source")
        self.rate = _label(
            "statusRate", self, "Events applied per second", samples=("000,000 events/s",)
        )
        self.rejected = _label(
            "statusRejected", self, "Rejected records", samples=("0,000 rejected",)
        )
        self.clock = _label(
            "statusClock", self, "Replay clock (UTC)", samples=("0000-00-00T00:00:00Z",)
        )
        self.lag = _label("statusLag", self, "Live lag")
        self.lag.hide()  # the live Kafka source fills this slot
        self.addPermanentWidget(self.progress)
        for label in (self.source, self.rate, self.rejected, self.clock, self.lag):
            self.addPermanentWidget(label)

        session.sig_progress.connect(self._progress)
        session.sig_loaded.connect(self._loaded)
        session.sig_error.connect(self.show_error)
        session.sig_source_changed.connect(self._source_changed)
        session.sig_state_changed.connect(self._state_changed)
        session.sig_rate_changed.connect(self._rate_changed)
        self._time = 0.0
        self._clock_pace = Throttle(CLOCK_MS, self._show_time, self)
        session.sig_time_changed.connect(self._time_changed)
        session.bridge.sig_rejected.connect(self._rejected)
        session.bridge.sig_engine_reset.connect(self._engine_reset)
        session.sig_live_changed.connect(self._live_changed)
        session.sig_live_status.connect(self._live_status)
        self._source_changed(session.replay)
        self._rate_changed(0.0)
        self._engine_reset(session.bridge.engine)

    def show_error(self, text: str) -> None:
        self.showMessage(f"\u26a0 {text}", MESSAGE_MS * 2)

    def _progress(self, what: str, done: int, total: int) -> None:
        self.progress.setRange(0, total)  # 0..0: busy indicator
        if total:
            self.progress.setValue(done)
        self.progress.show()
        self.showMessage(what)

    def _loaded(self) -> None:
        self.progress.hide()
        if not self.session.loading:
            self.clearMessage()

    def _source_changed(self, replay: ReplaySource | None) -> None:
        if replay is None:
            self.source.setText("no source")
            self.clock.setText("--")
            return
        replay.sig_speed_changed.connect(lambda _speed: self._state_changed(replay.state.value))
        self._state_changed(replay.state.value)
        self._time_changed(replay.time)

    def _live_changed(self, live: KafkaSource | None) -> None:
        """The live Kafka source came or went: the lag slot shows only while it runs."""
        self.lag.setVisible(live is not None)
        if live is not None:
            self._live_status(live.status)

    def _live_status(self, status: LiveStatus | None) -> None:
        live = self.session.live
        if live is None:
            return
        state = "connecting" if status is None else describe_status(status)
        self.source.setText(f"{live.name} \u00b7 {state}")
        if status is not None:
            text, tip = describe_lag(status)
            self.lag.setText(text)
            self.lag.setToolTip(tip)

    def _state_changed(self, state: str) -> None:
        self._clock_pace.flush()
        if self.session.live is not None:
            self._live_status(self.session.live.status)
            return
        replay = self.session.replay
        if replay is None:
            self.source.setText("no source")
            return
        suffix = f" \u00b7 {state}"
        if state == SourceState.PLAYING.value:
            suffix = f" \u00b7 playing {speed_label(replay.speed)}"
        self.source.setText(f"replay {replay.name}{suffix}")

    def _rate_changed(self, rate: float) -> None:
        self.rate.setText(f"{rate:,.0f} events/s")

    def _time_changed(self, time: float) -> None:
        self._time = time
        self._clock_pace.request()

    def _show_time(self) -> None:
        self.clock.setText(format_time(int(self._time)))

    def _rejected(self, _records: list[Rejected]) -> None:
        self._show_rejected(self.session.bridge.engine.rejected_total)

    def _engine_reset(self, engine: Engine) -> None:
        self._show_rejected(engine.rejected_total)

    def _show_rejected(self, count: int) -> None:
        self.rejected.setText(f"{count:,} rejected")
