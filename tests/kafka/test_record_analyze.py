"""`watchfloor record` and `analyze --kafka` against a real broker (tansu).

A three-partition topic with keys, headers and timestamps, some malformed
messages among the alerts: the recording keeps every message's envelope, and
replays to exactly the analysis `analyze --kafka` gives of the topic itself.
"""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main
from core.model import format_time
from tests.kafka.conftest import BASE_TIME_MS, Broker, alert_stream, topology_file

ROOT = Path(__file__).resolve().parents[2]
TOPIC = "noc-alerts"
COUNT = 60
MALFORMED_EVERY = 15


@pytest.fixture(scope="module")
def topic(broker: Broker) -> str:
    broker.create_topic(TOPIC, partitions=3)
    broker.produce(TOPIC, alert_stream(COUNT, malformed_every=MALFORMED_EVERY))
    return TOPIC


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def record(
    capsys: pytest.CaptureFixture[str], broker: Broker, out: Path, *extra: str
) -> list[dict]:
    code, _, err = run(
        capsys, "record", "--kafka", broker.bootstrap, "--topic", TOPIC, "--out", str(out),
        "--idle-timeout", "1.5", *extra,
    )  # fmt: skip
    assert code == 0, err
    with gzip.open(out) if out.suffix == ".gz" else out.open("rb") as handle:
        return [json.loads(line) for line in handle]


def test_record_keeps_partitions_offsets_keys_headers_and_timestamps(
    broker: Broker, topic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = record(capsys, broker, tmp_path / "alerts.ndjson.gz")
    assert len(lines) == COUNT
    assert {line["partition"] for line in lines} == {0, 1, 2}
    positions = {(line["partition"], line["offset"]) for line in lines}
    assert len(positions) == COUNT  # every message once
    for partition in (0, 1, 2):
        offsets = sorted(o for p, o in positions if p == partition)
        assert offsets == list(range(len(offsets)))  # no gap
    produced = {ts: (key, value, headers) for key, value, headers, ts in alert_stream(
        COUNT, malformed_every=MALFORMED_EVERY)}  # fmt: skip
    for line in lines:
        key, value, headers = produced[line["ts"]]
        assert key is not None and line["key"] == key.decode()
        assert line["headers"] == [
            [name, data.decode() if isinstance(data, bytes) else data] for name, data in headers
        ]
        if value.startswith(b'{"alerts": [ {'):
            assert line["value"] == value.decode()  # malformed: kept as text
        else:
            assert line["value"] == json.loads(value)


def test_recording_replays_to_exactly_the_analysis_of_the_topic(
    broker: Broker, topic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = topology_file(tmp_path)
    out = tmp_path / "alerts.ndjson"
    record(capsys, broker, out)
    code, replayed, err = run(capsys, "analyze", "--topology", str(topology), "--replay", str(out),
                              "--format", "json")  # fmt: skip
    assert code == 0, err
    code, live, err = run(
        capsys, "analyze", "--topology", str(topology), "--kafka", broker.bootstrap,
        "--topic", TOPIC, "--idle-timeout", "1.5", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    from_file, from_topic = json.loads(replayed), json.loads(live)
    assert from_topic["summary"]["records"] == COUNT
    assert from_topic["domains"], "the stream opens failure domains"
    # The same records in the same order: only the record names differ (line / message N).
    for report in (from_file, from_topic):
        for rejected in report["rejected"]:
            rejected["where"] = rejected["where"].split(" ", 2)[2]
    assert from_topic == from_file
    # Malformed messages are rejected with their topic, partition and offset.
    rejected = from_topic["rejected"]
    assert len(rejected) == COUNT // MALFORMED_EVERY
    assert all(r["where"].startswith(f"({TOPIC}/") and "@" in r["where"] for r in rejected)


def test_record_stops_after_max_messages_and_starts_at_a_time(
    broker: Broker, topic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(record(capsys, broker, tmp_path / "few.ndjson", "--max-messages", "7")) == 7
    since = BASE_TIME_MS + 40 * 1000
    lines = record(capsys, broker, tmp_path / "late.ndjson", "--from", format_time(since / 1000))
    assert sorted(line["ts"] for line in lines) == [
        BASE_TIME_MS + i * 1000 for i in range(40, COUNT)
    ]
    lines = record(capsys, broker, tmp_path / "none.ndjson", "--from", "latest")
    assert lines == []


def test_unreachable_broker_or_missing_topic_is_a_one_line_error(
    broker: Broker, topic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "record", "--kafka", broker.bootstrap, "--topic", "no-such-topic",
                       "--out", str(tmp_path / "x.ndjson"))  # fmt: skip
    assert code == 2
    assert "does not exist" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.ndjson").exists()
    from core.ingest.kafka import KafkaReadError, read_topic
    from core.ingest.kafka_config import KafkaOptions
    from tests.kafka.conftest import free_port

    options = KafkaOptions(f"127.0.0.1:{free_port()}", (TOPIC,), properties={
        "sasl.password": "hunter2"})  # fmt: skip
    with pytest.raises(KafkaReadError, match="cannot reach Kafka") as error:
        read_topic(options, lambda message: None, connect_timeout=1.0)
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_stopping_a_recording_keeps_everything_read(
    broker: Broker, topic: str, tmp_path: Path, stop: signal.Signals
) -> None:
    out = tmp_path / "stopped.ndjson"
    process = subprocess.Popen(
        [sys.executable, "-m", "console.app", "record", "--kafka", broker.bootstrap, "--topic",
         TOPIC, "--out", str(out), "--idle-timeout", "60"],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        for line in process.stderr:  # the recorder says when it has caught up
            if f"{COUNT} messages so far" in line:
                break
        process.send_signal(stop)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "stopped: interrupted" in err
    assert len(out.read_bytes().splitlines()) == COUNT
    assert not list(tmp_path.glob(".*.tmp"))
