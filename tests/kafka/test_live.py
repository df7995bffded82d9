"""The live feed against a real broker: at-least-once, no alert lost, none doubled.

A consumer group reads a three-partition topic; the engine applies what it
decoded, and only then are the offsets committed. Killing the consumer
mid-stream (SIGKILL, no goodbye) and starting another in the same group
resumes from what was applied: every message reaches the engine, and the
few applied twice are harmless because alerts are identified by fingerprint.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.analysis import analyze_records
from core.engine import Engine
from core.ingest.kafka_config import KafkaOptions, StartPosition
from core.ingest.kafka_live import Chunk, ConnectionState, LiveConsumer
from core.model import AlertEvent, Rejected
from core.record import read_kafka_records
from tests.builders import estate
from tests.kafka.conftest import FAST_GROUP, QUICK_EVICTION, Broker, alert_stream

ROOT = Path(__file__).resolve().parents[2]
COUNT = 90


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.05)


def consume_all(feed: LiveConsumer, engine: Engine, expected: int) -> list[Chunk]:
    """Apply chunks as the console does (apply, then mark) until `expected` messages."""
    applied: list[Chunk] = []

    def step() -> bool:
        chunks = feed.take(50)
        if chunks:
            engine.apply([item for chunk in chunks for item in chunk.items])
            feed.mark_applied(chunks)
            applied.extend(chunks)
        return sum(c.last_offset - c.first_offset + 1 for c in applied) >= expected

    wait_until(step, what=f"{expected} messages")
    return applied


def domains(engine: Engine) -> list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    return [
        (d.members, d.alerts, tuple(c.component for c in d.root_causes)) for d in engine.domains()
    ]


@pytest.fixture(scope="module")
def topic(broker: Broker) -> str:
    broker.create_topic("live-alerts", partitions=3)
    broker.produce("live-alerts", alert_stream(COUNT, malformed_every=10))
    return "live-alerts"


def test_live_feed_applies_every_partition_with_envelopes_like_the_recording(
    broker: Broker, topic: str
) -> None:
    options = KafkaOptions(broker.bootstrap, (topic,), group="console-a")
    feed = LiveConsumer(options, config=FAST_GROUP, commit_interval=0.1)
    engine = Engine(estate())
    feed.start()
    try:
        chunks = consume_all(feed, engine, COUNT)
        wait_until(lambda: sum(feed.status().committed.values()) == COUNT, what="commits")
        status = feed.status()
    finally:
        feed.stop()
    assert {c.partition for c in chunks} == {0, 1, 2}
    assert status.state is ConnectionState.UP
    assert set(status.lag) == {(topic, 0), (topic, 1), (topic, 2)}
    assert status.total_lag == 0
    items = [item for c in chunks for item in c.items]
    events = [i for i in items if isinstance(i, AlertEvent)]
    rejected = [i for i in items if isinstance(i, Rejected)]
    assert len(rejected) == COUNT // 10
    for reject in rejected:  # rejected with where it came from
        assert reject.envelope is not None and reject.envelope.offset is not None
        assert f"{topic}/{reject.envelope.partition}@{reject.envelope.offset}" in reject.where
        assert reject.envelope.key == "bad"
    for event in events:  # key, headers and timestamp kept
        assert event.envelope is not None
        assert event.envelope.key == event.fingerprint
        assert dict(event.envelope.headers)["trace"].startswith("t")
        assert event.event_time == event.envelope.ts
    # The live run and the topic's recording give the same analysis.
    records = read_kafka_records(
        KafkaOptions(broker.bootstrap, (topic,), start=StartPosition("earliest")), idle_timeout=1.0
    )
    recorded = analyze_records(estate(), records).engine
    assert domains(engine) == domains(recorded)
    assert domains(engine)
    assert sorted(engine.alerts) == sorted(recorded.alerts)
    assert engine.rejected_total == recorded.rejected_total


@pytest.mark.slow
def test_killed_consumer_restarts_with_no_alert_lost_and_none_doubled(
    broker: Broker, topic: str
) -> None:
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.kafka.live_worker", broker.bootstrap, topic, "kill-test"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    first: list[tuple[int, int, int]] = []
    try:
        assert worker.stdout is not None
        for line in worker.stdout:
            partition, low, high = (int(x) for x in line.split())
            first.append((partition, low, high))
            if sum(h - lo + 1 for _, lo, h in first) >= COUNT // 2:
                break
    finally:
        worker.send_signal(signal.SIGKILL)  # mid-stream, no final commit, no goodbye
        worker.wait(10)
    seen_first = {(p, o) for p, lo, h in first for o in range(lo, h + 1)}
    assert COUNT // 2 <= len(seen_first) < COUNT

    options = KafkaOptions(broker.bootstrap, (topic,), group="kill-test")
    feed = LiveConsumer(options, config=QUICK_EVICTION)
    engine = Engine(estate())
    feed.start()
    try:
        wait_until(lambda: len(feed.status().lag) == 3, what="assignment")
        chunks: list[Chunk] = []

        def caught_up() -> bool:
            chunks.extend(feed.take(1000))
            seen = {
                (c.partition, o) for c in chunks for o in range(c.first_offset, c.last_offset + 1)
            }
            return len(seen_first | seen) == COUNT

        wait_until(caught_up, what="the rest of the topic")
        time.sleep(0.5)
        chunks.extend(feed.take(1000))
    finally:
        feed.stop()
    seen_second = {
        (c.partition, o) for c in chunks for o in range(c.first_offset, c.last_offset + 1)
    }
    # No message lost: together the two runs applied every offset of every partition.
    everything = {(p, o) for p in range(3) for o in range(max(
        [o for q, o in seen_first | seen_second if q == p], default=-1) + 1)}  # fmt: skip
    assert seen_first | seen_second == everything
    assert len(everything) == COUNT
    # The restart resumed from what was applied, not from the beginning: only what
    # the killed run applied after its last commit is read again.
    again = seen_first & seen_second
    assert len(again) < len(seen_first)
    for partition in range(3):
        resumed = min((o for p, o in seen_second if p == partition), default=None)
        if resumed is not None:
            assert resumed <= max((o for p, o in seen_first if p == partition), default=-1) + 1
    # None doubled: the state of both runs applied in turn (duplicates included)
    # equals one clean pass over the topic.
    records = read_kafka_records(
        KafkaOptions(broker.bootstrap, (topic,), start=StartPosition("earliest")), idle_timeout=1.0
    )
    clean = analyze_records(estate(), records).engine
    items_second = [item for c in chunks for item in c.items]
    by_position = {
        (r.items[0].envelope.partition, r.items[0].envelope.offset): r.items
        for r in records
        if r.items and r.items[0].envelope is not None
    }
    items_first = [item for p, o in sorted(seen_first, key=lambda po: (po[1], po[0]))
                   for item in by_position[(p, o)]]  # fmt: skip
    engine.apply(items_first)
    engine.apply(items_second)
    assert sorted(engine.alerts) == sorted(clean.alerts)
    assert {fp: a.status for fp, a in engine.alerts.items()} == {
        fp: a.status for fp, a in clean.alerts.items()
    }
    assert domains(engine) == domains(clean)


def test_rejected_messages_go_to_the_dead_letter_topic_with_their_position(
    broker: Broker, topic: str
) -> None:
    broker.create_topic("dead-letters", partitions=1)
    options = KafkaOptions(broker.bootstrap, (topic,), group="dlq", dead_letter="dead-letters")
    feed = LiveConsumer(options, config=FAST_GROUP, commit_interval=0.1)
    feed.start()
    try:
        chunks = consume_all(feed, Engine(estate()), COUNT)
        wait_until(lambda: sum(feed.status().committed.values()) == COUNT, what="commits")
    finally:
        feed.stop()
    rejected = {
        (r.envelope.partition, r.envelope.offset): r.reason
        for c in chunks
        for r in c.items
        if isinstance(r, Rejected) and r.envelope is not None
    }
    from core.ingest.kafka import read_topic

    letters: list[dict[str, str]] = []

    def keep(message: Any) -> None:
        letter = {name: bytes(value).decode() for name, value in message.headers() or ()}
        letters.append(letter | {"value": message.value().decode()})

    read_topic(
        KafkaOptions(broker.bootstrap, ("dead-letters",), start=StartPosition("earliest")),
        keep,
        idle_timeout=1.0,
    )
    assert len(letters) == len(rejected) == COUNT // 10
    for letter in letters:
        position = (int(letter["watchfloor.partition"]), int(letter["watchfloor.offset"]))
        assert letter["watchfloor.topic"] == topic
        assert letter["watchfloor.reason"] == rejected[position]
        assert letter["source"] == "test"  # the original headers travel with it
        assert letter["value"].startswith('{"alerts": [')


def test_live_from_a_time_applies_only_what_came_after_it(broker: Broker, topic: str) -> None:
    from tests.kafka.conftest import BASE_TIME_MS

    since = (BASE_TIME_MS + 60 * 1000) / 1000
    options = KafkaOptions(
        broker.bootstrap, (topic,), group="from-time", start=StartPosition("time", since)
    )
    feed = LiveConsumer(options, config=FAST_GROUP, commit_interval=0.1)
    feed.start()
    try:
        chunks = consume_all(feed, Engine(estate()), COUNT)  # every message is read ...
        wait_until(lambda: sum(feed.status().committed.values()) == COUNT, what="commits")
    finally:
        feed.stop()
    items = [item for c in chunks for item in c.items]
    times = sorted(i.envelope.ts for i in items if i.envelope is not None and i.envelope.ts)
    assert times == [(BASE_TIME_MS + n * 1000) / 1000 for n in range(60, COUNT)]  # ... from T on


def test_a_missing_topic_is_reported_not_hidden(broker: Broker) -> None:
    from console.kafka_source import describe_status

    feed = LiveConsumer(
        KafkaOptions(broker.bootstrap, ("no-such-topic",), group="missing"), config=FAST_GROUP
    )
    feed.start()
    try:
        wait_until(
            lambda: (
                "no-such-topic" in feed.status().error and feed.status().state is ConnectionState.UP
            ),  # the broker is fine; the topic not
            what="the topic error",
        )
        status = feed.status()
    finally:
        feed.stop()
    assert describe_status(status).startswith("waiting for partitions")
