"""Failure domains after they close: what an operator looking at a past time range still sees.

The engine forgets a domain when its last alerting member resolves, yet "what
was going on between 02:10 and 02:20" must list the incidents that opened and
closed in between. `DomainLives` keeps a `ClosedDomain` when one closes,
ordered by closing time and bounded (the oldest go first), with its whole
life: worst severity, most alerting members at once, first alert, opening,
every component that alerted in it, and its root causes *at its peak*.

All of it is learnt as alerts *leave* a domain, at O(1) each (and on the rare
upward regrade): every alert that counted in a domain leaves it before it
closes, and its size peaks just before the first alert leaves after a growth,
so nothing needs doing as alerts join (the engine's hot path). A domain merged
into another is not closed: its life folds into the one it joined.

Root causes at the peak. Which ranking an open domain last had depends on
when a view happened to ask for one (a straight play ranks what the console
shows, a rebuild after a backwards seek ranks nothing), so a closed domain's
root causes are defined at one fixed moment instead, the same for every path:
its *peak*, the first time it had its most alerting members at once, just
before the first alert left it at that size. A domain larger than
`EXACT_PEAKS` takes a new peak only once it has grown by an eighth since its
last one (a storm's cause does not change with its last few members), so
that a storm that keeps growing while some of its alerts flap pays
O(members) a handful of times, not at every new size. Between domains that
merged, the larger peak counts (on a tie the earlier); whether a domain takes
a peak depends only on its own leaves, never on when a merge was folded in.
A peak is thus a fact of the event sequence, not of how it was batched or
looked at, and a straight play and a rebuild agree by construction.

At a peak (`left` says so) the engine hands over its members' evidence (`peak`, O(members);
one member, the common case, costs about what a leave does); the ranking
itself (`rank_peak`: the very function an open domain's view uses) runs only
when a closed domain's cause is first read (its row painted, its detail
opened), then is kept.

It is part of the engine's state, so it is the same however the engine got
to its clock: played, sought backwards (rebuilt) or jumped forwards, in
batches of any size (a domain that opens and closes within one batch is kept).
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.domain_view import RootCause, rank_members
from core.graph.ranking import Evidence
from core.graph.topology import Topology
from core.model import Severity

KEEP = 50_000
"""Closed domains kept (the oldest are dropped first, an eighth more at a time)."""

EXACT_PEAKS = 64
"""Up to this many members a domain takes a peak at every new size; above it, at a
new size an eighth larger than its last peak (see the module docstring)."""

PEAK_ENTRY = struct.Struct("<qdqq")
"""One member in a `Peak`: component index, first start, severity, episodes."""

Peak = bytes
"""A domain at its peak: its alerting members' evidence then, packed (`PEAK_ENTRY` each).

Bytes rather than objects: Python's cyclic garbage collector neither counts
nor traces them, and a tuple kept per closed domain (tens of thousands on a
noisy estate) was enough to make it collect measurably more often.
"""


def peak_entry(node: int, evidence: Evidence) -> bytes:
    """One member's part of a `Peak`."""
    return PEAK_ENTRY.pack(node, evidence.first_start, evidence.severity, evidence.episodes)


def peak_evidence(peak: Peak) -> dict[int, Evidence]:
    """The members of a `Peak` (component index) with their evidence."""
    return {
        node: Evidence(first_start, Severity(severity), episodes)
        for node, first_start, severity, episodes in PEAK_ENTRY.iter_unpack(peak)
    }


def rank_peak(topology: Topology, peak: Peak, limit: int) -> tuple[RootCause, ...]:
    """The root causes of a domain as it was at `peak`, ranked as an open domain's view is.

    The same call as `core.domain_view.build_domain_view` makes, on the same
    inputs it would have had then: the members and their evidence, and the
    alerting flags, which around a domain are exactly its members (an
    alerting neighbour of a member is always in the member's domain).
    """
    evidence = peak_evidence(peak)
    nodes = sorted(evidence)
    alerting = bytearray(len(topology))
    for node in nodes:
        alerting[node] = 1
    ranked = rank_members(topology, nodes, evidence, alerting, limit)
    ids = topology.ids
    return tuple(RootCause(ids[c.node], c.score, c.alerting, c.explains, c.reasons) for c in ranked)


