"""The live Kafka feed: a consumer group polled off the GUI thread, at-least-once.

A worker thread polls the classic confluent-kafka consumer, decodes each
message into alert events and rejections (with topic, partition, offset, key,
headers and timestamp in the envelope), and queues them in per-partition
chunks. Whoever owns the engine (the console's `KafkaSource`, or a headless
loop) `take`s chunks in bounded slices, applies them, and then calls
`mark_applied`; only then does the worker commit those offsets. A crash
therefore loses nothing: what was not applied was not committed and is read
again on restart, and a re-applied alert is harmless (fingerprint identity).

Backpressure: the queue holds at most `max_buffered` items; when it is full
the worker stops fetching until the owner catches up (librdkafka keeps the
group membership alive meanwhile), so a burst of 100k messages costs memory
for one queue, not the window's responsiveness.

Connection state comes from librdkafka's error and statistics callbacks:
`DOWN` with the time it went down when every broker is unreachable, `UP`
again as soon as a broker answers. librdkafka reconnects by itself with
exponential backoff (`reconnect.backoff.ms` .. `reconnect.backoff.max.ms`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time as _time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from core.ingest.decode import Decoder
from core.ingest.kafka import before_start, decode_message, kafka_logger
from core.ingest.kafka_config import KafkaOptions, redacted
from core.ingest.kafka_dead_letter import DeadLetterTopic
from core.ingest.kafka_status import ConnectionState, LiveStatus, Partition, PartitionProgress
from core.model import AlertEvent, Rejected

if TYPE_CHECKING:
    from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

__all__ = ["Chunk", "ConnectionState", "LiveConsumer", "LiveStatus", "Partition"]

log = logging.getLogger("watchfloor.kafka")

Item = AlertEvent | Rejected

MAX_BUFFERED: Final = 50_000
_CHUNK_MESSAGES: Final = 256
_POLL_MESSAGES: Final = 1_000
_COMMIT_INTERVAL: Final = 0.5


@dataclass(frozen=True, slots=True)
class Chunk:
    """Decoded items of consecutive messages of one partition, up to `last_offset`."""

    topic: str
    partition: int
    first_offset: int
    last_offset: int
    items: list[Item]


class LiveConsumer:
    """A consumer group feeding decoded chunks to the engine's owner; commits after apply."""

    def __init__(
        self,
        options: KafkaOptions,
        *,
        max_buffered: int = MAX_BUFFERED,
        config: dict[str, Any] | None = None,
        commit_interval: float = _COMMIT_INTERVAL,
        chunk_messages: int = _CHUNK_MESSAGES,
    ) -> None:
        if options.group is None:
            raise ValueError("a live consumer needs a consumer group")
        self.options = options
        self.max_buffered = max_buffered
        self.commit_interval = commit_interval
        self.chunk_messages = max(1, chunk_messages)
        self._extra = dict(config or {})
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._chunks: deque[Chunk] = deque()
        self._buffered = 0
        self._partitions: dict[Partition, PartitionProgress] = {}
        self._committed: dict[Partition, int] = {}
        self._positioned: set[Partition] = set()
        self._state = ConnectionState.CONNECTING
        self._down_since: float | None = None
        self._error = ""
        self._problem = ""  # a subscribed topic that does not exist (until assigned)
        self._received = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._decoder = Decoder()
        self._cooperative = False

    # -- owner's side (any one thread) -------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchfloor-kafka", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Commit what was applied and leave the group; unapplied items are dropped."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def take(self, limit: int) -> list[Chunk]:
        """Up to about `limit` items (whole chunks, at least one when any) in arrival order."""
        taken: list[Chunk] = []
        count = 0
        with self._wake:
            chunks = self._chunks
            while chunks and (not taken or count + len(chunks[0].items) <= limit):
                chunk = chunks.popleft()
                taken.append(chunk)
                count += len(chunk.items)
            self._buffered -= count
            self._wake.notify_all()
        return taken

    def mark_applied(self, chunks: list[Chunk]) -> None:
        """The engine applied these chunks: their offsets may be committed now."""
        with self._lock:
            for chunk in chunks:
                info = self._partitions.get((chunk.topic, chunk.partition))
                if info is not None:
                    info.applied = chunk.last_offset + 1

    def status(self) -> LiveStatus:
        with self._lock:
            return LiveStatus(
                state=self._state,
                down_since=self._down_since,
                lag={tp: info.lag() for tp, info in sorted(self._partitions.items())},
                received=self._received,
                committed=dict(self._committed),
                buffered=self._buffered,
                error=self._problem or self._error,
            )

    # -- worker thread -----------------------------------------------------

    def _config(self) -> dict[str, Any]:
        overrides: dict[str, Any] = {
            "logger": kafka_logger(),
            "error_cb": self._on_error,
            "stats_cb": self._on_stats,
            "on_commit": self._on_commit,
        }
        config = self.options.consumer_config(**overrides)
        config.setdefault("statistics.interval.ms", 1_000)
        config.update(self._extra)
        return config

    def _run(self) -> None:
        from confluent_kafka import Consumer, KafkaException

        config = self._config()
        # cooperative-sticky rebalances hand over partitions incrementally.
        strategy = str(config.get("partition.assignment.strategy", ""))
        self._cooperative = "cooperative" in strategy.lower()
        log.info(
            "live consumer for %s: %s",
            self.options.describe(),
            redacted({k: str(v) for k, v in config.items() if not callable(v)}),
        )
        dead_letters = None
        try:
            consumer = Consumer(config)
            if self.options.dead_letter:
                dead_letters = DeadLetterTopic(self.options)
        except KafkaException as exc:
            self._fail(f"cannot start the Kafka consumer: {exc.args[0] if exc.args else exc}")
            return
        try:
            consumer.subscribe(
                list(self.options.topics),
                on_assign=self._on_assign,
                on_revoke=self._on_revoke,
                on_lost=self._on_revoke,
            )
            self._loop(consumer, dead_letters)
        except Exception as exc:  # never lose the thread silently
            log.exception("live consumer stopped")
            self._fail(f"Kafka consumer stopped: {exc}")
        finally:
            self._final_commit(consumer, dead_letters)
            try:
                consumer.close()
            except Exception:  # closing a consumer whose broker is gone
                log.warning("closing the Kafka consumer failed", exc_info=True)
            with self._lock:
                if self._state is not ConnectionState.FAILED:
                    self._state = ConnectionState.STOPPED

    def _loop(self, consumer: Consumer, dead_letters: DeadLetterTopic | None) -> None:
        last_commit = _time.monotonic()
        while not self._stop.is_set():
            now = _time.monotonic()
            if now - last_commit >= self.commit_interval:
                self._commit(consumer, dead_letters, asynchronous=True)
                last_commit = now
            with self._wake:
                if self._buffered >= self.max_buffered:
                    # Backpressure: the owner has not caught up; wait instead of fetching.
                    self._wake.wait(0.05)
                    continue
            messages = consumer.consume(_POLL_MESSAGES, timeout=0.1)
            if dead_letters is not None:
                dead_letters.poll()
            if messages:
                self._receive(messages, dead_letters)

    def _receive(self, messages: list[Message], dead_letters: DeadLetterTopic | None) -> None:
        from confluent_kafka import KafkaError

        chunks: list[Chunk] = []
        current: Chunk | None = None
        received = 0
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    self._on_error(error)
                continue
            received += 1
            events: list[AlertEvent] = []
            rejected: list[Rejected] = []
            # A message before --from TIME is read (its offset is committed) but not applied.
            if not before_start(message, self.options):
                events, rejected = decode_message(self._decoder, message)
            if rejected and dead_letters is not None:
                dead_letters.send(message, rejected)
            topic = message.topic() or ""
            partition, offset = message.partition() or 0, message.offset() or 0
            if (
                current is None
                or current.topic != topic
                or current.partition != partition
                or current.last_offset - current.first_offset + 1 >= self.chunk_messages
            ):
                current = Chunk(topic, partition, offset, offset, [])
                chunks.append(current)
            else:
                current = Chunk(topic, partition, current.first_offset, offset, current.items)
                chunks[-1] = current
            current.items.extend(events)
            current.items.extend(rejected)
        if not received:
            return
        with self._wake:
            for chunk in chunks:
                info = self._partitions.setdefault(
                    (chunk.topic, chunk.partition), PartitionProgress()
                )
                if info.start < 0:
                    info.start = chunk.first_offset
                info.received = chunk.last_offset + 1
                self._chunks.append(chunk)
                self._buffered += len(chunk.items)
            self._received += received
            self._set_up()

    def _commit(
        self, consumer: Consumer, dead_letters: DeadLetterTopic | None, *, asynchronous: bool
    ) -> None:
        from confluent_kafka import KafkaException, TopicPartition

        with self._lock:
            pending = [
                TopicPartition(topic, partition, info.applied)
                for (topic, partition), info in self._partitions.items()
                if info.applied >= 0 and self._committed.get((topic, partition)) != info.applied
            ]
        if not pending:
            return
        if dead_letters is not None and not dead_letters.flush(5.0):
            return  # dead letters not yet delivered: do not commit past them
        try:
            if asynchronous:
                consumer.commit(offsets=pending, asynchronous=True)
            else:
                self._on_commit(None, consumer.commit(offsets=pending, asynchronous=False))
        except KafkaException as exc:
            log.info("commit deferred: %s", exc.args[0] if exc.args else exc)

    def _final_commit(self, consumer: Consumer, dead_letters: DeadLetterTopic | None) -> None:
        try:
            with self._lock:
                up = self._state is ConnectionState.UP
            # A synchronous commit waits for the coordinator; with the cluster down
            # it would hang, and the offsets are simply read again next time.
            self._commit(consumer, dead_letters, asynchronous=not up)
        except Exception:
            log.warning("final commit failed", exc_info=True)

    # -- librdkafka callbacks (worker thread, inside poll/consume) ----------

    def _on_commit(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        if error is not None:
            log.info("commit failed: %s", error.str() if hasattr(error, "str") else error)
            return
        with self._lock:
            for tp in partitions:
                if tp.error is None and tp.offset >= 0:
                    self._committed[(tp.topic, tp.partition)] = tp.offset

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, KafkaException, TopicPartition

        start = self.options.start
        fresh = [tp for tp in partitions if (tp.topic, tp.partition) not in self._positioned]
        if fresh and start.kind != "committed":
            # --from earliest/latest/TIME positions each partition once per run;
            # after a rebalance the committed offsets (what was applied) win.
            if start.kind == "time" and start.time is not None:
                millis = int(start.time * 1000)
                try:
                    found = consumer.offsets_for_times(
                        [TopicPartition(tp.topic, tp.partition, millis) for tp in fresh], 10.0
                    )
                except KafkaException as exc:
                    log.warning("offsets for time failed: %s", exc)
                    found = []
                offsets = {(tp.topic, tp.partition): tp.offset for tp in found}
                for tp in fresh:
                    offset = offsets.get((tp.topic, tp.partition), -1)
                    tp.offset = offset if offset >= 0 else OFFSET_END
            else:
                for tp in fresh:
                    tp.offset = OFFSET_BEGINNING if start.kind == "earliest" else OFFSET_END
        with self._lock:
            self._problem = ""
            for tp in partitions:
                key = (tp.topic, tp.partition)
                self._positioned.add(key)
                self._partitions.setdefault(key, PartitionProgress())
        if self._cooperative:
            consumer.incremental_assign(partitions)
        else:
            consumer.assign(partitions)
        log.info("assigned %s", ", ".join(f"{tp.topic}/{tp.partition}" for tp in partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Another member takes these over: commit what was applied, drop the rest."""
        from confluent_kafka import KafkaException, TopicPartition

        keys = {(tp.topic, tp.partition) for tp in partitions}
        with self._wake:
            commit = [
                TopicPartition(topic, partition, self._partitions[(topic, partition)].applied)
                for topic, partition in keys
                if (topic, partition) in self._partitions
                and self._partitions[(topic, partition)].applied >= 0
            ]
            kept = deque(c for c in self._chunks if (c.topic, c.partition) not in keys)
            self._buffered = sum(len(c.items) for c in kept)
            self._chunks = kept
            for key in keys:
                self._partitions.pop(key, None)
            self._wake.notify_all()
        if commit:
            try:
                consumer.commit(offsets=commit, asynchronous=False)
            except KafkaException as exc:
                log.info("commit on revoke failed: %s", exc.args[0] if exc.args else exc)
        with contextlib.suppress(KafkaException):
            if self._cooperative:
                consumer.incremental_unassign(partitions)
            else:
                consumer.unassign()

    def _on_error(self, error: KafkaError) -> None:
        from confluent_kafka import KafkaError

        code = error.code()
        text = error.str()
        if error.fatal() or code in (
            KafkaError._AUTHENTICATION,
            KafkaError.SASL_AUTHENTICATION_FAILED,
            KafkaError.TOPIC_AUTHORIZATION_FAILED,
            KafkaError.GROUP_AUTHORIZATION_FAILED,
        ):
            self._fail(text)
            return
        with self._lock:
            repeated = text == self._error
            self._error = text
            if code in (KafkaError._ALL_BROKERS_DOWN, KafkaError._RESOLVE):
                self._set_down()
            elif code in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._UNKNOWN_TOPIC):
                self._problem = text
        if not repeated:
            log.info("kafka: %s", text)

    def _on_stats(self, payload: str) -> None:
        try:
            stats = json.loads(payload)
        except ValueError:
            return
        brokers = [b for b in stats.get("brokers", {}).values() if b.get("nodeid", -1) >= 0]
        with self._lock:
            if any(b.get("state") == "UP" for b in brokers):
                self._set_up()
            elif brokers and self._state is ConnectionState.UP:
                self._set_down()
            for topic, topic_stats in stats.get("topics", {}).items():
                for number, part in topic_stats.get("partitions", {}).items():
                    info = self._partitions.get((topic, int(number)))
                    if info is None:
                        continue
                    high = int(part.get("hi_offset", -1))
                    if high >= 0:
                        info.high = high
                    info.stats_lag = int(part.get("consumer_lag", -1))

    # -- state (lock held) ---------------------------------------------------

    def _set_up(self) -> None:
        if self._state in (ConnectionState.CONNECTING, ConnectionState.DOWN):
            if self._down_since is not None:
                log.info("Kafka is reachable again after %.0f s", _time.time() - self._down_since)
            self._state = ConnectionState.UP
            self._down_since = None
            self._error = ""

    def _set_down(self) -> None:
        if self._state in (ConnectionState.UP, ConnectionState.CONNECTING):
            self._state = ConnectionState.DOWN
            self._down_since = _time.time()
            log.warning("Kafka at %s is unreachable; reconnecting", self.options.bootstrap)

    def _fail(self, text: str) -> None:
        with self._lock:
            self._state = ConnectionState.FAILED
            self._error = text
        log.error("kafka: %s", text)
        self._stop.set()
