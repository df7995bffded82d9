"""Failure domains: incremental Union-Find over alerting components.

Two alerting components belong to the same failure domain when they are
adjacent in the topology (in either direction), or when both depend on the
same *silent* component (one with no firing alert) that enough of its
dependents are alerting about: a common, unmonitored dependency is a classic
root cause, and the operator wants its symptoms in one place.

A silent component `d` bridges its alerting dependents when at least
`max(bridge_min, ceil(bridge_fraction * fan_in(d)))` of them are alerting. The
fraction keeps a hub everything depends on (DNS, a core router) from welding
two unrelated incidents together just because each touches one of its many
dependents; when the hub really fails, most dependents alert and the bridge
holds.

Complexity: an arrival costs O(deg) to look at its neighbours plus
near-constant amortised Union-Find work (union by size, path halving); each
set keeps its members on a circular linked list so a union splices two rings
in O(1) and a domain's members can be listed without scanning all nodes. A
resolve re-splits only its own domain: the members of that one domain are
re-partitioned, every other set is untouched.

Domains keep stable ids: on a merge the older domain keeps its id and the
younger is closed as merged into it; on a split the largest part keeps the id
(ties: the part holding the longest-alerting member) and the other parts open
as new domains.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.graph.topology import Topology


@dataclass(slots=True)
class DomainRecord:
    """Identity and lifecycle of one failure domain."""

    id: str
    seq: int
    opened_at: float
    root: int
    size: int = 1


@dataclass(slots=True)
class DomainChanges:
    """What one or more updates did to the set of domains, by domain id."""

    opened: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    closed: list[str] = field(default_factory=list)
    merged_into: dict[str, str] = field(default_factory=dict)

    def clear(self) -> None:
        self.opened.clear()
        self.changed.clear()
        self.closed.clear()
        self.merged_into.clear()


class FailureDomains:
    """Maintains the partition of alerting components into failure domains."""

    def __init__(
        self,
        topology: Topology,
        *,
        bridge_fraction: float = 0.5,
        bridge_min: int = 2,
        bridging: bool = True,
        id_prefix: str = "D",
    ) -> None:
        n = len(topology)
        self.topology = topology
        self.bridging = bridging
        self._id_prefix = id_prefix
        self._parent = list(range(n))
        self._size = [1] * n
        self._ring = list(range(n))  # next member on the set's circular list
        self._alerting = bytearray(n)
        # When each component started alerting (activation order): ties on split.
        self._since: dict[int, int] = {}
        self._activations = 0
        # For each component, its currently alerting dependents (bridge evidence).
        self._alerting_dependents: dict[int, set[int]] = {}
        self._records: dict[int, DomainRecord] = {}  # set root -> record
        self._neighbours = [
            deps if deps == rdeps else deps + tuple(sorted(set(rdeps).difference(deps)))
            for deps, rdeps in zip(topology.dependencies, topology.dependents, strict=True)
        ]
        # Silent-bridge threshold per component; a bridge needs at least 2 (bridge_min).
        self._thresholds = [
            max(bridge_min, math.ceil(bridge_fraction * len(rdeps)))
            for rdeps in topology.dependents
        ]
        self._seq = 0
        self.changes = DomainChanges()

    # -- queries -----------------------------------------------------------

    def is_alerting(self, node: int) -> bool:
        return bool(self._alerting[node])

    def find(self, node: int) -> int:
        parent = self._parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def domain_of(self, node: int) -> DomainRecord | None:
        """The domain an alerting component belongs to (None when it is not alerting)."""
        if not self._alerting[node]:
            return None
        return self._records.get(self.find(node))

    def records(self) -> Iterator[DomainRecord]:
        return iter(self._records.values())

    def members(self, record: DomainRecord) -> list[int]:
        """The alerting components of a domain, in ring order."""
        return list(self._iter_ring(record.root))

    def bridge_active(self, node: int) -> bool:
        """Whether a silent component currently ties its alerting dependents together."""
        if not self.bridging or self._alerting[node]:
            return False
        alerting = self._alerting_dependents.get(node)
        if not alerting:
            return False
        return len(alerting) >= self._thresholds[node]

    def alerting_dependents(self, node: int) -> frozenset[int]:
        return frozenset(self._alerting_dependents.get(node, ()))

    # -- updates -----------------------------------------------------------

    def activate(self, node: int, time: float) -> None:
        """A component got its first firing alert."""
        alerting_flags = self._alerting
        if alerting_flags[node]:
            return
        alerting_flags[node] = 1
        self._parent[node] = node
        self._size[node] = 1
        self._ring[node] = node
        self._activations += 1
        self._since[node] = self._activations
        for other in self._neighbours[node]:
            if alerting_flags[other]:
                self._union(node, other)
        if self.bridging:
            dependents_of = self._alerting_dependents
            thresholds = self._thresholds
            for dep in self.topology.dependencies[node]:
                alerting = dependents_of.get(dep)
                if alerting is None:
                    dependents_of[dep] = {node}
                    continue
                alerting.add(node)
                if alerting_flags[dep]:
                    continue
                count, threshold = len(alerting), thresholds[dep]
                if count > threshold:
                    # Already bridging: the others are in one set, join any one.
                    for other in alerting:
                        if other != node:
                            self._union(node, other)
                            break
                elif count == threshold:
                    # The bridge just became active: tie all its dependents.
                    for other in alerting:
                        if other != node:
                            self._union(node, other)
        root = self.find(node)
        record = self._records.get(root)
        if record is None:
            self._open(root, time)
        else:
            self.changes.changed.add(record.id)

    def deactivate(self, node: int, time: float) -> None:
        """A component's last firing alert resolved: re-split its own domain."""
        if not self._alerting[node]:
            return
        root = self.find(node)
        record = self._records.pop(root)
        members = list(self._iter_ring(root))
        self._alerting[node] = 0
        del self._since[node]
        if self.bridging:
            for dep in self.topology.dependencies[node]:
                alerting = self._alerting_dependents.get(dep)
                if alerting is not None:
                    alerting.discard(node)
                    if not alerting:
                        del self._alerting_dependents[dep]
        remaining = [m for m in members if m != node]
        for m in members:
            self._parent[m] = m
            self._size[m] = 1
            self._ring[m] = m
        if not remaining:
            self.changes.closed.append(record.id)
            self.changes.changed.discard(record.id)
            return
        parts = self._partition(remaining)
        # The largest part keeps the id; ties go to the part with the
        # longest-alerting member, so the operator's domain stays put.
        parts.sort(key=lambda part: (-len(part), min(self._since[m] for m in part)))
        for index, part in enumerate(parts):
            first = part[0]
            for m in part[1:]:
                self._link(self.find(first), self.find(m))
            part_root = self.find(first)
            if index == 0:
                record.root = part_root
                record.size = len(part)
                self._records[part_root] = record
                self.changes.changed.add(record.id)
            else:
                self._open(part_root, time)

    # -- internals ---------------------------------------------------------

    def _partition(self, nodes: list[int]) -> list[list[int]]:
        """Connected parts of `nodes` under adjacency and active silent bridges."""
        topo = self.topology
        alerting = self._alerting
        seen: set[int] = set()
        parts: list[list[int]] = []
        for start in nodes:
            if start in seen:
                continue
            seen.add(start)
            part = [start]
            stack = [start]
            while stack:
                current = stack.pop()
                for other in topo.dependencies[current]:
                    if alerting[other]:
                        if other not in seen:
                            seen.add(other)
                            part.append(other)
                            stack.append(other)
                    elif self.bridging and self.bridge_active(other):
                        for peer in self._alerting_dependents[other]:
                            if peer not in seen:
                                seen.add(peer)
                                part.append(peer)
                                stack.append(peer)
                for other in topo.dependents[current]:
                    if alerting[other] and other not in seen:
                        seen.add(other)
                        part.append(other)
                        stack.append(other)
            parts.append(part)
        return parts

    def _open(self, root: int, time: float) -> None:
        self._seq += 1
        record = DomainRecord(
            id=f"{self._id_prefix}{self._seq}",
            seq=self._seq,
            opened_at=time,
            root=root,
            size=self._size[root],
        )
        self._records[root] = record
        self.changes.opened.append(record.id)

    def _union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        rec_a = self._records.pop(ra, None)
        rec_b = self._records.pop(rb, None)
        root = self._link(ra, rb)
        keep = rec_a
        if rec_a is None or (rec_b is not None and rec_b.seq < rec_a.seq):
            keep, gone = rec_b, rec_a
        else:
            gone = rec_b
        if gone is not None and keep is not None:
            self.changes.closed.append(gone.id)
            self.changes.changed.discard(gone.id)
            self.changes.merged_into[gone.id] = keep.id
        if keep is not None:
            keep.root = root
            keep.size = self._size[root]
            self._records[root] = keep
            self.changes.changed.add(keep.id)

    def _link(self, ra: int, rb: int) -> int:
        """Union two distinct roots by size; splice their member rings in O(1)."""
        size = self._size
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        size[ra] += size[rb]
        ring = self._ring
        ring[ra], ring[rb] = ring[rb], ring[ra]
        return ra

    def _iter_ring(self, root: int) -> Iterator[int]:
        ring = self._ring
        yield root
        node = ring[root]
        while node != root:
            yield node
            node = ring[node]