@dataclass(frozen=True, slots=True)
class ClosedDomain:
    """A failure domain that has closed, as it was over its life."""

    id: str
    severity: Severity
    """The worst severity it reached."""
    size: int
    """The most alerting components it had at once."""
    first_seen: float
    opened_at: float
    closed_at: float
    members: tuple[str, ...] = ()
    """Every component that alerted in it at some time, by id."""
    peak_at: float | None = None
    """When its peak was (see the module docstring): the end of the first alert that
    left it at its largest size. None: no peak known (it has no root causes)."""
    peak: Peak = field(default=b"", compare=False, repr=False)
    """Its members' evidence at the peak (`Peak`), what `root_causes` ranks."""
    ranker: Callable[[ClosedDomain], tuple[RootCause, ...]] | None = field(
        default=None, compare=False, repr=False
    )
    """Ranks `peak` the first time it is asked, then answers from its cache."""

    def active_in(self, start: float, end: float) -> bool:
        """Whether it was open at some time within [start, end]."""
        return min(self.first_seen, self.opened_at) <= end and self.closed_at >= start

    @property
    def peak_size(self) -> int:
        """Alerting members at its peak."""
        return len(self.peak) // PEAK_ENTRY.size

    @property
    def root_causes(self) -> tuple[RootCause, ...]:
        """Its ranked root causes at its peak, best first (ranked on first read, then kept)."""
        return () if self.ranker is None or not self.peak else self.ranker(self)

    @property
    def root_cause(self) -> str | None:
        """The top root cause at its peak (None: it has none)."""
        causes = self.root_causes
        return causes[0].component if causes else None

    @property
    def root_alerting(self) -> bool:
        """Whether that top cause raised alerts of its own (False: silent, or none)."""
        causes = self.root_causes
        return causes[0].alerting if causes else False


@dataclass(slots=True)
class _Life:
    severity: Severity
    size: int
    first_seen: float
    opened_at: float
    members: set[int]
    closing_at: float | None = None  # the latest end of an alert that left it
    # Its best peak so far, its own or one folded in (see the module docstring) ...
    peak: Peak | None = None  # the members' evidence then
    peak_size: int = 0
    peak_at: float = 0.0
    peak_seq: int = 0  # order of the moments peaks were taken: earlier wins a tie
    own_peak: int = 0  # ... and the size at its own last peak: when to take the next

    def fold(self, other: _Life) -> None:
        self.severity = max(self.severity, other.severity)
        self.size = max(self.size, other.size)
        self.first_seen = min(self.first_seen, other.first_seen)
        self.opened_at = min(self.opened_at, other.opened_at)
        self.members |= other.members
        if other.peak is not None and (
            self.peak is None
            or (other.peak_size, -other.peak_seq) > (self.peak_size, -self.peak_seq)
        ):
            self.peak, self.peak_size = other.peak, other.peak_size
            self.peak_at, self.peak_seq = other.peak_at, other.peak_seq


class _Causes:
    """Closed domains' root causes once ranked, by (id, closing time): only those read.

    Apart from `DomainLives`, so that the closed domains holding `causes_of`
    make no reference cycle (an engine let go is freed at once, not by the
    cyclic garbage collector).
    """

    __slots__ = ("_kept", "rank")

    def __init__(self, rank: Callable[[Peak], tuple[RootCause, ...]]) -> None:
        self.rank = rank
        self._kept: dict[tuple[str, float], tuple[RootCause, ...]] = {}

    def causes_of(self, domain: ClosedDomain) -> tuple[RootCause, ...]:
        """`domain`'s root causes at its peak: ranked on the first call, then kept."""
        key = (domain.id, domain.closed_at)
        causes = self._kept.get(key)
        if causes is None:
            causes = self._kept[key] = self.rank(domain.peak) if domain.peak else ()
        return causes

    def forget(self, domain: ClosedDomain) -> None:
        self._kept.pop((domain.id, domain.closed_at), None)


