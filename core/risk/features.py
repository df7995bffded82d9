"""Features a deployment gets from where it lands and what happened before it.

Three sources, each optional:

- the topology (`GraphTable`): how many components depend on the service,
  transitively (blast radius size) and how far (depth), its direct fan-in
  and fan-out, its tier, and how deep it sits below the entry points;
- a recorded alert stream (`Activity`): alerts that started on the service,
  on its direct neighbours and in its blast radius in the 24 hours before the
  deployment, and how many of those were still firing when it went out;
- the history's own outcomes (`OutcomeLog`): earlier deployments of the same
  service, and how many failed, in the previous 14 and 90 days.

No feature looks into the future of its row: everything is counted strictly
before the row's time (an alert or a deployment at the very same second does
not count), and an earlier deployment's outcome counts only once it is known
(`outcome_delay` after that deployment; 0 assumes failures show before the
next deployment, as rollbacks and incidents do).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from core.graph.blast import blast_radius
from core.ingest.mapping import DEFAULT_COMPONENT_LABELS, ComponentMapper
from core.model import AlertEvent, Status
from core.timeline import Record, timeline

if TYPE_CHECKING:
    from core.graph.topology import Topology

__all__ = [
    "ACTIVITY_FEATURES",
    "ACTIVITY_WINDOW",
    "GRAPH_FEATURES",
    "OUTCOME_FEATURES",
    "Activity",
    "GraphTable",
    "OutcomeLog",
]

FloatArray = npt.NDArray[np.float64]

GRAPH_FEATURES: tuple[str, ...] = (
    "blast_radius",
    "blast_depth",
    "fan_in",
    "fan_out",
    "graph_depth",
)
"""Numeric topology features; `tier` is added as a categorical one."""
TIER_FEATURE = "tier"
ACTIVITY_FEATURES: tuple[str, ...] = (
    "alerts_service_24h",
    "alerts_nearby_24h",
    "alerts_blast_24h",
    "firing_nearby",
)
OUTCOME_FEATURES: tuple[str, ...] = (
    "service_deploys_14d",
    "service_failures_14d",
    "service_deploys_90d",
    "service_failures_90d",
)
ACTIVITY_WINDOW = 24 * 3600.0
_DAY = 86400.0
_OUTCOME_WINDOWS = (14 * _DAY, 90 * _DAY)


# -- topology ------------------------------------------------------------------


@dataclass(slots=True)
class GraphTable:
    """Topology features of named components: component name -> numbers and tier."""

    rows: dict[str, list[float]] = field(default_factory=dict)
    tiers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, topology: Topology, names: Sequence[str]) -> GraphTable:
        """Features of every distinct name that resolves to a topology node."""
        table = cls()
        depth = _depth_below_entries(topology)
        for name in sorted(set(names)):
            node = topology.resolve(name) if name else None
            if node is None:
                continue
            radius = blast_radius(topology, [node])
            table.rows[name] = [
                float(len(radius) - 1),
                float(radius.depth),
                float(len(topology.dependents[node])),
                float(len(topology.dependencies[node])),
                float(depth[node]),
            ]
            table.tiers[name] = topology.component(node).tier or "unknown"
        return table

    def columns(self, services: Sequence[str]) -> dict[str, Any]:
        """Feature columns for these rows (NaN / None where the service is not in the table)."""
        values = np.full((len(services), len(GRAPH_FEATURES)), np.nan)
        tiers = np.empty(len(services), dtype=object)
        for i, name in enumerate(services):
            row = self.rows.get(name)
            if row is not None:
                values[i] = row
                tiers[i] = self.tiers.get(name)
        out: dict[str, Any] = {f: values[:, k] for k, f in enumerate(GRAPH_FEATURES)}
        out[TIER_FEATURE] = tiers
        return out

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "tiers": self.tiers}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GraphTable:
        return cls(
            rows={str(k): [float(x) for x in v] for k, v in data["rows"].items()},
            tiers={str(k): str(v) for k, v in data["tiers"].items()},
        )


def _depth_below_entries(topology: Topology) -> list[int]:
    """Hops from the nearest entry point (a component nothing depends on), -1 if none."""
    depth = [-1] * len(topology)
    frontier = [i for i in range(len(topology)) if not topology.dependents[i]]
    for i in frontier:
        depth[i] = 0
    hop = 0
    while frontier:
        hop += 1
        reached = []
        for u in frontier:
            for v in topology.dependencies[u]:
                if depth[v] < 0:
                    depth[v] = hop
                    reached.append(v)
        frontier = reached
    return depth


# -- alert activity -------------------------------------------------------------


@dataclass(slots=True)
class Activity:
    """When alert episodes started and ended, per topology node, from a recorded stream.

    An episode starts at the event time of the firing observation that opened
    it (when Watchfloor learnt of it, not the alert's own `startsAt`, which
    may be reported late) and ends at the event time of its resolve.
    """

    topology: Topology
    starts: dict[int, FloatArray]
    ends: dict[int, FloatArray]

    @classmethod
    def from_records(
        cls,
        topology: Topology,
        records: list[Record],
        labels: Sequence[str] = DEFAULT_COMPONENT_LABELS,
    ) -> Activity:
        mapper = ComponentMapper(topology, labels)
        firing: dict[str, int] = {}
        starts: dict[int, list[float]] = {}
        ends: dict[int, list[float]] = {}
        for when, item in timeline(records):
            if not isinstance(item, AlertEvent):
                continue
            fp = item.fingerprint
            if item.status is Status.FIRING:
                if fp in firing:
                    continue
                node = mapper.map(item.labels)
                if node is None:
                    continue
                firing[fp] = node
                starts.setdefault(node, []).append(when)
            elif fp in firing:
                ends.setdefault(firing.pop(fp), []).append(when)
        return cls(
            topology,
            {n: np.sort(np.asarray(v)) for n, v in starts.items()},
            {n: np.sort(np.asarray(v)) for n, v in ends.items()},
        )

    def columns(self, services: Sequence[str], times: FloatArray) -> dict[str, FloatArray]:
        """Activity features for rows (NaN where the service is not in the topology)."""
        n = len(services)
        out = {f: np.full(n, np.nan) for f in ACTIVITY_FEATURES}
        rows_of: dict[str, list[int]] = {}
        for i, name in enumerate(services):
            rows_of.setdefault(name, []).append(i)
        topology = self.topology
        for name, rows in rows_of.items():
            node = topology.resolve(name) if name else None
            if node is None:
                continue
            at = times[rows]
            nearby = topology.neighbours(node) - {node}
            blast = set(blast_radius(topology, [node]).nodes.tolist()) - {node}
            out["alerts_service_24h"][rows] = self._started(at, [node])
            out["alerts_nearby_24h"][rows] = self._started(at, nearby)
            out["alerts_blast_24h"][rows] = self._started(at, blast)
            out["firing_nearby"][rows] = self._firing(at, nearby | {node})
        return out

    def _gather(self, table: dict[int, FloatArray], nodes: Sequence[int] | set[int]) -> FloatArray:
        parts = [table[n] for n in nodes if n in table]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0)

    def _started(self, at: FloatArray, nodes: Sequence[int] | set[int]) -> FloatArray:
        starts = self._gather(self.starts, nodes)
        before = np.searchsorted(starts, at, side="left")  # strictly before the deployment
        since = np.searchsorted(starts, at - ACTIVITY_WINDOW, side="left")
        return (before - since).astype(np.float64)

    def _firing(self, at: FloatArray, nodes: Sequence[int] | set[int]) -> FloatArray:
        opened = np.searchsorted(self._gather(self.starts, nodes), at, side="left")
        closed = np.searchsorted(self._gather(self.ends, nodes), at, side="left")
        return (opened - closed).astype(np.float64)


# -- earlier outcomes -------------------------------------------------------------


@dataclass(slots=True)
class OutcomeLog:
    """Earlier deployments per service and whether they failed, in time order."""

    times: dict[str, FloatArray] = field(default_factory=dict)
    failed: dict[str, npt.NDArray[np.int8]] = field(default_factory=dict)
    delay: float = 0.0

    @classmethod
    def build(
        cls,
        services: Sequence[str],
        times: FloatArray,
        labels: npt.NDArray[np.int8],
        *,
        delay: float = 0.0,
    ) -> OutcomeLog:
        rows_of: dict[str, list[int]] = {}
        for i, name in enumerate(services):
            if name:
                rows_of.setdefault(name, []).append(i)
        log = cls(delay=delay)
        for name, rows in rows_of.items():
            order = np.argsort(times[rows], kind="stable")
            index = np.asarray(rows)[order]
            log.times[name] = times[index].astype(np.float64)
            log.failed[name] = labels[index].astype(np.int8)
        return log

    def since(self, start: float) -> OutcomeLog:
        """Only the deployments at or after `start` (what a saved model keeps)."""
        log = OutcomeLog(delay=self.delay)
        for name, times in self.times.items():
            keep = times >= start
            if keep.any():
                log.times[name] = times[keep]
                log.failed[name] = self.failed[name][keep]
        return log

    def columns(self, services: Sequence[str], times: FloatArray) -> dict[str, FloatArray]:
        """Counts of each row's service's earlier deployments and failures, known by then."""
        n = len(services)
        out = {f: np.zeros(n) for f in OUTCOME_FEATURES}
        rows_of: dict[str, list[int]] = {}
        for i, name in enumerate(services):
            rows_of.setdefault(name, []).append(i)
        for name, rows in rows_of.items():
            past = self.times.get(name)
            if past is None:
                continue
            failures = np.concatenate(([0], np.cumsum(self.failed[name], dtype=np.int64)))
            at = times[rows]
            # Known: deployed at least `delay` before, and strictly before this row.
            known = np.searchsorted(past + self.delay, at, side="left")
            known = np.minimum(known, np.searchsorted(past, at, side="left"))
            for window, deploys, failed in zip(
                _OUTCOME_WINDOWS, OUTCOME_FEATURES[0::2], OUTCOME_FEATURES[1::2], strict=True
            ):
                first = np.searchsorted(past, at - window, side="left")
                first = np.minimum(first, known)
                out[deploys][rows] = (known - first).astype(np.float64)
                out[failed][rows] = (failures[known] - failures[first]).astype(np.float64)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "delay": self.delay,
            "services": {
                name: [self.times[name].tolist(), self.failed[name].tolist()] for name in self.times
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutcomeLog:
        log = cls(delay=float(data["delay"]))
        for name, (times, failed) in data["services"].items():
            log.times[str(name)] = np.asarray(times, dtype=np.float64)
            log.failed[str(name)] = np.asarray(failed, dtype=np.int8)
        return log
