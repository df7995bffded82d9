"""Embedded history: insert rate, recording with lifecycle, and queries over 1M stored events.

Prints (medians where repeated; the machine is noisy, compare ratios in one run):
- raw insert (median of 3): observations/s through `HistoryWriter` (executemany, one
  transaction per drained batch, WAL) for EVENTS Alertmanager-like events;
- recording: observations/s when the writer also runs its engine over them
  (episodes + domain lifecycle, as the console records), 10k components, one
  run (it also builds the store the queries run on);
- queries over that store of EVENTS events: alerts per
  minute by severity over a day and over the whole span, the shift report
  (MTTA/MTTR per domain + noisiest components), and loading everything up to
  a time for time travel.

    .venv/bin/python benchmarks/bench_history.py [--events N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_blast_radius import layered_dag
from core.graph.topology import Topology
from core.history.reader import HistoryReader
from core.history.writer import HistoryWriter, SourceInfo
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Severity, Status

EVENTS = 1_000_000
NODES = 10_000
DISTINCT_ALERTS = 20_000
CHUNK = 10_000
RUNS = 5
SEED = 5
NAMES = ("HighErrorRate", "HighLatencyP99", "TargetDown", "PodCrashLooping", "DiskPressure")
SEVERITIES = (Severity.CRITICAL, Severity.MAJOR, Severity.WARNING, Severity.INFO)


def stream(
    topology: Topology, count: int, seed: int, base: float
) -> list[tuple[float, AlertEvent]]:
    """~70% re-sends, 15% new firings, 15% resolves over DISTINCT_ALERTS label sets,
    event time advancing 0.1 s per event (1M events: ~28 hours)."""
    rng = random.Random(seed)
    pool = []
    for i in range(DISTINCT_ALERTS):
        component = topology.ids[rng.randrange(len(topology))]
        severity = rng.choice(SEVERITIES)
        labels = {
            "alertname": NAMES[i % len(NAMES)],
            "service": component,
            "severity": severity.label,
            "cluster": "prod-eu",
            "namespace": f"team-{i % 17}",
        }
        pool.append((labels, alertmanager_fingerprint(labels), severity))
    firing: dict[int, float] = {}
    items = []
    for n in range(count):
        now = base + n * 0.1
        roll = rng.random()
        if firing and roll < 0.70:
            index = next(iter(firing))
            status, starts, ends = Status.FIRING, firing[index], None
        elif firing and roll < 0.85:
            index = next(iter(firing))
            status, starts, ends = Status.RESOLVED, firing.pop(index), now
        else:
            index = rng.randrange(DISTINCT_ALERTS)
            starts = firing.setdefault(index, now)
            status, ends = Status.FIRING, None
        labels, fingerprint, severity = pool[index]
        annotations = {"summary": f"{labels['alertname']} on {labels['service']}"}
        event = AlertEvent(
            fingerprint, status, labels, annotations, starts, ends, now, severity,
            origin=f"line {n + 1}",
        )  # fmt: skip
        items.append((now, event))
    return items


def write(
    path: Path, info: SourceInfo, items: list[tuple[float, AlertEvent]], topology: Topology | None
) -> float:
    """Seconds from the first queued item to the last one committed."""
    writer = HistoryWriter(path)
    started = time.perf_counter()
    handle = writer.open_source(info, topology=topology)
    for offset in range(0, len(items), CHUNK):
        writer.add_items(handle, offset, items[offset : offset + CHUNK])
        while writer.pending > 8 * CHUNK:  # a producer a little ahead, as the console is
            time.sleep(0.001)
    assert writer.flush(timeout=None), writer.error
    seconds = time.perf_counter() - started
    writer.close()
    return seconds


def median_ms(call: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=EVENTS)
    args = parser.parse_args()
    topology = layered_dag(NODES, 5, 2, SEED)
    items = stream(topology, args.events, SEED, 1_790_000_000.0)
    with tempfile.TemporaryDirectory() as folder:
        runs = [
            write(Path(folder) / f"raw{n}.sqlite", SourceInfo("bench:raw", "raw"), items, None)
            for n in range(3)
        ]
        seconds = statistics.median(runs)
        print(
            f"raw insert: {len(items):,} events in {seconds:.2f} s (median of 3)"
            f" = {len(items) / seconds:,.0f} events/s"
        )
        path = Path(folder) / "history.sqlite"
        seconds = write(path, SourceInfo("bench:recorded", "recorded"), items, topology)
        print(
            f"recording with the writer's engine (episodes + domain lifecycle): {len(items):,} "
            f"events in {seconds:.2f} s = {len(items) / seconds:,.0f} events/s"
        )
        with HistoryReader(path) as reader:
            stats = reader.stats()
            print(
                f"store: {stats['events']:,} events, {stats['episodes']:,} episodes, "
                f"{stats['domain_steps']:,} domain steps, {stats['bytes'] / 1e6:,.0f} MB"
            )
            span = reader.time_span()
            assert span is not None
            first, last = span
            day = (last - 86_400, last)
            print(
                "alerts per minute, last 24 h: "
                f"{median_ms(lambda: reader.alert_counts(*day)):.1f} ms"
            )
            print(
                "alerts per minute, whole span "
                f"({(last - first) / 3600:.0f} h): "
                f"{median_ms(lambda: reader.alert_counts(first, last)):.1f} ms"
            )
            print(
                f"shift report (12 h, MTTA/MTTR + noisiest): "
                f"{median_ms(lambda: reader.shift_report(last - 43_200, last)):.1f} ms"
            )
            print(
                f"noisiest components, last 24 h: {median_ms(lambda: reader.noisiest(*day)):.1f} ms"
            )
            middle = first + (last - first) / 2
            print(
                f"time travel load, everything up to the middle: "
                f"{median_ms(lambda: reader.records_until(middle), runs=3):.0f} ms"
            )


if __name__ == "__main__":
    main()
