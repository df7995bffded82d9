"""Kafka records as alert input: envelopes, decoding, and reading a topic until idle.

A Kafka message keeps where it came from (topic, partition, offset), its key,
headers and timestamp in an `Envelope` (DESIGN.md 3.2 shape 3), live and in
recordings alike, so a rejected record names its offset and a recording
replays to the same analysis as the live run. `read_topic` is the headless
reader behind `watchfloor record` and `watchfloor analyze --kafka`: it assigns
the partitions directly (no group join to wait for) and stops when the topic
has been idle for a while or enough messages were read. The live console uses
`core.ingest.kafka_live` instead (a group, commits after apply).
"""

from __future__ import annotations

import logging
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import msgspec

from core.ingest.decode import Decoder
from core.ingest.generic import Result
from core.ingest.kafka_config import KafkaOptions, redacted
from core.model import Envelope

if TYPE_CHECKING:
    from confluent_kafka import Consumer, Message, TopicPartition

__all__ = [
    "KafkaReadError",
    "ReadSummary",
    "decode_message",
    "envelope_record",
    "message_envelope",
    "read_topic",
]

log = logging.getLogger("watchfloor.kafka")

LIVE_WHERE: Final = "kafka"
# confluent_kafka.TIMESTAMP_NOT_AVAILABLE, without an import per message.
_NO_TIMESTAMP: Final = 0
READER_GROUP: Final = "watchfloor-reader"


class KafkaReadError(Exception):
    """The broker cannot be reached, or a topic does not exist; one line for the operator."""


def _text(data: bytes | str) -> str:
    """Keys and header values as text; bytes that are not UTF-8 stay visible as escapes."""
    if isinstance(data, str):
        return data
    return bytes(data).decode("utf-8", errors="backslashreplace")


def message_envelope(message: Message) -> Envelope:
    """Where a message came from: topic, partition, offset, key, headers, timestamp."""
    kind, millis = message.timestamp()
    key = message.key()
    headers = message.headers()
    return Envelope(
        millis / 1000.0 if kind != _NO_TIMESTAMP and millis >= 0 else None,
        message.topic(),
        message.partition(),
        message.offset(),
        None if key is None else _text(key),
        tuple((str(pair[0]), "" if pair[1] is None else _text(pair[1])) for pair in headers)
        if headers
        else (),
    )


def decode_message(decoder: Decoder, message: Message) -> Result:
    """A live message's alert events and rejections, each carrying its envelope."""
    value = message.value()
    return decoder.decode(
        value if value is not None else b"", LIVE_WHERE, envelope=message_envelope(message)
    )


class _RecordedEnvelope(msgspec.Struct, omit_defaults=True):
    """One line of a recording (DESIGN.md 3.2 shape 3)."""

    ts: int | None
    topic: str | None
    partition: int | None
    offset: int | None
    key: str | None = None
    headers: list[tuple[str, str]] = []
    value: msgspec.Raw | str = ""


_ENCODER: Final = msgspec.json.Encoder()


def envelope_record(message: Message) -> bytes:
    """The recording line for a message: its envelope with the payload as JSON (or text).

    A payload that is valid JSON is kept as JSON (one line); anything else as
    text, so a malformed message is recorded too and replays to the same
    rejection at the same offset.
    """
    data = message.value() or b""
    value: msgspec.Raw | str
    try:
        msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        value = _text(data)
    else:
        value = msgspec.Raw(msgspec.json.format(data, indent=-1))
    kind, millis = message.timestamp()
    key = message.key()
    record = _RecordedEnvelope(
        ts=millis if kind != _NO_TIMESTAMP and millis >= 0 else None,
        topic=message.topic(),
        partition=message.partition(),
        offset=message.offset(),
        key=None if key is None else _text(key),
        headers=[
            (str(pair[0]), "" if pair[1] is None else _text(pair[1]))
            for pair in message.headers() or ()
        ],
        value=value,
    )
    return _ENCODER.encode(record)


@dataclass(slots=True)
class ReadSummary:
    """What `read_topic` read."""

    messages: int = 0
    partitions: int = 0
    stopped: str = ""  # "idle", "max-messages"


def before_start(message: Message, options: KafkaOptions) -> bool:
    """With `--from TIME`: a message timestamped before TIME is skipped.

    The broker's time index positions each partition (`offsets_for_times`);
    this also drops what a broker without a time index (tansu answers offset
    0) or an out-of-order producer timestamp would let through.
    """
    start = options.start
    if start.kind != "time" or start.time is None:
        return False
    _, millis = message.timestamp()
    return 0 <= millis < start.time * 1000


