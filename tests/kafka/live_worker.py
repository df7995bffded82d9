"""A console stand-in for the kill test: consume with a group, apply, report, be killed.

Run as `python -m tests.kafka.live_worker BOOTSTRAP TOPIC GROUP`. Every applied
chunk is printed as `partition first last` (flushed) after the engine applied
it and the consumer was told; the test SIGKILLs the process mid-stream.
"""

from __future__ import annotations

import sys
import time

from core.engine import Engine
from core.ingest.kafka_config import KafkaOptions
from core.ingest.kafka_live import LiveConsumer
from tests.builders import estate
from tests.kafka.conftest import QUICK_EVICTION


def main() -> None:
    bootstrap, topic, group = sys.argv[1:4]
    engine = Engine(estate())
    feed = LiveConsumer(KafkaOptions(bootstrap, (topic,), group=group), config=QUICK_EVICTION,
                        commit_interval=0.1, chunk_messages=2)  # fmt: skip
    feed.start()
    while True:
        chunks = feed.take(3)  # slowly, so the kill lands mid-stream
        if not chunks:
            time.sleep(0.02)
            continue
        engine.apply([item for chunk in chunks for item in chunk.items])
        feed.mark_applied(chunks)
        for chunk in chunks:
            print(chunk.partition, chunk.first_offset, chunk.last_offset, flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
