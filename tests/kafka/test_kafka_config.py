"""Kafka options as operators give them: -X, properties files, start positions, secrets."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from console.app import UsageError as ConsoleUsageError
from console.app import parse_options
from core.cli import main
from core.ingest.kafka_config import (
    MASK,
    KafkaConfigError,
    add_kafka_arguments,
    load_properties,
    options_from_args,
    parse_start,
    redacted,
)
from core.model import parse_time


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_kafka_arguments(parser)
    parser.add_argument("--dead-letter")
    return parser.parse_args(list(argv))


def test_properties_file_and_x_options_merge_with_x_winning(tmp_path: Path) -> None:
    props = tmp_path / "client.properties"
    props.write_text(
        "# cluster credentials\n"
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism = PLAIN\n"
        "! another comment style\n"
        "sasl.username: noc\n"
        "sasl.password=s3cr3t=with=equals\n"
        "\n"
        "fetch.wait.max.ms=500\n"
    )
    args = parse(
        "--kafka", "k1:9092,k2:9092", "--topic", "alerts,alerts-eu", "--topic", "alerts-us",
        "--group", "noc", "--kafka-config", str(props), "-X", "fetch.wait.max.ms=100",
    )  # fmt: skip
    options = options_from_args(args)
    assert options.topics == ("alerts", "alerts-eu", "alerts-us")
    assert options.properties["sasl.password"] == "s3cr3t=with=equals"
    assert options.properties["sasl.mechanism"] == "PLAIN"
    config = options.consumer_config()
    assert config["fetch.wait.max.ms"] == "100"
    assert config["group.id"] == "noc"
    assert config["enable.auto.commit"] is False  # commits follow the engine, never a timer
    assert config["bootstrap.servers"] == "k1:9092,k2:9092"


def test_secrets_never_appear_in_what_is_shown_or_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = {
        "sasl.password": "hunter2",
        "ssl.key.password": "pem-pass",
        "sasl.oauthbearer.client.secret": "oauth",
        "ssl.key.pem": "-----BEGIN PRIVATE KEY-----",
        "sasl.username": "noc",
    }
    shown = redacted(config)
    assert shown["sasl.username"] == "noc"
    for key in ("sasl.password", "ssl.key.password", "sasl.oauthbearer.client.secret"):
        assert shown[key] == MASK
    assert shown["ssl.key.pem"] == MASK
    args = parse("--kafka", "k:9092", "--topic", "t", "--group", "g", "-X", "sasl.password=hunter2")
    options = options_from_args(args)
    assert "hunter2" not in options.describe()
    assert "hunter2" not in repr(
        redacted({k: str(v) for k, v in options.consumer_config().items()})
    )
    # A malformed secret option is reported without its value.
    with pytest.raises(KafkaConfigError) as error:
        options_from_args(parse("--kafka", "k:9092", "--topic", "t", "-X", "sasl.password hunter2"))
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [("committed", "committed"), ("earliest", "earliest"), ("LATEST", "latest"), ("end", "latest")],
)
def test_start_positions(text: str, kind: str) -> None:
    assert parse_start(text).kind == kind


def test_start_at_a_time() -> None:
    start = parse_start("2026-11-26T02:20:00Z")
    assert start.kind == "time"
    assert start.time == parse_time("2026-11-26T02:20:00Z")
    assert parse_start("1764123600000").time == 1764123600.0  # epoch milliseconds
    with pytest.raises(KafkaConfigError):
        parse_start("yesterday-ish")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--kafka", "k:9092"], "--topic"),
        (["--kafka", "k:9092", "--topic", "t"], "--group"),  # committed needs a group
        (["--kafka", "k:9092", "--topic", "t", "--group", "g", "-X", "novalue"], "key=value"),
        (["--kafka", "k:9092", "--topic", "t", "--group", "g", "-X", "enable.auto.commit=true"],
         "managed by Watchfloor"),
        (["--kafka", "k:9092", "--topic", "t", "--from", "soon"], "--from"),
    ],
)  # fmt: skip
def test_unusable_options_are_one_line_errors(argv: list[str], message: str) -> None:
    with pytest.raises(KafkaConfigError, match=message):
        options_from_args(parse(*argv))


def test_properties_file_errors_name_the_line(tmp_path: Path) -> None:
    props = tmp_path / "bad.properties"
    props.write_text("security.protocol=SSL\nthis line is wrong\n")
    with pytest.raises(KafkaConfigError, match="line 2"):
        load_properties(props)
    with pytest.raises(KafkaConfigError, match="cannot read"):
        load_properties(tmp_path / "missing.properties")


def test_console_command_line_takes_kafka_options(tmp_path: Path) -> None:
    options = parse_options(["--kafka", "127.0.0.1:9092", "--topic", "alerts", "--from", "latest"])
    assert options.kafka is not None
    assert options.kafka.group is not None and options.kafka.group.startswith("watchfloor-")
    assert options.kafka.start.kind == "latest"
    with pytest.raises(ConsoleUsageError, match="--demo"):
        parse_options(["--demo", "--kafka", "k:9092", "--topic", "t"])
    with pytest.raises(ConsoleUsageError, match="need --kafka"):
        parse_options(["--topic", "t"])


def test_headless_commands_reject_bad_kafka_arguments_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    code = main(["record", "--kafka", "k:9092", "--topic", "t", "--out", str(tmp_path / "x" / "o")])
    assert code == 2
    assert "no such folder" in capsys.readouterr().err
    topology = tmp_path / "t.csv"
    topology.write_text("source,target\na,b\n")
    assert main(["analyze", "--topology", str(topology)]) == 2
    assert "--replay" in capsys.readouterr().err
    code = main(["analyze", "--topology", str(topology), "--replay", "r", "--kafka", "k:1",
                 "--topic", "t"])  # fmt: skip
    assert code == 2
    assert "not both" in capsys.readouterr().err
