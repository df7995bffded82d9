"""Embedded history: insert rate, recording with lifecycle, and queries over 1M stored events.

Prints (medians where repeated; the machine is noisy, compare ratios in one run):
- raw insert (median of 3): observations/s through `HistoryWriter` (multi-row
  INSERTs, one transaction per drained batch, WAL) for EVENTS Alertmanager-like
  events;
- recording (median of 3): observations/s when the writer also runs its engine
  over them (episodes + domain lifecycle, as the console records), 10k
  components, by the writer thread (`HistoryWriter`, what `history import`
  uses) and by the writer process (`HistoryProcess`, what the console uses),
  timed from the source being open (its engine built: the seconds that takes
  are printed apart) to the last commit, next to the console engine's own
  `apply` rate on the very same events (median of 5, batches of 4096, runs
  interleaved with the recordings) and the ratio: a recording at >= 1x keeps
  up with an engine fed as fast as it can apply (the thread's first run also
  builds the store the queries run on); this stream is the worst case, one
  domain opened per ~7 events;
- recording beside a busy console (median of 3, the first BESIDE events): the
  same recordings while another thread applies the same events to an engine
  as fast as it can, with that engine's rate meanwhile (the writer thread
  shares its GIL, as it would the console's; the process does not);
- the same on bench_engine.py's Alertmanager-like grouped notifications (the
  stream of its 150,000 events/s budget, 100k components), with the console's
  decode + apply rate of those notifications;
- queries over that store of EVENTS events: alerts per
  minute by severity over a day and over the whole span, the shift report
  (MTTA/MTTR per domain + noisiest components), and loading everything up to
  a time for time travel.

    .venv/bin/python benchmarks/bench_history.py [--events N] [--grouped-records N]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_blast_radius import layered_dag
from benchmarks.bench_engine import end_to_end, engine_only, grouped_stream
from core.engine import Engine
from core.graph.topology import Topology
from core.history.process import HistoryProcess
from core.history.reader import HistoryReader
from core.history.writer import HistoryWriter, SourceInfo
from core.ingest.decode import Decoder
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Severity, Status

EVENTS = 1_000_000
NODES = 10_000
DISTINCT_ALERTS = 20_000
CHUNK = 10_000
RUNS = 5
SEED = 5
BESIDE = 100_000
GROUPED_NODES = 100_000  # as bench_engine.py
GROUPED_RECORDS = 50_000  # ~6 alerts each
GROUPED_SEED = 11
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
    return timed_write(path, info, items, topology)[1]


def timed_write(
    path: Path,
    info: SourceInfo,
    items: list[tuple[float, AlertEvent]],
    topology: Topology | None,
    kind: type[HistoryWriter | HistoryProcess] = HistoryWriter,
) -> tuple[float, float]:
    """(seconds to open the source, seconds from then until the last item is committed).

    Opening builds the writer's engine for the topology (and readies the scipy
    search of large blast radii): once per source, not per event. The items
    are queued from the start, as the console queues them; the writer takes
    them once the source is open, so the second figure is the recording rate.
    `kind`: the writer thread (`HistoryWriter`) or the writer process
    (`HistoryProcess`, as the console records).
    """
    writer = kind(path)
    opened: list[float] = []
    started = time.perf_counter()
    handle = writer.open_source(
        info, lambda *_: opened.append(time.perf_counter()), topology=topology
    )
    for offset in range(0, len(items), CHUNK):
        writer.add_items(handle, offset, items[offset : offset + CHUNK])
        while writer.pending > 12 * CHUNK:  # a producer a little ahead, as the console is
            time.sleep(0.001)
    assert writer.flush(timeout=None), writer.error
    done = time.perf_counter()
    writer.close()
    return opened[0] - started, done - opened[0]


WRITERS: tuple[tuple[str, type[HistoryWriter | HistoryProcess]], ...] = (
    ("thread", HistoryWriter),
    ("process", HistoryProcess),
)


def recording_vs_engine(
    folder: Path, name: str, topology: Topology, items: list[tuple[float, AlertEvent]]
) -> tuple[dict[str, tuple[float, float]], float]:
    """Per writer ("thread", "process"): median recording events/s once the source is
    open and median seconds to open it (3 runs each, the thread's first store kept at
    `folder/name`); and the console engine's median apply events/s on the same events
    (runs interleaved with the recordings).

    Each run starts with the events frozen out of the cyclic collector's reach, as
    the console's collector policy (console/gc_policy.py) freezes a loaded replay:
    otherwise the benchmark's own millions of objects, and what the previous run
    left, are scanned again and again by the process that sends them.
    """
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in WRITERS}
    applies = []
    events = [event for _, event in items]
    for n in range(3):
        for label, kind in WRITERS:
            gc.collect()
            gc.freeze()
            store = name if n == 0 and label == "thread" else f"{label}{n}-{name}"
            info = SourceInfo(f"bench:{name}", name)
            runs[label].append(timed_write(folder / store, info, items, topology, kind))
        applies.append(engine_only(topology, events))
    applies.extend(engine_only(topology, events) for _ in range(RUNS - 3))
    rates = {
        label: (
            len(items) / statistics.median(seconds for _, seconds in timed),
            statistics.median(opening for opening, _ in timed),
        )
        for label, timed in runs.items()
    }
    return rates, len(items) / statistics.median(applies)


def recording_text(rates: dict[str, tuple[float, float]], applying: float) -> str:
    return "; ".join(
        f"{label} writer {rate:,.0f} events/s = {rate / applying:.2f}x apply "
        f"(opening the source {opening:.2f} s)"
        for label, (rate, opening) in rates.items()
    )


def recording_beside_engine(
    folder: Path,
    topology: Topology,
    items: list[tuple[float, AlertEvent]],
    kind: type[HistoryWriter | HistoryProcess] = HistoryWriter,
) -> tuple[float, float]:
    """Recording events/s while a console engine thread applies the same events over and
    over (the GIL shared), and that engine's events/s meanwhile."""
    events = [event for _, event in items]
    stop = threading.Event()
    applied = [0]

    def console() -> None:
        while not stop.is_set():
            engine = Engine(topology)
            for offset in range(0, len(events), 512):
                if stop.is_set():
                    return
                part = events[offset : offset + 512]
                engine.apply(part)
                applied[0] += len(part)

    thread = threading.Thread(target=console, daemon=True)
    thread.start()
    try:
        info = SourceInfo("bench:beside", "beside")
        seconds = timed_write(folder, info, items, topology, kind)[1]
    finally:
        stop.set()
        thread.join()
    return len(items) / seconds, applied[0] / seconds


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
    parser.add_argument("--grouped-records", type=int, default=GROUPED_RECORDS)
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
        rates, applying = recording_vs_engine(Path(folder), path.name, topology, items)
        print(
            f"recording with the writer's engine (episodes + domain lifecycle), {len(items):,} "
            f"events, one domain opened per ~7, medians of 3: {recording_text(rates, applying)}; "
            f"console engine.apply on the same events: {applying:,.0f} events/s "
            f"(median of {RUNS})"
        )
        beside = items[:BESIDE]
        shared: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in WRITERS}
        for n in range(3):
            for label, kind in WRITERS:
                store = Path(folder) / f"beside-{label}{n}.sqlite"
                shared[label].append(recording_beside_engine(store, topology, beside, kind))
        for label, pairs in shared.items():
            print(
                f"{label} writer recording beside a console engine thread applying the same "
                f"{len(beside):,} events: {statistics.median(r for r, _ in pairs):,.0f} events/s "
                f"recorded, {statistics.median(a for _, a in pairs):,.0f} events/s applied "
                "meanwhile (medians of 3)"
            )
        grouped(Path(folder), args.grouped_records)
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


def grouped(folder: Path, records: int) -> None:
    """Recording vs the console engine on bench_engine.py's grouped notifications."""
    topology = layered_dag(GROUPED_NODES, 20, 3, GROUPED_SEED)
    lines = grouped_stream(topology, records, GROUPED_SEED)
    decoder = Decoder()
    events = [e for n, line in enumerate(lines) for e in decoder.decode(line, f"line {n}")[0]]
    items = [(event.event_time, event) for event in events]
    rates, applying = recording_vs_engine(folder, "grouped.sqlite", topology, items)
    decoding = statistics.median(n / s for s, n in (end_to_end(topology, lines) for _ in range(3)))
    recording = rates["thread"][0]
    print(
        f"grouped notifications (bench_engine.py, {GROUPED_NODES:,} components), "
        f"{len(items):,} events, medians of 3: {recording_text(rates, applying)}; "
        f"console engine.apply {applying:,.0f} events/s (median of {RUNS}), "
        f"decode + apply {decoding:,.0f} events/s (median of 3); thread writer / (decode + "
        f"apply) = {recording / decoding:.2f}x, process writer / (decode + apply) = "
        f"{rates['process'][0] / decoding:.2f}x"
    )


if __name__ == "__main__":
    main()
