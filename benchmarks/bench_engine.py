"""Engine throughput: decode + validate + apply, replay as fast as possible.

Budgets (DESIGN.md 5): >= 150,000 alert events/s on one core with a 100k-node
topology; failure-domain update per arrival amortised O(alpha(n)).

Prints, medians of several runs (the machine is noisy; compare the ratios):
- end-to-end events/s over NDJSON webhook lines (decode + engine.apply),
  and the same for engine.apply alone on pre-decoded events;
- Union-Find arrivals/s (FailureDomains.activate) next to recomputing the
  connected components of the alerting subgraph with networkx per arrival;
- resolves and re-fires of members of one large domain per second (DESIGN.md 5:
  a resolve re-splits only its own domain, and costs what splits off, not the
  domain), with the domain's size.

    .venv/bin/python benchmarks/bench_engine.py
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_blast_radius import layered_dag
from core.engine import Engine
from core.graph.domains import FailureDomains
from core.graph.topology import Topology
from core.ingest.decode import Decoder
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Rejected, format_time

NODES = 100_000
RECORDS = 200_000
DISTINCT_ALERTS = 20_000
RUNS = 5
SEED = 11
ALERTNAMES = ("HighErrorRate", "HighLatencyP99", "TargetDown", "PodCrashLooping", "DiskPressure")


def alert_stream(topology: Topology, records: int, seed: int) -> list[bytes]:
    """Webhook lines as Alertmanager sends them: new alerts, re-sends, resolves.

    About 70% re-sends of firing alerts (group_interval repeats), 15% new
    firings and 15% resolves, over DISTINCT_ALERTS label sets on random
    components, event times advancing by ~10 ms per record.
    """
    rng = random.Random(seed)
    pool = []
    for i in range(DISTINCT_ALERTS):
        component = topology.ids[rng.randrange(len(topology))]
        labels = {
            "alertname": ALERTNAMES[i % len(ALERTNAMES)],
            "service": component,
            "severity": rng.choice(("critical", "major", "warning", "info")),
            "cluster": "prod-eu",
            "namespace": f"team-{i % 17}",
        }
        pool.append((labels, alertmanager_fingerprint(labels)))
    firing: dict[int, float] = {}
    lines = []
    base = 1_790_000_000.0
    for n in range(records):
        now = base + n * 0.01
        roll = rng.random()
        if firing and roll < 0.70:
            index = rng.choice(list(firing)) if n % 64 == 0 else next(iter(firing))
            status, starts, ends = "firing", firing[index], None
        elif firing and roll < 0.85:
            index = next(iter(firing))
            status, starts, ends = "resolved", firing.pop(index), now
        else:
            index = rng.randrange(DISTINCT_ALERTS)
            starts = firing.setdefault(index, now)
            status, ends = "firing", None
        labels, fingerprint = pool[index]
        lines.append(webhook_line(labels, fingerprint, status, starts, ends))
    return lines


def webhook_line(
    labels: dict[str, str], fingerprint: str, status: str, starts: float, ends: float | None
) -> bytes:
    """One Alertmanager webhook notification carrying a single alert, as NDJSON bytes."""
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"{labels['alertname']} on {labels['service']}"},
        "startsAt": format_time(starts),
        "endsAt": format_time(ends) if ends is not None else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }
    payload = {
        "receiver": "noc",
        "status": status,
        "alerts": [alert],
        "groupLabels": {"alertname": labels["alertname"]},
        "commonLabels": labels,
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager.local",
        "version": "4",
        "groupKey": "{}:{alertname}",
        "truncatedAlerts": 0,
    }
    return json.dumps(payload, separators=(",", ":")).encode()


def grouped_stream(topology: Topology, records: int, seed: int) -> list[bytes]:
    """Notifications as Alertmanager sends them with `group_by: [alertname, namespace]`.

    Each record re-sends one group: all its firing alerts plus those resolved
    since the last notification; between notifications an alert may join
    (10%) or resolve (10%) in the group. Event times advance ~50 ms a record.
    """
    rng = random.Random(seed)
    groups: dict[tuple[str, str], dict[str, dict[str, object]]] = {}
    lines = []
    base = 1_790_000_000.0
    serial = 0
    keys = [(name, f"team-{t}") for name in ALERTNAMES for t in range(17)]
    for n in range(records):
        now = base + n * 0.05
        key = rng.choice(keys)
        group = groups.setdefault(key, {})
        resolved = []
        if not group or rng.random() < 0.10:
            serial += 1
            component = topology.ids[rng.randrange(len(topology))]
            labels = {
                "alertname": key[0],
                "namespace": key[1],
                "service": component,
                "severity": rng.choice(("critical", "major", "warning", "info")),
                "cluster": "prod-eu",
                "pod": f"{component}-{serial:06d}",
            }
            group[alertmanager_fingerprint(labels)] = {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": f"{key[0]} on {component}"},
                "startsAt": format_time(now),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.local/graph?g0.expr=up",
                "fingerprint": alertmanager_fingerprint(labels),
            }
        if len(group) > 1 and rng.random() < 0.10:
            fingerprint = rng.choice(sorted(group))
            alert = dict(group.pop(fingerprint))
            alert["status"] = "resolved"
            alert["endsAt"] = format_time(now)
            resolved.append(alert)
        alerts = [*group.values(), *resolved]
        payload = {
            "receiver": "noc",
            "status": "firing" if group else "resolved",
            "alerts": alerts,
            "groupLabels": {"alertname": key[0], "namespace": key[1]},
            "commonLabels": {"alertname": key[0], "namespace": key[1], "cluster": "prod-eu"},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager.local",
            "version": "4",
            "groupKey": f"{{}}:{{alertname={key[0]!r}, namespace={key[1]!r}}}",
            "truncatedAlerts": 0,
        }
        lines.append(json.dumps(payload, separators=(",", ":")).encode())
    return lines


def end_to_end(topology: Topology, lines: list[bytes]) -> tuple[float, int]:
    decoder = Decoder()
    engine = Engine(topology)
    start = time.perf_counter()
    batch: list[AlertEvent | Rejected] = []
    for number, line in enumerate(lines, start=1):
        events, rejects = decoder.decode(line, f"line {number}")
        batch.extend(events)
        batch.extend(rejects)
        if len(batch) >= 4096:
            engine.apply(batch)
            batch = []
    engine.apply(batch)
    return time.perf_counter() - start, engine.events_total


def engine_only(topology: Topology, events: list[AlertEvent]) -> float:
    engine = Engine(topology)
    start = time.perf_counter()
    for offset in range(0, len(events), 4096):
        engine.apply(events[offset : offset + 4096])
    return time.perf_counter() - start


def union_find_arrivals(topology: Topology, nodes: list[int]) -> float:
    domains = FailureDomains(topology)
    start = time.perf_counter()
    for t, node in enumerate(nodes):
        domains.activate(node, float(t))
    return time.perf_counter() - start


def large_domain_churn(topology: Topology, size: int, flips: int, seed: int) -> tuple[int, float]:
    """One domain of about `size` members; resolve and re-fire random members.

    Returns the largest domain's size and resolves + re-fires per second.
    """
    rng = random.Random(seed)
    root = min(range(len(topology)), key=lambda n: (-len(topology.dependents[n]), n))
    members = [root]
    seen = {root}
    for node in members:  # what depends on root, nearest first
        for other in topology.dependents[node]:
            if other not in seen and len(members) < size:
                seen.add(other)
                members.append(other)
    domains = FailureDomains(topology)
    for t, node in enumerate(members):
        domains.activate(node, float(t))
    largest = max(r.size for r in domains.records())
    picks = [rng.choice(members) for _ in range(flips)]
    start = time.perf_counter()
    for t, node in enumerate(picks, start=len(members)):
        domains.deactivate(node, float(t))
        domains.activate(node, float(t))
    return largest, 2 * flips / (time.perf_counter() - start)


def networkx_arrivals(graph: nx.Graph, nodes: list[int]) -> float:
    alerting: set[int] = set()
    start = time.perf_counter()
    for node in nodes:
        alerting.add(node)
        list(nx.connected_components(graph.subgraph(alerting)))
    return time.perf_counter() - start


def main() -> None:
    print(f"building a {NODES:,}-node layered dependency DAG ...")
    topology = layered_dag(NODES, 20, 3, SEED)
    print(f"  {len(topology):,} nodes, {topology.edge_count:,} edges")
    lines = alert_stream(topology, RECORDS, SEED)
    size = sum(len(line) for line in lines) / len(lines)
    print(f"{len(lines):,} webhook records, {size:.0f} bytes each on average")

    rates = []
    for _ in range(RUNS):
        seconds, events = end_to_end(topology, lines)
        rates.append(events / seconds)
    decoder = Decoder()
    events_list = [e for i, line in enumerate(lines) for e in decoder.decode(line, str(i))[0]]
    engine_rates = [len(events_list) / engine_only(topology, events_list) for _ in range(RUNS)]
    print("one alert per record, 30% of records new firings or resolves (worst case):")
    e2e = statistics.median(rates)
    print(f"  decode + validate + apply: {e2e:>10,.0f} events/s (median of {RUNS})")
    print(f"  engine.apply alone:        {statistics.median(engine_rates):>10,.0f} events/s")

    grouped = grouped_stream(topology, RECORDS // 4, SEED)
    decoder = Decoder()
    events_list = [e for i, line in enumerate(grouped) for e in decoder.decode(line, str(i))[0]]
    size = sum(len(line) for line in grouped) / len(grouped)
    print(
        f"Alertmanager-like grouped notifications: {len(grouped):,} records, "
        f"{len(events_list) / len(grouped):.1f} alerts and {size:,.0f} bytes per record:"
    )
    rates = []
    for _ in range(RUNS):
        seconds, events = end_to_end(topology, grouped)
        rates.append(events / seconds)
    engine_rates = [len(events_list) / engine_only(topology, events_list) for _ in range(RUNS)]
    e2e = statistics.median(rates)
    print(f"  decode + validate + apply: {e2e:>10,.0f} events/s (median of {RUNS})")
    print(f"  engine.apply alone:        {statistics.median(engine_rates):>10,.0f} events/s")
    engine = Engine(topology)
    engine.apply(events_list)
    start = time.perf_counter()
    views = engine.domains()
    seconds = time.perf_counter() - start
    print(
        f"  then ranking + impact of all {len(views):,} open domains: {seconds * 1000:,.0f} ms "
        f"({seconds * 1000 / max(1, len(views)):.2f} ms a domain; views are cached until changed)"
    )
    print("budget (DESIGN.md 5): 150,000 events/s decode + validate + apply, 100k-node topology")

    rng = random.Random(SEED)
    arrivals = rng.sample(range(len(topology)), 50_000)
    uf = statistics.median(
        len(arrivals) / union_find_arrivals(topology, arrivals) for _ in range(3)
    )
    undirected = nx.Graph()
    undirected.add_nodes_from(range(len(topology)))
    undirected.add_edges_from((i, j) for i, deps in enumerate(topology.dependencies) for j in deps)
    few = arrivals[:300]
    nx_rate = len(few) / networkx_arrivals(undirected, few)
    print(f"Union-Find arrivals:       {uf:>12,.0f} arrivals/s (50,000 arrivals, with bridging)")
    print(f"networkx recompute:        {nx_rate:>12,.0f} arrivals/s (first 300 arrivals)")
    print(f"ratio Union-Find / networkx: {uf / nx_rate:,.0f}x")
    for size in (500, 5_000):
        runs = [large_domain_churn(topology, size, 2_000, SEED + run) for run in range(3)]
        largest = runs[0][0]
        rate = statistics.median(rate for _, rate in runs)
        print(
            f"resolve + re-fire in a {largest:,}-member domain: {rate:>10,.0f} updates/s "
            f"(median of {len(runs)})"
        )


if __name__ == "__main__":
    main()
