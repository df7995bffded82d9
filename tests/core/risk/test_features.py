"""Derived features: topology figures match networkx, and nothing looks into the future."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from core.graph.topology import Topology
from core.risk.data import ColumnRoles, history_from_frame
from core.risk.design import build_context, design_matrix
from core.risk.features import GRAPH_FEATURES, Activity, GraphTable, OutcomeLog
from core.timeline import load_records

DAY = 86400.0


def test_topology_features_match_networkx(demo_topology: Topology) -> None:
    graph = demo_topology.to_networkx()
    names = ["orders-db-primary", "coredns", "search-api", "api-gw-1"]
    table = GraphTable.build(demo_topology, [*names, "not-a-component"])
    assert "not-a-component" not in table.rows
    for name in names:
        row = dict(zip(GRAPH_FEATURES, table.rows[name], strict=True))
        # An edge A -> B means A depends on B: B's dependents are its ancestors.
        dependents = nx.ancestors(graph, name)
        assert row["blast_radius"] == len(dependents)
        lengths = nx.single_source_shortest_path_length(graph.reverse(copy=False), name)
        assert row["blast_depth"] == max(lengths.values())
        assert row["fan_in"] == graph.in_degree(name)
        assert row["fan_out"] == graph.out_degree(name)
    assert (
        table.tiers["orders-db-primary"]
        == demo_topology.component(demo_topology.index["orders-db-primary"]).tier
    )
    # Depth: hops below the nearest entry point (a component nothing depends on).
    entries = [n for n in graph if graph.in_degree(n) == 0]
    depth = nx.multi_source_dijkstra_path_length(graph, entries)
    for name in names:
        assert table.rows[name][GRAPH_FEATURES.index("graph_depth")] == depth[name]


def _history(rows: list[tuple[str, float, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "deploy_id": [r[0] for r in rows],
            "time": [r[1] for r in rows],
            "service": [r[2] for r in rows],
            "change_size": [10 + i for i in range(len(rows))],
            "failed": [r[3] for r in rows],
        }
    )


def test_earlier_outcomes_count_strictly_before_and_after_the_delay() -> None:
    times = np.array([0.0, 10.0, 10.0, 20.0, 20.0 + 15 * DAY])
    services = ["a", "a", "a", "a", "a"]
    labels = np.array([1, 1, 0, 0, 0], dtype=np.int8)
    log = OutcomeLog.build(services, times, labels)
    cols = log.columns(services, times)
    # Row 1 and 2 share a time: neither sees the other.
    assert cols["service_deploys_14d"].tolist() == [0, 1, 1, 3, 0]
    assert cols["service_failures_14d"].tolist() == [0, 1, 1, 2, 0]
    assert cols["service_deploys_90d"].tolist() == [0, 1, 1, 3, 4]
    delayed = OutcomeLog.build(services, times, labels, delay=15.0)
    cols = delayed.columns(services, times)
    assert cols["service_failures_14d"].tolist() == [0, 0, 0, 1, 0]
    assert cols["service_failures_90d"].tolist() == [0, 0, 0, 1, 2]


def _replay(path: Path, alerts: list[tuple[str, str, float, str]]) -> Path:
    """A replay of API v2 alert observations: (name, component, event time, status)."""
    lines: list[str] = []
    for name, component, at, status in alerts:
        stamp = pd.Timestamp(at, unit="s", tz="UTC").isoformat().replace("+00:00", "Z")
        alert = {
            "labels": {"alertname": name, "component": component, "severity": "critical"},
            "annotations": {},
            "startsAt": stamp,
            "status": status,
        }
        if status == "resolved":
            alert["endsAt"] = stamp
        envelope = {
            "ts": at,
            "topic": "alerts",
            "partition": 0,
            "offset": len(lines),
            "value": alert,
        }
        lines.append(json.dumps(envelope))
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    return path


def test_alert_activity_counts_only_what_happened_before_the_deployment(
    tmp_path: Path, demo_topology: Topology
) -> None:
    t0 = 1_790_000_000.0
    dependency = demo_topology.ids[demo_topology.dependencies[demo_topology.index["orders-api"]][0]]
    replay = _replay(
        tmp_path / "r.ndjson.gz",
        [
            ("Old", "orders-api", t0 - 2 * DAY, "firing"),  # outside the 24 h window
            ("Down", "orders-api", t0 - 3600, "firing"),
            ("Dep", dependency, t0 - 60, "firing"),
            ("Down", "orders-api", t0 - 30, "resolved"),
            ("Same", "orders-api", t0, "firing"),  # at the deployment's own second
            ("After", "orders-api", t0 + 60, "firing"),
        ],
    )
    activity = Activity.from_records(demo_topology, load_records(replay))
    cols = activity.columns(["orders-api", "orders-api", "nowhere"], np.array([t0, t0 + 120, t0]))
    assert cols["alerts_service_24h"][0] == 1  # Down; not Old, Same or After
    assert cols["alerts_nearby_24h"][0] == 1  # Dep on a direct dependency
    assert cols["firing_nearby"][0] == 2  # Old and Dep still firing, Down resolved
    assert cols["alerts_service_24h"][1] == 3  # Down, Same, After
    assert np.isnan(cols["alerts_service_24h"][2])


def test_no_feature_of_a_row_changes_when_the_future_changes(
    tmp_path: Path, demo_topology: Topology
) -> None:
    """Features of rows up to T, computed from everything, equal those computed from the
    history and alerts up to T only; rewriting the future (outcomes, new deployments,
    new alerts) leaves them as they were."""
    rng = np.random.default_rng(5)
    services = ["orders-api", "search-api", "cart-api", "accounts-api"]
    t0 = 1_790_000_000.0
    times = np.sort(t0 + rng.uniform(0, 30 * DAY, 400).round())
    times[200] = times[199]  # a tie at the cut
    rows = [
        (f"D{i}", float(t), services[int(rng.integers(4))], int(rng.random() < 0.3))
        for i, t in enumerate(times)
    ]
    alerts = [
        (f"A{k}", services[int(rng.integers(4))], float(t0 + rng.uniform(0, 30 * DAY)), "firing")
        for k in range(120)
    ]
    cut = times[199]
    past_alerts = [a for a in alerts if a[2] <= cut]

    def features(rows_: list[tuple[str, float, str, int]], alerts_: list) -> pd.DataFrame:
        history = history_from_frame(_history(rows_), ColumnRoles())
        replay = _replay(tmp_path / f"r{len(alerts_)}-{len(rows_)}.ndjson.gz", alerts_)
        activity = Activity.from_records(demo_topology, load_records(replay))
        context = build_context(history, topology=demo_topology, activity=activity)
        table = design_matrix(history, context)
        table.index = history.ids
        return table

    everything = features(rows, alerts)
    known = [r for r in rows if r[1] <= cut]
    past_only = features(known, past_alerts)
    rewritten_future = [(r[0], r[1], r[2], 1 - r[3]) if r[1] > cut else r for r in rows] + [
        ("late", float(cut + 5), "orders-api", 1)
    ]
    more_alerts = [*alerts, ("Z", "orders-api", float(cut + 1), "firing")]
    rewritten = features(rewritten_future, more_alerts)

    ids = [r[0] for r in known]
    pd.testing.assert_frame_equal(everything.loc[ids], past_only.loc[ids])
    pd.testing.assert_frame_equal(everything.loc[ids], rewritten.loc[ids])
    # ... and the future did change the later rows, so the comparison can fail.
    later = [r[0] for r in rows if r[1] > cut]
    assert not everything.loc[later].equals(rewritten.loc[later])


def test_demo_history_gets_topology_and_outcome_features(demo_prepared) -> None:
    table = demo_prepared.table
    for name in (*GRAPH_FEATURES, "tier", "service_failures_14d"):
        assert name in table.columns
    assert table["blast_radius"].notna().all()
    assert (table["service_failures_14d"] <= table["service_deploys_14d"]).all()
