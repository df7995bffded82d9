"""The correlation engine: applies alert events to state and emits deltas.

Event-time driven and deterministic: the clock is the latest event time seen
(never the wall clock), so the same input in the same order gives the same
alerts, domains, ids and ranking, in the console and in `watchfloor analyze`.

Alert semantics (DESIGN.md 3.2):
- identity is the fingerprint; a repeat of a firing alert updates it;
- an observation older than the last one applied to the same fingerprint is
  stale (it arrived late and out of order) and is counted, not applied;
- a resolve of an unknown fingerprint is recorded as a resolved alert;
- a firing alert that carries an `endsAt` in the future (Alertmanager API v2
  semantics) resolves by itself when the clock passes it without a refresh.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from core.closed_domains import (
    PEAK_ENTRY,
    ClosedDomain,
    DomainLives,
    Peak,
    peak_entry,
    rank_peak,
)
from core.domain_view import (
    DomainInputs,
    DomainSummary,
    DomainView,
    Impact,
    RootCause,
    build_domain_view,
    local_reach,
)
from core.domain_view import domain_order as _domain_order
from core.graph.domains import DomainChanges, DomainRecord, FailureDomains
from core.graph.ranking import Evidence, RankedCause, rank_root_causes
from core.graph.topology import Topology
from core.ingest.mapping import DEFAULT_COMPONENT_LABELS, ComponentMapper
from core.model import AlertEvent, Rejected, Severity, Status

__all__ = [  # the domain views are defined in core.domain_view; importable from here too
    "AlertState",
    "DomainInputs",
    "DomainSummary",
    "DomainView",
    "Engine",
    "EngineConfig",
    "EngineDelta",
    "Impact",
    "RootCause",
    "build_domain_view",
]


_FIRING = Status.FIRING  # a module constant: looked up per event in the hot path


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Tunable correlation behaviour (defaults are what DESIGN.md describes)."""

    component_labels: tuple[str, ...] = DEFAULT_COMPONENT_LABELS
    bridging: bool = True
    bridge_fraction: float = 0.5
    conduit_fraction: float = 0.34
    bridge_min: int = 2
    root_cause_limit: int = 5
    # Alerts below this severity are kept and shown but do not make their
    # component part of a failure domain (info-level chatter does not page).
    domain_min_severity: Severity = Severity.INFO
    keep_rejected: int = 100_000
    # Ids to give domains instead of the opening-order ones ((fresh id, id) pairs):
    # a snapshot of one domain replays only its alerts and keeps its original ids.
    domain_names: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class AlertState:
    """The engine's record of one alert (one fingerprint)."""

    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    severity: Severity
    status: Status
    starts_at: float
    ends_at: float | None
    first_seen: float
    last_event_time: float
    component: int | None
    generator_url: str
    origin: str
    repeats: int = 0
    episodes: int = 1

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def firing(self) -> bool:
        return self.status is Status.FIRING


@dataclass(slots=True)
class EngineDelta:
    """What one `apply` changed, for the console bridge and history sinks."""

    alerts_added: list[str] = field(default_factory=list)
    alerts_updated: list[str] = field(default_factory=list)
    alerts_resolved: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    domains_opened: list[str] = field(default_factory=list)
    domains_changed: list[str] = field(default_factory=list)
    domains_closed: list[str] = field(default_factory=list)
    merged_into: dict[str, str] = field(default_factory=dict)
    merged_at: dict[str, float] = field(default_factory=dict)  # event time of each merge
    stale: int = 0
    clock: float | None = None

    def __bool__(self) -> bool:
        return bool(
            self.alerts_added
            or self.alerts_updated
            or self.alerts_resolved
            or self.rejected
            or self.domains_opened
            or self.domains_changed
            or self.domains_closed
            or self.stale
        )


