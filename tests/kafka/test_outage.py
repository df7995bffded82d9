"""Broker down and back: the live feed says so, keeps what it has, reconnects and catches up.

tansu keeps its data in memory only, so the restarted broker is empty: the
topic is created again and new alerts are produced to it, as after a cluster
rebuild. The consumer finds its old position out of range and starts the new
partitions from the beginning (auto.offset.reset=earliest): nothing produced
after the outage is missed.
"""

from __future__ import annotations

import time

import pytest

from core.engine import Engine
from core.ingest.kafka_config import KafkaOptions
from core.ingest.kafka_live import ConnectionState, LiveConsumer
from tests.builders import estate
from tests.kafka.conftest import BASE_TIME_MS, FAST_GROUP, Broker, alert_stream
from tests.kafka.test_live import wait_until

pytestmark = pytest.mark.slow


def test_outage_is_reported_and_the_feed_recovers(broker: Broker) -> None:
    broker.create_topic("outage", partitions=2)
    broker.produce("outage", alert_stream(20))
    feed = LiveConsumer(KafkaOptions(broker.bootstrap, ("outage",), group="outage-test"),
                        config=FAST_GROUP, commit_interval=0.1)  # fmt: skip
    engine = Engine(estate())
    received: list[int] = []

    def drain() -> int:
        """Apply what arrived, as the console does; how many messages so far."""
        chunks = feed.take(1000)
        if chunks:
            engine.apply([item for chunk in chunks for item in chunk.items])
            feed.mark_applied(chunks)
            received.extend(o for c in chunks for o in range(c.first_offset, c.last_offset + 1))
        return len(received)

    feed.start()
    try:
        wait_until(lambda: drain() == 20, what="the first 20 messages")
        before = set(engine.alerts)
        broker.stop()
        wait_until(lambda: feed.status().state is ConnectionState.DOWN, what="outage")
        down = feed.status()
        assert down.down_since is not None and down.down_since <= time.time()
        time.sleep(1.0)
        assert feed.status().down_for() >= 1.0  # the status bar counts the time down
        assert set(engine.alerts) == before  # the console keeps what it has

        broker.start()
        broker.create_topic("outage", partitions=2)
        later = alert_stream(10, start_ms=BASE_TIME_MS + 3_600_000)
        broker.produce("outage", later)
        wait_until(lambda: drain() == 30, timeout=45, what="catch-up")
        status = feed.status()
        assert status.state is ConnectionState.UP
        assert status.down_since is None
    finally:
        feed.stop()
    # What was produced after the outage reached the engine.
    assert engine.clock == later[-1][3] / 1000
    latest = {fp: a.last_event_time for fp, a in engine.alerts.items()}
    assert sum(1 for t in latest.values() if t >= later[0][3] / 1000) >= 8
