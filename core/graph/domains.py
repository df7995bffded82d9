"""Failure domains: incremental Union-Find over alerting components.

Two alerting components belong to the same failure domain when they are
adjacent in the topology (in either direction), or when both are neighbours
of the same *impaired silent* component: one with no firing alert of its own
whose dependents are alerting about it. A common, unmonitored dependency is a
classic root cause, and an unmonitored hop in the middle of a dependency
chain must not cut an incident in two; the operator wants the symptoms in one
place.

A silent component `x` with fan-in `k` counts as impaired when at least
`max(bridge_min, ceil(bridge_fraction * k))` of its dependents are alerting,
or, when something `x` depends on is alerting too (`x` is then the conduit
between them), at least `max(1, ceil(conduit_fraction * k))`. An
impaired component ties together all its alerting neighbours. The fraction
keeps a hub that everything depends on (DNS, a core router) from welding two
unrelated incidents together just because each touches one of its many
dependents; when the hub really fails, most dependents alert and it holds.

Complexity: an arrival costs O(deg) to look at its neighbours plus
near-constant amortised Union-Find work (union by size, path halving); each
set keeps its members on a circular doubly linked list so a union splices two
rings in O(1) and a domain's members can be listed without scanning all
nodes. A resolve re-splits only its own domain and costs what splits off, not
the domain: Union-Find cannot delete, so each activation of a component gets
a fresh *element*; a component that stops alerting (or moves to a part that
split off) leaves its old element behind in the tree, unlinked from the
member ring and no longer counted, and the part that stays keeps its set
untouched. Elements left behind are reclaimed by an occasional O(n)
compaction once they outnumber the topology, so that is amortised O(1).

Domains keep stable ids: on a merge the older domain keeps its id and the
younger is closed as merged into it; on a split the largest part keeps the id
(ties: the part holding the longest-alerting member) and the other parts open
as new domains.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

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
    merged_at: dict[str, float] = field(default_factory=dict)  # when each merge happened

    def clear(self) -> None:
        self.opened.clear()
        self.changed.clear()
        self.closed.clear()
        self.merged_into.clear()
        self.merged_at.clear()


class FailureDomains:
    """Maintains the partition of alerting components into failure domains."""

    def __init__(
        self,
        topology: Topology,
        *,
        bridge_fraction: float = 0.5,
        conduit_fraction: float = 0.34,
        bridge_min: int = 2,
        bridging: bool = True,
        id_prefix: str = "D",
    ) -> None:
        n = len(topology)
        self.topology = topology
        self.bridging = bridging
        self._id_prefix = id_prefix
        self._reset_elements(n)
        self._alerting = bytearray(n)
        # When each component started alerting (activation order): ties on split.
        self._since: dict[int, int] = {}
        self._activations = 0
        # For each component, its currently alerting dependents (bridge evidence),
        # and how many of the components it depends on are alerting (directed only).
        self._alerting_dependents: dict[int, set[int]] = {}
        self._alerting_below: dict[int, int] = {}
        # 1 per silent component that is impaired now (`bridge_active`), kept up to
        # date as its counts change: a resolve's search reads it once per neighbour.
        self._impaired = bytearray(n)
        self._records: dict[int, DomainRecord] = {}  # set root -> record
        self._neighbours = [
            deps if deps == rdeps else deps + tuple(sorted(set(rdeps).difference(deps)))
            for deps, rdeps in zip(topology.dependencies, topology.dependents, strict=True)
        ]
        # Impairment thresholds per component: alone (at least bridge_min alerting
        # dependents) and as a conduit (an alerting dependency below it).
        fan_in = [len(rdeps) for rdeps in topology.dependents]
        self._thresholds = [max(bridge_min, math.ceil(bridge_fraction * k)) for k in fan_in]
        self._conduit_thresholds = [max(1, math.ceil(conduit_fraction * k)) for k in fan_in]
        self._seq = 0
        self.changes = DomainChanges()
        self._now = 0.0  # the time of the activation being applied

    # -- queries -----------------------------------------------------------

    def is_alerting(self, node: int) -> bool:
        return bool(self._alerting[node])

    @property
    def alerting_bytes(self) -> bytearray:
        """1 per alerting component, 0 otherwise: the live flags (never modify; copy to keep)."""
        return self._alerting

    @property
    def alerting_flags(self) -> npt.NDArray[np.uint8]:
        """1 per alerting component, 0 otherwise: a zero-copy numpy view (read-only use)."""
        return np.frombuffer(self._alerting, dtype=np.uint8)

    def find(self, node: int) -> int:
        """The Union-Find root (an element, not a component) of an alerting component's set."""
        return self._root(self._element[node])

    def domain_of(self, node: int) -> DomainRecord | None:
        """The domain an alerting component belongs to (None when it is not alerting)."""
        if not self._alerting[node]:
            return None
        return self._records.get(self._root(self._element[node]))

    def records(self) -> Iterator[DomainRecord]:
        return iter(self._records.values())

    def is_open(self, record: DomainRecord) -> bool:
        """Whether `record` is an open domain now (not closed, split off or merged away)."""
        return self._records.get(record.root) is record

    def members(self, record: DomainRecord) -> list[int]:
        """The alerting components of a domain, in ring order."""
        return list(self._iter_ring(record.root))

    def bridge_active(self, node: int) -> bool:
        """Whether a silent component is presumed impaired and ties its alerting neighbours."""
        return bool(self._impaired[node])

    def _judge(self, node: int) -> None:
        """Recompute `node`'s impairment after its own state or its counts changed."""
        self._impaired[node] = self._is_impaired(node)

    def _is_impaired(self, node: int) -> bool:
        if not self.bridging or self._alerting[node]:
            return False
        alerting = self._alerting_dependents.get(node)
        if not alerting:
            return False
        if self._alerting_below.get(node):
            return len(alerting) >= self._conduit_thresholds[node]
        return len(alerting) >= self._thresholds[node]

    def alerting_neighbours(self, node: int) -> list[int]:
        """The alerting components adjacent to `node`, in either direction."""
        flags = self._alerting
        return [other for other in self._neighbours[node] if flags[other]]

    def alerting_dependents(self, node: int) -> frozenset[int]:
        return frozenset(self._alerting_dependents.get(node, ()))

    # -- updates -----------------------------------------------------------

    def activate(self, node: int, time: float) -> None:
        """A component got its first firing alert."""
        alerting_flags = self._alerting
        if alerting_flags[node]:
            return
        alerting_flags[node] = 1
        self._now = time  # when the unions below happen
        self._impaired[node] = 0
        if self._element[node] < 0:
            self._new_element(node)
        self._activations += 1
        self._since[node] = self._activations
        for other in self._neighbours[node]:
            if alerting_flags[other]:
                self._union(node, other)
        if self.bridging:
            dependents_of = self._alerting_dependents
            for dep in self.topology.dependencies[node]:
                before = self.bridge_active(dep)
                dependents_of.setdefault(dep, set()).add(node)
                self._judge(dep)
                self._bridge_after_arrival(dep, node, before)
            if self.topology.directed:
                below = self._alerting_below
                for above in self.topology.dependents[node]:
                    before = self.bridge_active(above)
                    below[above] = below.get(above, 0) + 1
                    self._judge(above)
                    self._bridge_after_arrival(above, node, before)
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
        element = self._element[node]
        root = self._root(element)
        record = self._records.pop(root)
        self._alerting[node] = 0
        del self._since[node]
        if self.bridging:
            self._judge(node)  # silent now: its alerting dependents may make it a bridge
            for dep in self.topology.dependencies[node]:
                alerting = self._alerting_dependents.get(dep)
                if alerting is not None:
                    alerting.discard(node)
                    if not alerting:
                        del self._alerting_dependents[dep]
                    self._judge(dep)
            if self.topology.directed:
                below = self._alerting_below
                for above in self.topology.dependents[node]:
                    count = below[above] - 1
                    if count:
                        below[above] = count
                    else:
                        del below[above]
                    self._judge(above)
        self._element[node] = -1
        self._unlink(element, root)
        if not self._live[root]:
            self.changes.closed.append(record.id)
            self.changes.changed.discard(record.id)
        else:
            self._resplit(record, root, node, time)
        if len(self._parent) > self._compact_after:
            self._compact()

    # -- internals ---------------------------------------------------------

    def _resplit(self, record: DomainRecord, root: int, node: int, time: float) -> None:
        """Re-partition `record`'s set (rooted at `root`) after `node` left it.

        The parts that split off move to sets of their own; the rest stays in
        the old set, unvisited. The largest part keeps the id; ties go to the
        part with the longest-alerting member, so the operator's domain stays put.
        """
        since = self._since
        parts: list[tuple[int, int, int]] = []  # (size, earliest activation, set root)
        for part in self._split(root, self._split_seeds(node)):
            for m in part:
                self._unlink(self._element[m], root)
                self._new_element(m)
            first = self._element[part[0]]
            for m in part[1:]:
                self._link(self._root(first), self._element[m])
            parts.append((len(part), min(since[m] for m in part), self._root(first)))
        rest = self._live[root]
        # The rest's earliest activation decides only a tie in size, and then
        # listing it costs no more than the part it ties with.
        earliest = 0
        if any(size == rest for size, _, _ in parts):
            earliest = min(since[m] for m in self._iter_ring(root))
        parts.append((rest, earliest, root))
        parts.sort(key=lambda part: (-part[0], part[1]))
        for index, (size, _, part_root) in enumerate(parts):
            if index == 0:
                record.root = part_root
                record.size = size
                self._records[part_root] = record
                self.changes.changed.add(record.id)
            else:
                self._open(part_root, time)

    def _partition(self, nodes: list[int]) -> list[list[int]]:
        """Connected parts of `nodes` under adjacency and impaired silent components."""
        alerting = self._alerting
        neighbours = self._neighbours
        bridging = self.bridging
        seen: set[int] = set()
        # A silent component is looked at once: the first visit reaches all its
        # alerting neighbours (or none, when it is not impaired), so later visits
        # from its other neighbours cannot add anything. On a large domain this
        # saves one impairment test per (alerting member, silent neighbour) pair.
        silent_done: set[int] = set()
        parts: list[list[int]] = []
        for start in nodes:
            if start in seen:
                continue
            seen.add(start)
            part = [start]
            stack = [start]
            while stack:
                current = stack.pop()
                for other in neighbours[current]:
                    if alerting[other]:
                        if other in seen:
                            continue
                        reached = [other]
                    elif not bridging or other in silent_done:
                        continue
                    else:
                        silent_done.add(other)
                        if not self.bridge_active(other):
                            continue
                        reached = self.alerting_neighbours(other)
                    for peer in reached:
                        if peer not in seen:
                            seen.add(peer)
                            part.append(peer)
                            stack.append(peer)
            parts.append(part)
        return parts

    def _split_seeds(self, node: int) -> list[int]:
        """Alerting components whose ties may have gone with `node` (it just went silent).

        A tie lost is either through `node` itself or through a silent
        neighbour whose impairment it just lowered; both ends of such a tie
        are alerting neighbours of `node` or of one of its silent neighbours.
        """
        alerting = self._alerting
        seeds: dict[int, None] = {}
        for other in self._neighbours[node]:
            if alerting[other]:
                seeds[other] = None
            elif self.bridging:
                seeds.update(dict.fromkeys(self.alerting_neighbours(other)))
        return list(seeds)

    def _split(self, root: int, seeds: list[int]) -> list[list[int]]:
        """The parts that split off the set at `root` after it lost a member.

        Every part contains a seed (see `_split_seeds`). One search grows from
        each seed, one step each in turn; searches that meet merge, and a
        search that runs out has found a whole part. The searches are breadth
        first: the seeds all lie within two hops of the component that left,
        so searches that stay near them meet in a few steps (depth-first ones
        wandered off and cost twice as much on a 600-member domain). When a single search is
        left, the rest of the set is its part, unvisited and not returned: a
        resolve in a large domain costs the size of what splits off, not of
        the domain. With the rest, gives exactly the parts `_partition` finds.
        """
        element = self._element
        # Seeds in a neighbouring domain are not this set's business.
        seeds = [seed for seed in seeds if self._root(element[seed]) == root]
        if len(seeds) <= 1:
            return []
        alerting = self._alerting
        impaired = self._impaired
        neighbours = self._neighbours
        group = list(range(len(seeds)))  # union-find over searches that met

        def top(g: int) -> int:
            while group[g] != g:
                group[g] = group[group[g]]
                g = group[g]
            return g

        owner = {seed: g for g, seed in enumerate(seeds)}
        queues = [deque((seed,)) for seed in seeds]
        parts = [[seed] for seed in seeds]
        live = dict.fromkeys(range(len(seeds)))
        finished: list[int] = []
        silent_done: set[int] = set()  # as in _partition: one look at a silent component
        while len(live) > 1:
            for g in list(live):
                if g not in live:
                    continue
                queue = queues[g]
                if not queue:
                    del live[g]
                    finished.append(g)
                    if len(live) <= 1:
                        break
                    continue
                part = parts[g]
                for other in neighbours[queue.popleft()]:
                    if alerting[other]:
                        reached: tuple[int, ...] | list[int] = (other,)
                    elif impaired[other] and other not in silent_done:
                        silent_done.add(other)
                        reached = [peer for peer in neighbours[other] if alerting[peer]]
                    else:
                        continue
                    for peer in reached:
                        found = owner.get(peer)
                        if found is None:
                            owner[peer] = g
                            part.append(peer)
                            queue.append(peer)
                            continue
                        if found == g:
                            continue
                        other_group = top(found)
                        if other_group != g:  # two searches met: one part
                            group[other_group] = g
                            queue.extend(queues[other_group])
                            parts[g].extend(parts[other_group])
                            queues[other_group] = deque()
                            parts[other_group] = []
                            live.pop(other_group, None)
        return [parts[g] for g in finished if top(g) == g and parts[g]]

    def _bridge_after_arrival(self, silent: int, node: int, before: bool) -> None:
        """`node` started alerting next to `silent`: tie what an impaired `silent` joins."""
        if self._alerting[silent] or not self.bridge_active(silent):
            return
        if before:
            # Its other alerting neighbours are in one set already: join any one.
            for other in self._alerting_dependents[silent]:
                if other != node:
                    self._union(node, other)
                    return
            for other in self.alerting_neighbours(silent):
                if other != node:
                    self._union(node, other)
                    return
        else:
            for other in self.alerting_neighbours(silent):
                if other != node:
                    self._union(node, other)

    def _open(self, root: int, time: float) -> None:
        self._seq += 1
        record = DomainRecord(
            id=f"{self._id_prefix}{self._seq}",
            seq=self._seq,
            opened_at=time,
            root=root,
            size=self._live[root],
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
            self.changes.merged_at[gone.id] = self._now
        if keep is not None:
            keep.root = root
            keep.size = self._live[root]
            self._records[root] = keep
            self.changes.changed.add(keep.id)

    # -- Union-Find over elements ---------------------------------------------

    def _reset_elements(self, n: int) -> None:
        """Element i belongs to component i, alone in its set (start, and after compaction)."""
        self._element = list(range(n))  # component -> its current element, -1: none
        self._node_of = list(range(n))  # element -> component, -1: left behind
        self._parent = list(range(n))
        self._size = [1] * n  # elements under a root, left-behind ones too (union by size)
        self._live = [1] * n  # components under a root (the domain's size)
        self._next = list(range(n))  # the set's member ring, components' elements only
        self._prev = list(range(n))
        self._anchor = list(range(n))  # root -> an element on its set's ring
        self._compact_after = 3 * n + 1024

    def _new_element(self, node: int) -> int:
        """A fresh element for `node`, alone in its set."""
        element = len(self._parent)
        self._parent.append(element)
        self._size.append(1)
        self._live.append(1)
        self._next.append(element)
        self._prev.append(element)
        self._anchor.append(element)
        self._node_of.append(node)
        self._element[node] = element
        return element

    def _root(self, element: int) -> int:
        parent = self._parent
        while parent[element] != element:
            parent[element] = parent[parent[element]]
            element = parent[element]
        return element

    def _link(self, ra: int, rb: int) -> int:
        """Union two distinct roots by size; splice their member rings in O(1)."""
        size = self._size
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        size[ra] += size[rb]
        self._live[ra] += self._live[rb]
        nxt, prv = self._next, self._prev
        a, b = self._anchor[ra], self._anchor[rb]
        after_a, after_b = nxt[a], nxt[b]
        nxt[a], prv[after_b] = after_b, a
        nxt[b], prv[after_a] = after_a, b
        return ra

    def _unlink(self, element: int, root: int) -> None:
        """Take `element` off its set's ring and count; it stays in the tree, left behind."""
        nxt, prv = self._next, self._prev
        before, after = prv[element], nxt[element]
        nxt[before], prv[after] = after, before
        nxt[element] = prv[element] = element
        self._live[root] -= 1
        if self._anchor[root] == element:
            self._anchor[root] = after
        self._node_of[element] = -1

    def _iter_ring(self, root: int) -> Iterator[int]:
        nxt, node_of = self._next, self._node_of
        start = self._anchor[root]
        yield node_of[start]
        element = nxt[start]
        while element != start:
            yield node_of[element]
            element = nxt[element]

    def _compact(self) -> None:
        """Rebuild the elements with only the alerting components' (drops those left behind)."""
        sets = [(record, list(self._iter_ring(record.root))) for record in self._records.values()]
        self._reset_elements(len(self.topology))
        records: dict[int, DomainRecord] = {}
        for record, members in sets:
            first = members[0]
            for m in members[1:]:
                self._link(self._root(first), m)
            record.root = self._root(first)
            records[record.root] = record
        self._records = records