class _NamedDomains(FailureDomains):
    """Failure domains whose ids are renamed as they open (EngineConfig.domain_names)."""

    names: dict[str, str]

    def _open(self, root: int, time: float) -> None:
        super()._open(root, time)
        record = self._records[root]
        name = self.names.get(record.id)
        if name is not None:
            record.id = name
            self.changes.opened[-1] = name


class Engine:
    """Owns the correlation state for one topology."""

    _event_types: frozenset[type] = frozenset({AlertEvent})
    """The alert event classes `apply` takes most (any other AlertEvent works, slower)."""

    def __init__(self, topology: Topology, config: EngineConfig | None = None) -> None:
        self.topology = topology
        self.config = config or EngineConfig()
        self._mapper = ComponentMapper(topology, self.config.component_labels)
        domains_class = _NamedDomains if self.config.domain_names else FailureDomains
        self._domains = domains_class(
            topology,
            bridging=self.config.bridging,
            bridge_fraction=self.config.bridge_fraction,
            conduit_fraction=self.config.conduit_fraction,
            bridge_min=self.config.bridge_min,
        )
        if isinstance(self._domains, _NamedDomains):
            self._domains.names = dict(self.config.domain_names)
        self.alerts: dict[str, AlertState] = {}
        self.rejected: list[Rejected] = []
        self.rejected_total = 0
        self.stale_total = 0
        self.events_total = 0
        self.clock: float | None = None
        self._firing: dict[int, set[str]] = {}  # component -> firing fingerprints
        # component -> its Evidence, dropped whenever its firing alerts change
        self._evidence_of: dict[int, Evidence] = {}
        self._episodes: dict[int, int] = {}  # component -> times it started alerting
        self._unmapped_firing: set[str] = set()
        # Firing alerts below domain_min_severity: shown, but they form no domain.
        self._minor_firing: dict[int, set[str]] = {}
        self._expiry: list[tuple[float, str]] = []
        self._views: dict[str, DomainView] = {}
        self._summaries: dict[str, DomainSummary] = {}  # kept like _views, until it changes
        # Open domains' lives so far, and the closed ones (ranked at their peak, when read).
        limit = self.config.root_cause_limit
        self._lives = DomainLives(topology.ids, rank=lambda peak: rank_peak(topology, peak, limit))
        self._records_by_id: dict[str, DomainRecord] | None = None  # built on demand
        # Every merge into a domain still open (merged id -> the id it merged into,
        # and back): a rebuilt engine knows exactly the merges up to its clock.
        self._merged_into: dict[str, str] = {}
        self._merged_from: dict[str, list[str]] = {}
        self._delta = EngineDelta()
        # Deltas taken so far, and the delta in which each open domain last changed:
        # a view built from inputs taken after that delta is still current.
        self._deltas_taken = 0
        self._changed_in: dict[str, int] = {}

    # -- applying events ---------------------------------------------------

    def apply(self, batch: Iterable[AlertEvent | Rejected]) -> EngineDelta:
        """Apply a batch of events in order; return what changed."""
        self._records_by_id = None
        event_types = self._event_types
        for item in batch:
            # `type(..) in` first: isinstance of a subclass takes the slow generic path
            if type(item) in event_types or isinstance(item, AlertEvent):
                self._apply_event(item)  # type: ignore[arg-type]  # an AlertEvent, as above
            else:
                self._reject(item)
        return self._take_delta()

    def advance_to(self, time: float) -> EngineDelta:
        """Move the clock forward (expiring alerts whose endsAt has passed)."""
        self._records_by_id = None
        if self.clock is None or time > self.clock:
            self.clock = time
        self._expire(self.clock)
        return self._take_delta()

    def _reject(self, item: Rejected) -> None:
        self.rejected_total += 1
        if len(self.rejected) < self.config.keep_rejected:
            self.rejected.append(item)
        self._delta.rejected.append(item)

    def _apply_event(self, event: AlertEvent) -> None:
        self.events_total += 1
        time = event.event_time
        if self.clock is None or time > self.clock:
            self.clock = time
        if self._expiry and self._expiry[0][0] <= self.clock:
            self._expire(self.clock)
        state = self.alerts.get(event.fingerprint)
        delta = self._delta
        if state is None:
            labels = event.labels or self._labels_sent_before(event)
            state = AlertState(
                fingerprint=event.fingerprint,
                labels=labels,
                annotations=event.annotations,
                severity=event.severity,
                status=event.status,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                first_seen=time,
                last_event_time=time,
                component=self._mapper.map(labels),
                generator_url=event.generator_url,
                origin=event.origin,
            )
            self.alerts[event.fingerprint] = state
            delta.alerts_added.append(event.fingerprint)
            if state.status is Status.FIRING:
                self._start_firing(state)
            else:
                self._episode_touched(state)
            return
        if time < state.last_event_time:
            self.stale_total += 1
            delta.stale += 1
            return
        firing, was_firing = event.status is _FIRING, state.status is _FIRING
        if firing and not was_firing:
            self._refiring(state)  # before this observation changes it
        state.last_event_time = time
        state.annotations = event.annotations
        state.generator_url = event.generator_url or state.generator_url
        state.origin = event.origin
        if firing:
            if was_firing:
                state.repeats += 1
                if event.starts_at < state.starts_at:
                    state.starts_at = event.starts_at
                    self._touch_component(state.component)  # its onset moved
                    self._episode_touched(state)
                state.ends_at = event.ends_at
                if event.ends_at is not None:
                    heapq.heappush(self._expiry, (event.ends_at, state.fingerprint))
                if event.severity != state.severity:
                    self._regrade(state, event.severity, time)
                delta.alerts_updated.append(state.fingerprint)
            else:
                state.status = _FIRING
                state.severity = event.severity
                state.starts_at = event.starts_at
                state.ends_at = event.ends_at
                state.episodes += 1
                delta.alerts_updated.append(state.fingerprint)
                self._start_firing(state)
        elif was_firing:
            self._stop_firing(state, event.ends_at if event.ends_at is not None else time)
        else:
            if event.ends_at is not None:
                state.ends_at = event.ends_at
            delta.alerts_updated.append(state.fingerprint)
            self._episode_touched(state)

    def _labels_sent_before(self, event: AlertEvent) -> dict[str, str]:
        """The labels of an event that came without them (none here: the history
        writer's engine is sent each fingerprint's labels once)."""
        return event.labels

    def _episode_touched(self, state: AlertState) -> None:
        """An alert's episode may have changed where no other hook says so (it arrived
        resolved, a resolved alert was sent again, a firing one's onset moved).

        Nothing here: the history writer's engine lists the alerts whose episode
        rows may have changed (with `_start_firing`, `_stop_firing`, `_regrade`),
        so it never looks at the re-sends that change nothing.
        """

    def _refiring(self, state: AlertState) -> None:
        """A resolved alert is about to fire again (`state` still as it ended).

        Nothing here; the history writer's engine keeps that episode's row.
        """

    def _start_firing(self, state: AlertState) -> None:
        if state.ends_at is not None:
            heapq.heappush(self._expiry, (state.ends_at, state.fingerprint))
        if state.component is None:
            self._unmapped_firing.add(state.fingerprint)
        else:
            self._join(state, state.component)

    def _stop_firing(self, state: AlertState, ended: float) -> None:
        state.status = Status.RESOLVED
        state.ends_at = ended
        self._delta.alerts_resolved.append(state.fingerprint)
        if state.component is None:
            self._unmapped_firing.discard(state.fingerprint)
        else:
            self._leave(state, state.component, ended)

    def _regrade(self, state: AlertState, severity: Severity, time: float) -> None:
        """A firing alert changed severity; it may cross domain_min_severity."""
        node = state.component
        threshold = self.config.domain_min_severity
        crosses = (state.severity >= threshold) != (severity >= threshold)
        if node is not None and crosses:
            self._leave(state, node, time)
            state.severity = severity
            self._join(state, node)
        else:
            state.severity = severity
            self._touch_component(node)
            record = None if node is None else self._domains.domain_of(node)
            if record is not None and node is not None:
                self._lives.joined(
                    record.id, record.opened_at, record.size, severity, state.starts_at, node
                )

    def _join(self, state: AlertState, node: int) -> None:
        """A firing alert starts to count on its component."""
        if state.severity < self.config.domain_min_severity:
            self._minor_firing.setdefault(node, set()).add(state.fingerprint)
            return
        firing = self._firing.get(node)
        if firing is None:
            self._evidence_of.pop(node, None)
            self._firing[node] = {state.fingerprint}
            self._episodes[node] = self._episodes.get(node, 0) + 1
            self._domains.activate(node, state.last_event_time)
            record = self._domains.domain_of(node)
            if record is not None:  # (a part that splits off later keeps it as a member)
                self._lives.entered(record.id, node)
        else:
            firing.add(state.fingerprint)
            self._touch_component(node)

    def _leave(self, state: AlertState, node: int, time: float) -> None:
        """A firing alert stops counting on its component (resolved or re-graded)."""
        minor = self._minor_firing.get(node)
        if minor is not None and state.fingerprint in minor:
            minor.discard(state.fingerprint)
            if not minor:
                del self._minor_firing[node]
            return
        firing = self._firing[node]
        record = self._domains.domain_of(node)
        # Before the alert leaves: at a new peak, the domain with it is the peak.
        if record is not None and self._lives.left(
            record.id,
            time,
            opened_at=record.opened_at,
            size=record.size,
            severity=state.severity,
            starts_at=state.starts_at,
            node=node,
        ):
            self._lives.peak(record.id, time, record.size, self._peak_of(node, record.size))
        firing.discard(state.fingerprint)
        if firing:
            self._touch_component(node)
        else:
            del self._firing[node]
            self._evidence_of.pop(node, None)
            self._domains.deactivate(node, time)

    def _expire(self, now: float) -> None:
        heap = self._expiry
        while heap and heap[0][0] <= now:
            ends_at, fingerprint = heapq.heappop(heap)
            state = self.alerts.get(fingerprint)
            if state is not None and state.firing and state.ends_at == ends_at:
                state.last_event_time = max(state.last_event_time, ends_at)
                self._stop_firing(state, ends_at)

    def _touch_component(self, node: int | None) -> None:
        if node is None:
            return
        self._evidence_of.pop(node, None)
        record = self._domains.domain_of(node)
        if record is not None:
            self._domains.changes.changed.add(record.id)

    def _take_delta(self) -> EngineDelta:
        delta = self._delta
        changes: DomainChanges = self._domains.changes
        opened, closed = set(changes.opened), set(changes.closed)
        # A domain opened and closed within one batch never reaches a view.
        delta.domains_opened = [d for d in changes.opened if d not in closed]
        delta.domains_closed = [d for d in changes.closed if d not in opened]
        delta.domains_changed = sorted(changes.changed - opened - closed, key=_domain_order)
        delta.merged_into = dict(changes.merged_into)
        delta.merged_at = dict(changes.merged_at)
        self._keep_merges(changes)
        self._deltas_taken += 1
        for domain_id in changes.changed:
            self._views.pop(domain_id, None)
            self._summaries.pop(domain_id, None)
            self._changed_in[domain_id] = self._deltas_taken
        for domain_id in closed:
            self._views.pop(domain_id, None)
            self._summaries.pop(domain_id, None)
            self._changed_in.pop(domain_id, None)
        self._lives.take(
            changes.opened, changes.closed, changes.merged_into, self.domain_members, self.clock
        )
        changes.clear()
        delta.clock = self.clock
        self._delta = EngineDelta()
        return delta

    def _keep_merges(self, changes: DomainChanges) -> None:
        """Remember this batch's merges; forget those into domains that closed."""
        for gone, kept in changes.merged_into.items():
            self._merged_into[gone] = kept
            self._merged_from.setdefault(kept, []).append(gone)
        for domain_id in changes.closed:
            if domain_id in changes.merged_into:
                continue
            ended = [domain_id]
            while ended:
                for gone in self._merged_from.pop(ended.pop(), ()):
                    self._merged_into.pop(gone, None)
                    ended.append(gone)

    # -- queries -----------------------------------------------------------

    @property
    def active_alerts(self) -> list[AlertState]:
        return [a for a in self.alerts.values() if a.firing]

    @property
    def unmapped_firing(self) -> list[str]:
        """Fingerprints of firing alerts whose labels name no topology component."""
        return sorted(self._unmapped_firing)

    def firing_on(self, node: int) -> frozenset[str]:
        return frozenset(self._firing.get(node, ()))

    def is_alerting(self, node: int) -> bool:
        return node in self._firing

    def domain_ids(self) -> list[str]:
        return [r.id for r in self._domains.records()]

    def domains(self) -> list[DomainView]:
        """Open failure domains, worst first: severity, then size, then age."""
        views = [self._view(record) for record in self._domains.records()]
        views.sort(key=lambda v: (-v.severity, -v.size, v.first_seen, _domain_order(v.id)))
        return views

    def domain(self, domain_id: str) -> DomainView | None:
        record = self._record(domain_id)
        return None if record is None else self._view(record)

    def cached_domain(self, domain_id: str) -> DomainView | None:
        """The domain's view if it is built and still current, else None (never builds one)."""
        view = self._views.get(domain_id)
        return view if view is not None and self._record(domain_id) is not None else None

    def domain_summary(self, domain_id: str) -> DomainSummary | None:
        """Severity, size and onset of an open domain (no ranking, no blast radius).

        O(members) the first time after the domain changed, then kept.
        """
        record = self._record(domain_id)
        if record is None:
            return None
        summary = self._summaries.get(domain_id)
        if summary is not None:
            return summary
        severity, first_seen = Severity.INFO, math.inf
        for m in self._domains.members(record):
            evidence = self._evidence(m)
            if evidence.severity > severity:
                severity = evidence.severity
            if evidence.first_start < first_seen:
                first_seen = evidence.first_start
        summary = DomainSummary(record.id, severity, record.size, first_seen, record.opened_at)
        self._summaries[domain_id] = summary
        return summary

    def closed_domains(self, start: float, end: float) -> list[ClosedDomain]:
        """Domains closed by now that were open at some time within [start, end]."""
        return self._lives.between(start, end)

    def closed_domain(self, domain_id: str) -> ClosedDomain | None:
        """A domain that has closed, as it was over its life (None: open or unknown)."""
        return self._lives.get(domain_id)

    def domain_size(self, domain_id: str) -> int:
        """How many alerting components an open domain has (0: not open)."""
        record = self._record(domain_id)
        return 0 if record is None else record.size

    def domain_members(self, domain_id: str) -> list[int]:
        """Indices of an open domain's alerting components (no ranking, no blast radius)."""
        record = self._record(domain_id)
        return [] if record is None else self._domains.members(record)

    def _record(self, domain_id: str) -> DomainRecord | None:
        # Records change only while events are applied; between batches every
        # lookup by id shares one index instead of scanning all open domains.
        by_id = self._records_by_id
        if by_id is None:
            by_id = self._records_by_id = {r.id: r for r in self._domains.records()}
        return by_id.get(domain_id)

    def domain_of(self, node: int) -> str | None:
        record = self._domains.domain_of(node)
        return record.id if record is not None else None

    @property
    def merged_into(self) -> Mapping[str, str]:
        """Each domain merged so far into one still open -> the domain it merged into then."""
        return MappingProxyType(self._merged_into)

    def merged_from(self, domain_id: str) -> list[str]:
        """The domains merged into `domain_id` so far, directly or through others, oldest first.

        Exactly the merges this engine has applied up to its clock: what the
        operator state of a domain follows (`OperatorLog.shown`).
        """
        merged_from = self._merged_from
        if domain_id not in merged_from:
            return []
        found: list[str] = []
        pending = [domain_id]
        while pending:
            for gone in merged_from.get(pending.pop(), ()):
                found.append(gone)
                pending.append(gone)
        return sorted(found, key=_domain_order)

    def rank(self, members: Sequence[int]) -> list[RankedCause]:
        """Root-cause candidates for a set of alerting components."""
        evidence = {m: self._evidence(m) for m in members}
        return rank_root_causes(
            self.topology,
            members,
            evidence,
            self.is_alerting,
            local_reach(self.topology, members, self._domains.alerting_bytes),
            limit=self.config.root_cause_limit,
        )

    def domain_inputs(self, domain_id: str) -> DomainInputs | None:
        """A snapshot of what the open domain's view is built from (None: not open).

        For `build_domain_view` on another thread; hand the result back with
        `adopt_view`. Costs O(members and their alerts), not a ranking.
        """
        record = self._record(domain_id)
        return None if record is None else self._inputs(record, copy=True)

    def adopt_view(self, inputs: DomainInputs, view: DomainView) -> bool:
        """Cache a view built from `inputs` if the domain has not changed since (True: kept)."""
        if self._record(inputs.id) is None:
            return False
        if self._changed_in.get(inputs.id, 0) > inputs.version:
            return False
        self._views.setdefault(inputs.id, view)
        return True

    def _inputs(self, record: DomainRecord, *, copy: bool) -> DomainInputs:
        nodes = self._domains.members(record)
        flags = self._domains.alerting_bytes
        return DomainInputs(
            id=record.id,
            opened_at=record.opened_at,
            version=self._deltas_taken,
            members=tuple(nodes),
            evidence={m: self._evidence(m) for m in nodes},
            alerts=tuple((self.alerts[fp].starts_at, fp) for m in nodes for fp in self._firing[m]),
            alerting=bytes(flags) if copy else flags,
        )

    def _evidence(self, node: int) -> Evidence:
        evidence = self._evidence_of.get(node)
        if evidence is None:
            firing = [self.alerts[fp] for fp in self._firing[node]]
            evidence = self._evidence_of[node] = Evidence(
                first_start=min(a.starts_at for a in firing),
                severity=max(a.severity for a in firing),
                episodes=self._episodes.get(node, 1),
            )
        return evidence

    def _view(self, record: DomainRecord) -> DomainView:
        view = self._views.get(record.id)
        if view is None:
            inputs = self._inputs(record, copy=False)
            view = build_domain_view(self.topology, inputs, self.config.root_cause_limit)
            self._views[record.id] = view
        return view

    def _peak_of(self, node: int, size: int) -> Peak:
        """The evidence of every member of `node`'s domain (`size` members) now: its peak."""
        if size == 1:  # most domains of a noisy estate: `node` alone, no ring to walk
            return self._peak_entry(node)
        record = self._domains.domain_of(node)
        if record is None:
            return b""
        return b"".join([self._peak_entry(m) for m in self._domains.members(record)])

    def _peak_entry(self, node: int) -> bytes:
        """`peak_entry(node, self._evidence(node))`, without making an Evidence to throw away."""
        firing = self._firing[node]
        if len(firing) == 1:  # one alert (most components): its start and severity
            for fingerprint in firing:
                alert = self.alerts[fingerprint]
                episodes = self._episodes.get(node, 1)
                return PEAK_ENTRY.pack(node, alert.starts_at, alert.severity, episodes)
        return peak_entry(node, self._evidence(node))