class _QuietRepeats(logging.Filter):
    """librdkafka repeats the same complaint on every reconnect attempt while a
    broker is down; log each distinct line once a minute, not once a second."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._seen: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        now = _time.monotonic()
        last = self._seen.get(text)
        if last is not None and now - last < self.interval:
            return False
        if len(self._seen) > 1_000:
            self._seen.clear()
        self._seen[text] = now
        return True


_LIBRDKAFKA = logging.getLogger("watchfloor.librdkafka")
_LIBRDKAFKA.addFilter(_QuietRepeats())
# Without a handler, Python's last-resort handler would print librdkafka's
# connection errors on stderr ahead of the command's own one-line reason; the
# source reports the connection state itself. A configured root logger still
# receives them.
_LIBRDKAFKA.addHandler(logging.NullHandler())


def kafka_logger() -> logging.Logger:
    """librdkafka's own log lines go to Python logging (repeats damped), not to stderr."""
    return _LIBRDKAFKA


def start_partitions(
    consumer: Consumer, options: KafkaOptions, timeout: float
) -> list[TopicPartition]:
    """Every partition of the topics, positioned at the start the options ask for."""
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaException, TopicPartition

    try:
        metadata = consumer.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise KafkaReadError(
            f"cannot reach Kafka at {options.bootstrap}: {_error_text(exc)}"
        ) from None
    partitions: list[TopicPartition] = []
    for topic in options.topics:
        found = metadata.topics.get(topic)
        if found is None or found.error is not None or not found.partitions:
            raise KafkaReadError(f"topic {topic!r} does not exist on {options.bootstrap}")
        partitions.extend(TopicPartition(topic, p) for p in sorted(found.partitions))
    start = options.start
    try:
        if start.kind == "earliest":
            for tp in partitions:
                tp.offset = OFFSET_BEGINNING
        elif start.kind == "latest":
            for tp in partitions:
                tp.offset = OFFSET_END
        elif start.kind == "time" and start.time is not None:
            millis = int(start.time * 1000)
            asked = [TopicPartition(tp.topic, tp.partition, millis) for tp in partitions]
            found_offsets = consumer.offsets_for_times(asked, timeout=timeout)
            partitions = [
                TopicPartition(tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_END)
                for tp in found_offsets
            ]
        else:  # committed, earliest where the group has none
            committed = consumer.committed(partitions, timeout=timeout)
            partitions = [
                TopicPartition(
                    tp.topic, tp.partition, tp.offset if tp.offset >= 0 else OFFSET_BEGINNING
                )
                for tp in committed
            ]
    except KafkaException as exc:
        raise KafkaReadError(f"cannot find the start offsets: {_error_text(exc)}") from None
    return partitions


def read_topic(
    options: KafkaOptions,
    on_message: Callable[[Message], None],
    *,
    idle_timeout: float = 5.0,
    max_messages: int | None = None,
    connect_timeout: float = 10.0,
    config: dict[str, Any] | None = None,
    on_quiet: Callable[[int], None] | None = None,
) -> ReadSummary:
    """Read the topics from the start position until idle for `idle_timeout` seconds.

    Calls `on_message` for every record in arrival order (per partition:
    offset order). `on_quiet(messages so far)` is called whenever the topics go
    quiet after new messages (caught up). Raises KafkaReadError when the broker
    or a topic is missing. No offsets are committed.
    """
    from confluent_kafka import Consumer, KafkaError

    settings = options.consumer_config(logger=kafka_logger(), **(config or {}))
    settings.setdefault("group.id", READER_GROUP)
    log.info(
        "reading %s with %s", options.describe(), redacted({k: str(v) for k, v in settings.items()})
    )
    consumer = Consumer(settings)
    summary = ReadSummary()
    try:
        partitions = start_partitions(consumer, options, connect_timeout)
        summary.partitions = len(partitions)
        consumer.assign(partitions)
        last_activity = _time.monotonic()
        reported = 0
        while True:
            want = 500 if max_messages is None else min(500, max_messages - summary.messages)
            messages = consumer.consume(want, timeout=0.2)
            now = _time.monotonic()
            for message in messages:
                error = message.error()
                if error is not None:
                    if error.code() != KafkaError._PARTITION_EOF:
                        log.warning("kafka: %s", error.str())
                        if error.fatal():
                            raise KafkaReadError(f"kafka: {error.str()}")
                    continue
                last_activity = now
                if before_start(message, options):
                    continue
                on_message(message)
                summary.messages += 1
            if not messages and on_quiet is not None and summary.messages != reported:
                reported = summary.messages
                on_quiet(reported)
            if max_messages is not None and summary.messages >= max_messages:
                summary.stopped = "max-messages"
                break
            if now - last_activity >= idle_timeout:
                summary.stopped = "idle"
                break
    finally:
        consumer.close()
    return summary


def _error_text(exc: BaseException) -> str:
    error = exc.args[0] if exc.args else exc
    text = error.str() if hasattr(error, "str") else str(error)
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
