"""A history writer that never stops on its own: the kill test runs it and SIGKILLs it.

Usage: python -m tests.core.history.writer_process DB BATCH
Queues batches of BATCH events as fast as it can and prints the highest
committed sequence number after every commit ("committed N"), flushed.
"""

from __future__ import annotations

import sys
import time

from core.history.writer import CommitStats, HistoryWriter, SourceInfo
from core.model import Status
from tests.builders import event


def main() -> None:
    path, size = sys.argv[1], int(sys.argv[2])

    def committed(stats: CommitStats) -> None:
        for last in stats.last_seq.values():
            print(f"committed {last}", flush=True)

    writer = HistoryWriter(path, on_commit=committed)
    handle = writer.open_source(SourceInfo("test:kill", "kill test"))
    seq = 0
    while True:
        batch = []
        for n in range(seq, seq + size):
            status = Status.FIRING if n % 3 else Status.RESOLVED
            item = event(f"c{n % 97}", at=1_000_000.0 + n, status=status, name=f"A{n % 1013}")
            batch.append((item.event_time, item))
        writer.add_items(handle, seq, batch)
        seq += size
        while writer.pending > 4 * size:  # keep a batch or two queued, always writing
            time.sleep(0.001)


if __name__ == "__main__":
    main()
