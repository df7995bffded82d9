"""Failure domains after they close: what an operator looking at a past time range still sees.

The engine forgets a domain when its last alerting member resolves, yet "what
was going on between 02:10 and 02:20" must list the incidents that opened and
closed in between. `DomainLives` keeps a `ClosedDomain` when one closes,
ordered by closing time and bounded (the oldest go first), with its whole
life: worst severity, most alerting members at once, first alert, opening,
every component that alerted in it, the top root cause of its last ranking.

All of it is learnt as alerts *leave* a domain, at O(1) each (and on the rare
upward regrade): every alert that counted in a domain leaves it before it
closes, and its size peaks just before the first alert leaves after a growth,
so nothing needs doing as alerts join (the engine's hot path). A domain merged
into another is not closed: its life folds into the one it joined.

It is part of the engine's state, so it is the same however the engine got
to its clock: played, sought backwards (rebuilt) or jumped forwards, in
batches of any size (a domain that opens and closes within one batch is kept).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.model import Severity

KEEP = 50_000
"""Closed domains kept (the oldest are dropped first, an eighth more at a time)."""


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
    root_cause: str | None
    """Top candidate of its last ranking (None: it was never ranked)."""
    root_alerting: bool
    members: tuple[str, ...] = ()
    """Every component that alerted in it at some time, by id."""

    def active_in(self, start: float, end: float) -> bool:
        """Whether it was open at some time within [start, end]."""
        return min(self.first_seen, self.opened_at) <= end and self.closed_at >= start


@dataclass(slots=True)
class _Life:
    severity: Severity
    size: int
    first_seen: float
    opened_at: float
    members: set[int]
    cause: tuple[str, bool] | None = None
    closing_at: float | None = None  # the latest end of an alert that left it

    def fold(self, other: _Life) -> None:
        self.severity = max(self.severity, other.severity)
        self.size = max(self.size, other.size)
        self.first_seen = min(self.first_seen, other.first_seen)
        self.opened_at = min(self.opened_at, other.opened_at)
        self.members |= other.members


class DomainLives:
    """Open domains' lives so far, and the closed domains (see the module docstring)."""

    def __init__(self, ids: Sequence[str], keep: int = KEEP) -> None:
        self.ids = ids  # component index -> id
        self.keep = keep
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

    def ranked(self, domain_id: str, cause: tuple[str, bool] | None) -> None:
        """The domain was ranked: its top candidate (component, alerting) or None."""
        life = self._open.get(domain_id)
        if life is not None:
            life.cause = cause

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
        closes: str | None = None,
    ) -> None:
        """An alert stops counting in the domain at `time` (while it still has `size` members).

        `closes` names the component when it is the domain's last alerting
        member. Every alert passes here or through `joined`, so a part split
        off a domain (which nobody joined) still ends with its whole life.
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
        if closes is not None and life.cause is None and life.size == 1:
            life.cause = (closes, True)  # a one-component domain is its own root cause

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
                lost.cause = None
                lost.members |= entered.pop(into, set())
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
            cause, alerting = life.cause if life.cause is not None else (None, False)
            ids = self.ids
            self._keep(
                ClosedDomain(
                    domain_id,
                    life.severity,
                    life.size,
                    life.first_seen,
                    life.opened_at,
                    closed_at,
                    cause,
                    alerting,
                    tuple(sorted(str(ids[n]) for n in life.members)),
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
