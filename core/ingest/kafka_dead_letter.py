"""The optional dead-letter topic: rejected messages forwarded with where and why.

Each rejected message is produced unchanged (value, key, original headers) to
the dead-letter topic, with headers naming its source topic, partition,
offset and the rejection reason, so it can be inspected or re-driven later.
The live feed flushes this producer before committing offsets past a
rejected message, so a crash never loses a dead letter.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from core.ingest.kafka import kafka_logger
from core.ingest.kafka_config import KafkaOptions
from core.model import Rejected

if TYPE_CHECKING:
    from confluent_kafka import KafkaError, Message

__all__ = ["DeadLetterTopic"]

log = logging.getLogger("watchfloor.kafka")
_REASON_LIMIT = 1_000


class DeadLetterTopic:
    """A producer for `options.dead_letter` on the same cluster and security settings."""

    def __init__(self, options: KafkaOptions) -> None:
        from confluent_kafka import Producer

        if not options.dead_letter:
            raise ValueError("no dead-letter topic configured")
        self.topic = options.dead_letter
        config = options.producer_config()
        config["logger"] = kafka_logger()
        self._producer = Producer(config)
        self.sent = 0
        self.failed = 0

    def send(self, message: Message, rejected: list[Rejected]) -> None:
        """Queue the raw message with its origin and the reason it was rejected."""
        raw = message.headers() or []
        headers: list[tuple[str, str | bytes | None]] = (
            list(raw.items()) if isinstance(raw, dict) else list(raw)
        )
        headers += [
            ("watchfloor.topic", message.topic() or ""),
            ("watchfloor.partition", str(message.partition())),
            ("watchfloor.offset", str(message.offset())),
            ("watchfloor.reason", "; ".join(r.reason for r in rejected)[:_REASON_LIMIT]),
        ]
        for _attempt in range(2):
            try:
                self._producer.produce(
                    self.topic,
                    value=message.value(),
                    key=message.key(),
                    headers=headers,
                    on_delivery=self._delivered,
                )
                return
            except BufferError:  # the local queue is full: let it drain, once
                self._producer.poll(1.0)
        raise BufferError(f"dead-letter queue for {self.topic!r} stays full")

    def poll(self) -> None:
        """Serve delivery reports (call often)."""
        self._producer.poll(0)

    def flush(self, timeout: float) -> bool:
        """Wait for every queued dead letter; True when none is left undelivered."""
        return self._producer.flush(timeout) == 0

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.sent += 1
        else:
            self.failed += 1
            log.error("dead letter to %s not delivered: %s", self.topic, error.str())
