"""Failure domains as views and reports show them, and how a view is built.

`build_domain_view` is a pure function of a `DomainInputs` snapshot, so the
engine builds views with it on demand and a console can build them on
another thread from inputs the engine handed out: the result is the same
(DESIGN.md 2: every result in the window can be reproduced by `analyze`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from core.graph.blast import blast_radius
from core.graph.ranking import Evidence, RankedCause, rank_root_causes
from core.graph.topology import Topology
from core.model import Severity

__all__ = [
    "DomainInputs",
    "DomainSummary",
    "DomainView",
    "Impact",
    "RootCause",
    "build_domain_view",
    "domain_order",
    "local_reach",
    "rank_members",
]


@dataclass(frozen=True, slots=True)
class RootCause:
    """A ranked root-cause candidate as reported (DESIGN.md 3.4)."""

    component: str
    score: float
    alerting: bool
    explains: int = 0
    reasons: tuple[str, ...] = ()


class Impact:
    """Non-alerting components in a domain's blast radius, with hop distances.

    Kept as index arrays (a failure low in a large estate can impact tens of
    thousands of components); ids are made only when asked for.
    """

    __slots__ = ("hops", "nodes", "topology")

    def __init__(self, topology: Topology, nodes: npt.NDArray[Any], hops: npt.NDArray[Any]) -> None:
        self.topology = topology
        self.nodes = nodes
        self.hops = hops

    def __len__(self) -> int:
        return int(self.nodes.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Impact):
            return NotImplemented
        return bool(
            np.array_equal(self.nodes, other.nodes) and np.array_equal(self.hops, other.hops)
        )

    __hash__ = None  # type: ignore[assignment]

    def ids(self, limit: int | None = None) -> tuple[str, ...]:
        """Component ids, nearest first (then by index)."""
        ids = self.topology.ids
        nodes = self.nodes.tolist() if limit is None else self.nodes[:limit].tolist()
        return tuple(ids[n] for n in nodes)


@dataclass(frozen=True, slots=True)
class DomainView:
    """A failure domain as views and reports show it."""

    id: str
    severity: Severity
    first_seen: float
    opened_at: float
    members: tuple[str, ...]
    root_causes: tuple[RootCause, ...]
    impact: Impact
    alerts: tuple[str, ...]

    @property
    def impacted(self) -> tuple[str, ...]:
        """Ids of the non-alerting components in the blast radius, nearest first."""
        return self.impact.ids()

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass(frozen=True, slots=True)
class DomainSummary:
    """What orders and labels a domain without ranking it: severity, size, onset."""

    id: str
    severity: Severity
    size: int
    first_seen: float
    opened_at: float

    @property
    def order_key(self) -> tuple[int, int, float, tuple[int, str]]:
        """`Engine.domains` order: worst severity, then size, then age, then id."""
        return (-self.severity, -self.size, self.first_seen, domain_order(self.id))


@dataclass(frozen=True, slots=True)
class DomainInputs:
    """What building one domain's view needs, taken from the engine between batches.

    Nothing in it changes afterwards (`alerting` is a copy of the flags), so
    `build_domain_view` can run on another thread while the engine goes on
    applying events, and gives exactly the view `Engine.domain` would have
    given at the moment the inputs were taken. `version` says which moment.
    """

    id: str
    opened_at: float
    version: int
    members: tuple[int, ...]
    evidence: Mapping[int, Evidence]
    alerts: tuple[tuple[float, str], ...]  # (startsAt, fingerprint) of the firing alerts
    alerting: bytes | bytearray  # 1 per alerting component

    @property
    def size(self) -> int:
        return len(self.members)


def build_domain_view(topology: Topology, inputs: DomainInputs, limit: int) -> DomainView:
    """Rank the domain's root causes and compute its impact (a pure function of `inputs`)."""
    alerting = inputs.alerting
    nodes = list(inputs.members)
    evidence = inputs.evidence
    ranked = rank_members(topology, nodes, evidence, alerting, limit)
    ids = topology.ids
    nodes.sort(key=lambda m: (evidence[m].first_start, ids[m]))
    sources = list(nodes)
    sources.extend(c.node for c in ranked[:1] if not c.alerting)
    radius = blast_radius(topology, sources)
    silent = np.frombuffer(alerting, dtype=np.uint8)[radius.nodes] == 0
    return DomainView(
        id=inputs.id,
        severity=max(evidence[m].severity for m in nodes),
        first_seen=min(evidence[m].first_start for m in nodes),
        opened_at=inputs.opened_at,
        members=tuple(ids[m] for m in nodes),
        root_causes=tuple(
            RootCause(ids[c.node], c.score, c.alerting, c.explains, c.reasons) for c in ranked
        ),
        impact=Impact(topology, radius.nodes[silent], radius.hops[silent]),
        alerts=tuple(fingerprint for _, fingerprint in sorted(inputs.alerts)),
    )


def rank_members(
    topology: Topology,
    nodes: list[int],
    evidence: Mapping[int, Evidence],
    alerting: bytes | bytearray,
    limit: int,
) -> list[RankedCause]:
    """Root-cause candidates of a domain's members (`alerting`: a flag per node), as
    every view of a domain ranks them: open, closed at its peak, or a history step."""
    return rank_root_causes(
        topology,
        nodes,
        evidence,
        lambda node: bool(alerting[node]),
        local_reach(topology, nodes, alerting),
        limit=limit,
    )


def local_reach(
    topology: Topology, members: Sequence[int], alerting: bytes | bytearray
) -> Callable[[int], list[int]]:
    """Blast radius within the domain: its members and their silent dependencies.

    What a candidate explains is counted over the domain, so the search
    never needs to leave it (a full blast radius can be most of a large
    estate); one silent hop is allowed, as domains are joined through
    impaired silent components.
    """
    local = set(members)
    for m in members:
        local.update(d for d in topology.dependencies[m] if not alerting[d])
    dependents = topology.dependents

    def reach(node: int) -> list[int]:
        seen = {node}
        order = [node]
        for current in order:
            for other in dependents[current]:
                if other in local and other not in seen:
                    seen.add(other)
                    order.append(other)
        return order

    return reach


def domain_order(domain_id: str) -> tuple[int, str]:
    """Sort key of a domain id: D2 before D10."""
    digits = domain_id.lstrip("D")
    return (int(digits), domain_id) if digits.isdigit() else (0, domain_id)
