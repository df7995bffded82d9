"""`watchfloor record` and `watchfloor analyze --kafka`: Kafka topics, headless.

`record` writes every message as a recorded envelope (DESIGN.md 3.2 shape 3:
timestamp, topic, partition, offset, key, headers and the payload), so the
file replays to the same domains as the live run, rejections included at their
offsets. `analyze --kafka` reads the topics the same way until they are idle
and analyses what it read exactly as `analyze --replay` would the recording.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.ingest.kafka_config import KafkaConfigError, KafkaOptions, add_kafka_arguments

if TYPE_CHECKING:
    from confluent_kafka import Message

    from core.analysis import Analysis
    from core.cli import Subparsers
    from core.engine import EngineConfig
    from core.graph.topology import Topology
    from core.timeline import Record

DEFAULT_IDLE_SECONDS = 5.0


def register(commands: Subparsers) -> None:
    record = commands.add_parser(
        "record",
        help="record Kafka topics to a replay file (NDJSON envelopes, optionally gzip)",
        description=(
            "Read Kafka topics and write every message, with its timestamp, topic, partition, "
            "offset, key and headers, as one NDJSON envelope a line. The file replays "
            "(--replay, analyze --replay) to the same domains as the live run. Stops when the "
            "topics are idle for --idle-timeout seconds, after --max-messages, or on Ctrl+C "
            "(what was read is kept). No offsets are committed."
        ),
    )
    add_kafka_arguments(record, required=True, default_from="earliest")
    record.add_argument(
        "--out", required=True, metavar="FILE", help="output file (.ndjson, or .ndjson.gz)"
    )
    add_reading_arguments(record)
    record.set_defaults(handler=_record)


def add_reading_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-messages", metavar="N", type=int, help="stop after N messages (default: no limit)"
    )
    parser.add_argument(
        "--idle-timeout",
        metavar="SECONDS",
        type=float,
        default=DEFAULT_IDLE_SECONDS,
        help=f"stop when no message arrived for this long (default: {DEFAULT_IDLE_SECONDS:g})",
    )


def kafka_options(args: argparse.Namespace) -> KafkaOptions:
    """The checked Kafka options of a headless command (raises UsageError)."""
    from core.cli import UsageError
    from core.ingest.kafka_config import options_from_args

    try:
        options = options_from_args(args)
    except KafkaConfigError as exc:
        raise UsageError(str(exc)) from None
    if args.max_messages is not None and args.max_messages < 1:
        raise UsageError("--max-messages: expected a positive number")
    if not args.idle_timeout > 0:
        raise UsageError("--idle-timeout: expected a positive number of seconds")
    return options


def _record(args: argparse.Namespace) -> int:
    from core.cli import UsageError
    from core.ingest.kafka import KafkaReadError, envelope_record, read_topic
    from core.ingest.replay import ReplayWriter

    options = kafka_options(args)
    out = Path(args.out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--out: no such folder: {str(folder)!r}")
    try:
        writer = ReplayWriter(out)
    except OSError as exc:
        raise UsageError(f"--out: cannot write {str(out)!r}: {exc.strerror or exc}") from None
    stopped = ""
    _stop_on_sigterm()
    with writer:

        def write(message: Message) -> None:
            writer.write(envelope_record(message))

        try:
            summary = read_topic(
                options,
                write,
                idle_timeout=args.idle_timeout,
                max_messages=args.max_messages,
                on_quiet=_caught_up,
            )
            stopped = summary.stopped
        except KafkaReadError as exc:
            raise UsageError(str(exc)) from None
        except KeyboardInterrupt:
            stopped = "interrupted"  # keep what was recorded
    print(
        f"watchfloor record: {writer.count:,} messages from {options.describe()} "
        f"to {out} (stopped: {stopped})",
        file=sys.stderr,
    )
    return 0


def _caught_up(messages: int) -> None:
    print(
        f"watchfloor record: {messages:,} messages so far, caught up; waiting for more "
        "(Ctrl+C stops and keeps them)",
        file=sys.stderr,
        flush=True,
    )


def _stop_on_sigterm() -> None:
    """`kill` ends a recording like Ctrl+C: what was read is kept, the file is complete."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def read_kafka_records(
    options: KafkaOptions, *, idle_timeout: float, max_messages: int | None = None
) -> list[Record]:
    """Decode the topics' messages, as their recording would decode, in arrival order.

    Each message is turned into its recorded envelope first, so the result is
    exactly what `load_records` gives for the file `record` writes, except
    that `where` says "message N" instead of "line N".
    """
    from core.ingest.decode import Decoder
    from core.ingest.kafka import envelope_record, read_topic
    from core.timeline import Record

    decoder = Decoder()
    records: list[Record] = []

    def decode(message: Message) -> None:
        number = len(records) + 1
        events, rejected = decoder.decode(envelope_record(message), f"message {number}")
        records.append(Record(number, (*events, *rejected)))

    read_topic(options, decode, idle_timeout=idle_timeout, max_messages=max_messages)
    return records


def analyze_kafka(
    args: argparse.Namespace,
    topology: Topology,
    *,
    at: float | None = None,
    config: EngineConfig | None = None,
) -> Analysis:
    """`analyze --kafka`: read the topics until idle, then analyse as a replay would."""
    from core.analysis import analyze_records
    from core.cli import UsageError
    from core.ingest.kafka import KafkaReadError

    options = kafka_options(args)
    try:
        records = read_kafka_records(
            options, idle_timeout=args.idle_timeout, max_messages=args.max_messages
        )
    except KafkaReadError as exc:
        raise UsageError(str(exc)) from None
    analysis = analyze_records(topology, records, at=at, config=config)
    analysis.source = options.describe()
    return analysis
