"""The console live on a real broker: status bar, rejected view, bounded work per frame."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from console.kafka_source import KafkaSource
from console.session import Session
from console.source import Source, SourceState
from console.status_bar import StatusBar
from core.analysis import analyze_replay
from core.cli import main
from core.engine import Engine
from core.graph.loaders import load_topology
from core.ingest.kafka_config import KafkaOptions
from core.ingest.kafka_live import LiveConsumer
from tests.kafka.conftest import FAST_GROUP, Broker, alert_stream, topology_file

COUNT = 60


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def session(qapp: QApplication) -> Iterator[Session]:
    session = Session()
    yield session
    session.shutdown()
    shiboken6.delete(session)


def report(engine: Engine) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "severity": d.severity.label,
            "first_seen": d.first_seen,
            "members": list(d.members),
            "root_causes": [(c.component, round(c.score, 9), c.alerting) for c in d.root_causes],
            "impacted": list(d.impacted),
            "alerts": list(d.alerts),
        }
        for d in engine.domains()
    ]


def open_live(qtbot: QtBot, session: Session, topology: Path, feed: LiveConsumer) -> KafkaSource:
    with qtbot.waitSignal(session.sig_loaded, timeout=20_000):
        session.open_live(topology, feed)
    assert session.live is not None
    return session.live


def test_console_goes_live_and_equals_the_recording(
    qtbot: QtBot,
    session: Session,
    broker: Broker,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broker.create_topic("console", partitions=3)
    broker.produce("console", alert_stream(COUNT, malformed_every=12))
    topology = topology_file(tmp_path)
    status_bar = StatusBar(session)
    qtbot.addWidget(status_bar)
    options = KafkaOptions(broker.bootstrap, ("console",), group="console-live")
    live = open_live(qtbot, session, topology, LiveConsumer(options, config=FAST_GROUP))
    assert isinstance(live, Source)
    qtbot.waitUntil(
        lambda: live.feed.status().received == COUNT and live.feed.status().buffered == 0,
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: live.state is SourceState.LIVE, timeout=5_000)
    qtbot.waitUntil(lambda: status_bar.lag.text() == "lag 0", timeout=5_000)
    session.bridge.flush()
    assert "live" in status_bar.source.text() and broker.bootstrap in status_bar.source.text()
    assert status_bar.lag.isVisibleTo(status_bar)
    for partition in range(3):
        assert f"console/{partition}: 0" in status_bar.lag.toolTip()
    assert status_bar.rejected.text() == f"{COUNT // 12} rejected"
    engine = session.bridge.engine
    assert all("(console/" in r.where for r in engine.rejected)

    recording = tmp_path / "console.ndjson.gz"
    code = main(["record", "--kafka", broker.bootstrap, "--topic", "console", "--out",
                 str(recording), "--idle-timeout", "1"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    replayed = analyze_replay(load_topology(topology), recording).engine
    assert report(engine)
    assert report(engine) == report(replayed)
    assert sorted(engine.alerts) == sorted(replayed.alerts)

    session.close_source()
    assert session.live is None
    assert not status_bar.lag.isVisibleTo(status_bar)
    # What the console applied was committed: the group has nothing left to read.
    from confluent_kafka import Consumer, TopicPartition

    probe = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "console-live"})
    committed = probe.committed([TopicPartition("console", p) for p in range(3)], 10)
    probe.close()
    assert sum(tp.offset for tp in committed) == COUNT

    # The console restarted: it resumes where it left off, reading only what is new.
    from tests.kafka.conftest import BASE_TIME_MS

    broker.produce("console", alert_stream(10, start_ms=BASE_TIME_MS + 3_600_000))
    again = open_live(qtbot, session, topology, LiveConsumer(options, config=FAST_GROUP))
    qtbot.waitUntil(lambda: again.applied_total >= 10, timeout=30_000)
    qtbot.wait(500)  # anything more (a re-read) would arrive now
    assert again.feed.status().received == 10


def test_a_burst_is_applied_in_bounded_slices_and_the_window_keeps_running(
    qtbot: QtBot, session: Session, broker: Broker, tmp_path: Path
) -> None:
    burst = 6_000
    broker.create_topic("burst", partitions=2)
    broker.produce("burst", alert_stream(burst), exact_watermarks=False)
    feed = LiveConsumer(KafkaOptions(broker.bootstrap, ("burst",), group="burst"),
                        config=FAST_GROUP, max_buffered=1_000)  # fmt: skip
    live = open_live(qtbot, session, topology_file(tmp_path), feed)
    live.max_events_per_tick = 300
    per_tick: list[int] = []
    buffered: list[int] = []
    last = [0]

    def after_tick() -> None:
        per_tick.append(live.applied_total - last[0])
        last[0] = live.applied_total
        buffered.append(feed.status().buffered)

    live._timer.timeout.connect(after_tick)
    rates: list[float] = []
    session.sig_rate_changed.connect(rates.append)
    frames = [0]
    frame = QTimer()
    frame.timeout.connect(lambda: frames.__setitem__(0, frames[0] + 1))
    frame.start(16)
    qtbot.waitUntil(lambda: live.applied_total >= burst, timeout=60_000)
    frame.stop()
    busy = [n for n in per_tick if n]
    assert max(busy) <= 300 + 256  # the tick budget, plus at most one whole chunk
    assert len(busy) >= burst // (300 + 256)
    assert max(buffered) <= 1_000 + 1_000  # the queue bound, plus one poll
    assert frames[0] >= len(busy) // 2  # other timers (painting) ran between slices
    assert len(session.bridge.engine.alerts) > 0
    assert max(rates) > 0  # the status bar's events/s followed the burst


def test_status_bar_words_for_the_connection_and_the_lag() -> None:
    from console.kafka_source import describe_lag, describe_status
    from core.ingest.kafka_live import ConnectionState, LiveStatus

    now = 1_800_000_000.0
    down = LiveStatus(ConnectionState.DOWN, now - 75, {}, received=10, error="1/1 brokers are down")
    assert describe_status(down, now) == "broker down 1m15s, reconnecting"
    live = LiveStatus(ConnectionState.UP, None, {("alerts", 0): 1_200, ("alerts", 1): 5}, 99)
    assert describe_status(live, now) == "live"
    text, tip = describe_lag(live)
    assert text == "lag 1,205"
    assert "alerts/0: 1,200" in tip and "alerts/1: 5" in tip
    missing = LiveStatus(ConnectionState.UP, None, {}, 0, error="Subscribed topic not available")
    assert "not available" in describe_status(missing, now)
    assert describe_lag(missing)[0] == "lag --"