class DomainLives:
    """Open domains' lives so far, and the closed domains (see the module docstring).

    When `left` says a domain is at a new peak, the engine hands `peak` the
    evidence of its members then; `rank` ranks such a peak (without it, closed
    domains have no root causes).
    """

    def __init__(
        self,
        ids: Sequence[str],
        keep: int = KEEP,
        *,
        rank: Callable[[Peak], tuple[RootCause, ...]] | None = None,
    ) -> None:
        self.ids = ids  # component index -> id
        self.keep = keep
        self._causes = None if rank is None else _Causes(rank)
        self._peaks_taken = 0
        self._open: dict[str, _Life] = {}
        self._closed: list[ClosedDomain] = []  # by closing time
        self._closing_times: list[float] = []  # closed_at of each, for bisect
        self._by_id: dict[str, ClosedDomain] = {}
        # components that entered a domain no alert has left yet (no life of its own yet)
        self._entered: dict[str, set[int]] = {}

    # -- following the engine (called by it) ------------------------------------------

    def joined(
        self,
        domain_id: str,
        opened_at: float,
        size: int,
        severity: Severity,
        starts_at: float,
        node: int,
    ) -> None:
        """An alert of `severity` started at `starts_at` on `node` counts in the domain
        (now `size` members)."""
        life = self._open.get(domain_id)
        if life is None:
            self._open[domain_id] = _Life(severity, size, starts_at, opened_at, {node})
            return
        life.members.add(node)
        if severity > life.severity:
            life.severity = severity
        if size > life.size:
            life.size = size
        if starts_at < life.first_seen:
            life.first_seen = starts_at

    def entered(self, domain_id: str, node: int) -> None:
        """`node` started alerting in the domain (the rest is learnt as alerts leave)."""
        life = self._open.get(domain_id)
        if life is not None:
            life.members.add(node)
        else:
            self._entered.setdefault(domain_id, set()).add(node)

    def left(
        self,
        domain_id: str,
        time: float,
        *,
        opened_at: float,
        size: int,
        severity: Severity,
        starts_at: float,
        node: int,
    ) -> bool:
        """An alert on `node` stops counting in the domain at `time` (it still has `size` members).

        Called before the alert has left. True: the domain is at a new peak,
        call `peak` with its members' evidence as it is now. Every alert passes
        here or through `joined`, so a part split off a domain (which nobody
        joined) still ends with its whole life.
        """
        life = self._open.get(domain_id)
        if life is None:
            members = self._entered.pop(domain_id, set())
            members.add(node)
            life = self._open[domain_id] = _Life(severity, size, starts_at, opened_at, members)
        else:
            self.joined(domain_id, opened_at, size, severity, starts_at, node)
        if life.closing_at is None or time > life.closing_at:
            life.closing_at = time  # the last alert to end closes it: the latest end
        own = life.own_peak
        if size > own and (size <= EXACT_PEAKS or size >= own + own // 8):
            # the first leave at a size it never left at before: the domain at a new peak
            life.own_peak = size
            return size > life.peak_size  # (not if a merged-in domain had a larger one)
        return False

    def peak(self, domain_id: str, time: float, size: int, evidence: Peak) -> None:
        """The domain's members' evidence at the new peak `left` just announced."""
        life = self._open[domain_id]
        self._peaks_taken += 1
        life.peak, life.peak_size = evidence, size
        life.peak_at, life.peak_seq = time, self._peaks_taken

    def take(
        self,
        opened: Iterable[str],
        closed: Iterable[str],
        merged_into: Mapping[str, str],
        members: Callable[[str], Iterable[int]],
        clock: float | None,
    ) -> None:
        """One batch's domain changes (the engine's raw ones: a domain that opened and
        closed within the batch is kept too); `members` lists an open domain's components."""
        lives, entered = self._open, self._entered
        for domain_id in opened:
            if domain_id not in lives and domain_id not in entered:
                # a part split off: its components entered another domain, not this one
                entered[domain_id] = set(members(domain_id))
        for gone, into in merged_into.items():
            came = entered.pop(gone, None)
            if came:
                life = lives.get(into)
                (entered.setdefault(into, set()) if life is None else life.members).update(came)
            lost = lives.pop(gone, None)
            if lost is None:
                continue
            kept = lives.get(into)
            if kept is None:
                lost.members |= entered.pop(into, set())
                lost.own_peak = 0  # `into` takes peaks by its own leaves, as if folded later
                lives[into] = lost
            else:
                kept.fold(lost)
        for domain_id in closed:
            if domain_id in merged_into:
                continue
            entered.pop(domain_id, None)
            life = lives.pop(domain_id, None)
            if life is None:
                continue
            closed_at = life.closing_at if life.closing_at is not None else clock
            if closed_at is None:
                continue
            ids = self.ids
            peak = life.peak
            self._keep(
                ClosedDomain(
                    domain_id,
                    life.severity,
                    life.size,
                    life.first_seen,
                    life.opened_at,
                    closed_at,
                    tuple(sorted(str(ids[n]) for n in life.members)),
                    None if peak is None else life.peak_at,
                    b"" if peak is None else peak,
                    None if peak is None or self._causes is None else self._causes.causes_of,
                )
            )

    def _keep(self, domain: ClosedDomain) -> None:
        times, kept = self._closing_times, self._closed
        if not times or domain.closed_at >= times[-1]:  # closings mostly come in order
            times.append(domain.closed_at)
            kept.append(domain)
        else:
            at = bisect.bisect_right(times, domain.closed_at)
            times.insert(at, domain.closed_at)
            kept.insert(at, domain)
        self._by_id[domain.id] = domain
        if len(kept) > self.keep + self.keep // 8:  # the oldest go, a slice at a time
            excess = len(kept) - self.keep
            for dropped in kept[:excess]:
                self._by_id.pop(dropped.id, None)
                if self._causes is not None:
                    self._causes.forget(dropped)
            del kept[:excess], times[:excess]

    # -- reading ----------------------------------------------------------------------

    def between(self, start: float, end: float) -> list[ClosedDomain]:
        """Closed domains that were open at some time within [start, end], by closing time."""
        first = bisect.bisect_left(self._closing_times, start)
        return [d for d in self._closed[first:] if d.active_in(start, end)]

    def get(self, domain_id: str) -> ClosedDomain | None:
        """The closed domain of this id (None: open, unknown or dropped)."""
        return self._by_id.get(domain_id)

    def __len__(self) -> int:
        return len(self._closed)
