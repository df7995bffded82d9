"""Snapshot export and open times on the demo (02:45, one-hour window).

Printed per step as medians over the runs, in one process (imports excluded):
- build: analysis, selection, timeline, trends and relevant topology;
- redact: ip + hostnames over every part;
- images: the two PNGs drawn offscreen and encoded;
- pack: JSON, CSV, HTML report and the deterministic zip;
- read: open and verify the file, rebuild the state as of its time.

    python -m benchmarks.bench_snapshot [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "resources" / "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from console.snapshot_images import render_images
    from core.graph.layout import layout
    from core.graph.loaders import load_topology
    from core.model import parse_time
    from core.snapshot.archive import read_snapshot, snapshot_bytes
    from core.snapshot.content import SnapshotOptions, build_content, redact_content
    from core.snapshot.redact import Redactor, parse_patterns
    from core.timeline import load_records

    topology = load_topology(DEMO / "topology.json")
    records = load_records(DEMO / "alerts.ndjson.gz")
    options = SnapshotOptions(at=parse_time("2026-11-26T02:45:00Z"), positions=layout(topology))
    times: dict[str, list[float]] = {k: [] for k in ("build", "redact", "images", "pack", "read")}
    size = 0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.wfsnap"
        for _ in range(args.runs):
            t0 = time.perf_counter()
            content = build_content(topology, records, options)
            t1 = time.perf_counter()
            redacted = redact_content(content, Redactor(parse_patterns(["ip", "hostnames"]), b"k"))
            t2 = time.perf_counter()
            images = render_images(redacted)
            t3 = time.perf_counter()
            payload = snapshot_bytes(redacted, images)
            path.write_bytes(payload)
            t4 = time.perf_counter()
            read_snapshot(path).analyze()
            t5 = time.perf_counter()
            size = len(payload)
            for key, value in zip(
                times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True
            ):
                times[key].append(value)
    print(f"demo snapshot: {len(records)} records, {len(topology)} components, {size:,} bytes")
    for key, values in times.items():
        print(f"  {key:<7} median {statistics.median(values) * 1000:8.1f} ms  ({args.runs} runs)")
    total = sum(statistics.median(v) for k, v in times.items() if k != "read")
    print(f"  export  median {total * 1000:8.1f} ms (build + redact + images + pack)")


if __name__ == "__main__":
    main()
