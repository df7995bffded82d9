"""Decode throughput of core.ingest.decode.Decoder, next to stdlib json.loads.

Run: `python benchmarks/bench_decode.py`. Prints alert events per second
(median of several runs) for the record shapes of DESIGN.md 3.2, built from
~420-byte Alertmanager alerts. The budget (DESIGN.md 5) is 150k events/s for
decode + engine together, so decode alone should stay well above 300k/s.
Figures vary with the machine; compare the ratios measured in one run.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.ingest.decode import Decoder
from core.ingest.fingerprint import alertmanager_fingerprint, clear_cache

RUNS = 7
RECORDS = 20_000
DISTINCT_ALERTS = 2_000  # alerts repeat (group_interval re-sends), as on a real stream
COLD = "cold: "


def make_alert(rng: random.Random, i: int, *, with_fingerprint: bool = True) -> dict[str, Any]:
    """One firing alert shaped like Alertmanager's, about 420 bytes of JSON."""
    host = f"node-{i:05d}"
    labels = {
        "alertname": rng.choice(["ServiceDown", "HighLatency", "HighErrorRate", "DiskFull"]),
        "cluster": rng.choice(["prod-eu", "prod-us"]),
        "instance": f"{host}:9100",
        "job": "node",
        "service": f"svc-{i % 300:03d}",
        "severity": rng.choice(["critical", "warning", "info"]),
    }
    alert: dict[str, Any] = {
        "status": "firing",
        "labels": labels,
        "annotations": {
            "summary": f"{labels['alertname']} on {host}",
            "description": f"{host} check failing",
        },
        "startsAt": f"2026-11-26T03:{i % 60:02d}:25.475506222Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph?g0.expr=up%3D%3D0",
    }
    if with_fingerprint:
        alert["fingerprint"] = alertmanager_fingerprint(labels)
    return alert


def compact(obj: object) -> bytes:
    """JSON as Alertmanager and `watchfloor record` write it: no spaces."""
    return json.dumps(obj, separators=(",", ":")).encode()


def webhook(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "receiver": "noc-webhook",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
    }


def build_shapes() -> dict[str, tuple[list[bytes], int]]:
    """Name -> (records, alert events per record)."""
    rng = random.Random(7)
    pool = [make_alert(rng, i) for i in range(DISTINCT_ALERTS)]
    bare = [make_alert(rng, i, with_fingerprint=False) for i in range(DISTINCT_ALERTS)]

    def pick(n: int) -> list[dict[str, Any]]:
        return [rng.choice(pool) for _ in range(n)]

    shapes: dict[str, tuple[list[bytes], int]] = {}
    shapes["webhook, 1 alert"] = (
        [compact(webhook(pick(1))) for _ in range(RECORDS)],
        1,
    )
    shapes["webhook, 10 alerts"] = (
        [compact(webhook(pick(10))) for _ in range(RECORDS // 10)],
        10,
    )
    shapes["envelope (webhook, 1 alert)"] = (
        [
            compact(
                {
                    "ts": 1795662985000 + n,
                    "topic": "alerts",
                    "partition": n % 3,
                    "offset": n,
                    "key": None,
                    "value": webhook(pick(1)),
                }
            )
            for n in range(RECORDS)
        ],
        1,
    )
    shapes["API v2 alert, no fingerprint"] = (
        [compact(rng.choice(bare)) for _ in range(RECORDS)],
        1,
    )
    # Worst case: every alert new (distinct labels and times), caches cold each run.
    fresh = [make_alert(rng, DISTINCT_ALERTS + i) for i in range(RECORDS)]
    for n, alert in enumerate(fresh):
        alert["startsAt"] = f"2026-11-26T03:16:{n % 60:02d}.{n:09d}Z"
    shapes[COLD + "webhook, 10 new alerts"] = (
        [compact(webhook(fresh[i : i + 10])) for i in range(0, RECORDS, 10)],
        10,
    )
    for alert in fresh:
        del alert["fingerprint"]
    shapes[COLD + "API v2, new, no fingerprint"] = (
        [compact(alert) for alert in fresh],
        1,
    )
    return shapes


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_decoder(decoder: Decoder, records: list[bytes], wheres: list[str]) -> None:
    decode = decoder.decode
    for data, where in zip(records, wheres, strict=True):
        _found, rejected = decode(data, where)
        if rejected:
            raise SystemExit(f"benchmark input rejected: {rejected[0]}")


def run_json(records: list[bytes]) -> None:
    loads = json.loads
    for data in records:
        loads(data)


def run_msgspec(records: list[bytes]) -> None:
    decode = msgspec.json.decode
    for data in records:
        decode(data)


def main() -> None:
    alert_size = len(compact(make_alert(random.Random(1), 1)))
    print(f"alert ~{alert_size} bytes; medians of {RUNS} interleaved runs; {RECORDS} alerts a run")
    print(
        f"{'shape':34} {'Decoder ev/s':>13} {'json.loads':>11} {'ratio':>6}"
        f" {'msgspec untyped':>16} {'ratio':>6}"
    )
    for name, (records, per_record) in build_shapes().items():
        events = len(records) * per_record
        wheres = [f"line {i + 1}" for i in range(len(records))]
        decoder = Decoder()
        ours: list[float] = []
        stdlib: list[float] = []
        untyped: list[float] = []
        for _ in range(RUNS):  # interleaved, so all see the same machine noise
            if name.startswith(COLD):
                decoder = Decoder()
                clear_cache()
            ours.append(timed(partial(run_decoder, decoder, records, wheres)))
            stdlib.append(timed(partial(run_json, records)))
            untyped.append(timed(partial(run_msgspec, records)))
        rate = events / statistics.median(ours)
        json_rate = events / statistics.median(stdlib)
        msgspec_rate = events / statistics.median(untyped)
        print(
            f"{name:34} {rate:13,.0f} {json_rate:11,.0f} {rate / json_rate:5.2f}x"
            f" {msgspec_rate:16,.0f} {rate / msgspec_rate:5.2f}x"
        )


if __name__ == "__main__":
    main()
