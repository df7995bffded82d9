"""What the engine did, as history rows: alert episodes and failure-domain steps.

The history writer runs its own engine per recorded source (a shadow of the
console's, fed the same observations in the same order, in the writer
thread), and `EngineRecorder` turns each of its exact deltas into rows:
the current episode of every alert that changed, and the domains opened,
changed (root causes whenever it grew, else at most every
`CHANGE_INTERVAL_S` of event time per domain) and closed. The console and
`watchfloor history import` therefore record the same lifecycle for the same
input, at any replay speed, and the GUI thread does none of this work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.domain_view import rank_members
from core.engine import AlertState, Engine, EngineConfig, EngineDelta
from core.graph.domains import DomainRecord
from core.graph.topology import Topology
from core.history.rows import BatchSink, EpisodeTuple, roots_json
from core.history.wire import ShadowEvent
from core.history.writer import DomainStep, EpisodeRow, HistoryWriter, SourceInfo
from core.model import AlertEvent, Severity, Status
from core.timeline import Record, timeline

if TYPE_CHECKING:
    from core.history.process import HistoryProcess

IMPORT_BATCH = 64
"""Observations per engine batch: small enough that short-lived domains are seen."""
CHANGE_INTERVAL_S = 30.0
"""A changed domain's root causes are recorded at most this often (event time)."""


class RowSink(Protocol):
    """Where the recorder's rows go (the writer's current batch)."""

    def add_episodes(self, handle: int, rows: Sequence[EpisodeRow]) -> None: ...

    def add_domain_steps(self, handle: int, steps: Sequence[DomainStep]) -> None: ...

    def add_merges(self, handle: int, merges: Sequence[tuple[str, str, float]]) -> None: ...


class EpisodeEngine(Engine):
    """The writer's engine: also notes every alert episode as it ends or is replaced.

    A delta only tells which alerts changed, and the recorder reads their state
    after the whole batch: an alert that fired, resolved and fired again within
    one batch would show only its last episode. This engine keeps each episode
    the moment it ends (resolve or endsAt expiry), and a resolved episode the
    moment a new one replaces it, in `ended` (drained by `EngineRecorder`).
    """

    _event_types = frozenset({AlertEvent, ShadowEvent})  # ShadowEvent: the writer process's

    def __init__(
        self,
        topology: Topology,
        config: EngineConfig | None = None,
        labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """`labels`: each fingerprint's labels, for events that come without them (the
        writer process is sent them once per fingerprint: core.history.wire)."""
        super().__init__(topology, config)
        self.labels: dict[str, dict[str, str]] = {} if labels is None else labels
        self.ended: list[EpisodeTuple] = []
        # Alerts whose episode row may have changed since the recorder last looked
        # (in order): most of a busy stream is re-sends of firing alerts, never listed.
        self.touched: dict[str, None] = {}
        self._single_roots: dict[str, str] = {}  # component -> its roots JSON alone
        # Open domains by id as last found (checked before use): the records the
        # engine's own index would rebuild from every open domain after each batch.
        self._by_id: dict[str, DomainRecord] = {}

    def _join(self, state: AlertState, node: int) -> None:
        super()._join(state, node)
        record = self._domains.domain_of(node)
        if record is not None:
            self._by_id[record.id] = record

    def _record(self, domain_id: str) -> DomainRecord | None:
        record = self._by_id.get(domain_id)
        if record is not None and record.id == domain_id and self._domains.is_open(record):
            return record
        record = super()._record(domain_id)  # split off (or gone): look it up as usual
        if record is not None:
            self._by_id[domain_id] = record
        return record

    def _take_delta(self) -> EngineDelta:
        for domain_id in self._domains.changes.closed:
            self._by_id.pop(domain_id, None)
        return super()._take_delta()

    def _labels_sent_before(self, event: AlertEvent) -> dict[str, str]:
        return self.labels.get(event.fingerprint, event.labels)

    def _refiring(self, state: AlertState) -> None:
        # A resolved alert fires again now: keep the episode it ends on.
        self.ended.append(episode_tuple(self, state))

    def _start_firing(self, state: AlertState) -> None:
        super()._start_firing(state)
        self.touched[state.fingerprint] = None

    def _stop_firing(self, state: AlertState, ended: float) -> None:
        super()._stop_firing(state, ended)
        self.ended.append(episode_tuple(self, state))
        self.touched[state.fingerprint] = None

    def _regrade(self, state: AlertState, severity: Severity, time: float) -> None:
        super()._regrade(state, severity, time)
        self.touched[state.fingerprint] = None

    def _episode_touched(self, state: AlertState) -> None:
        self.touched[state.fingerprint] = None

    def step_row(
        self, sid: int, domain_id: str, step: str, clock: float | None
    ) -> tuple[Any, ...] | None:
        """`domain_step` as the row the writer stores (roots as JSON), or None.

        The same values; a single (most domains of a noisy estate) is read
        straight from its record and its component's evidence, with its roots
        JSON made once per component.
        """
        record = self._record(domain_id)
        if record is None:
            return None
        at = record.opened_at if step == "opened" else clock
        if at is None:
            return None
        if record.size == 1:
            node = self._domains.members(record)[0]
            name = self.topology.ids[node]
            roots = self._single_roots.get(name)
            if roots is None:
                roots = self._single_roots[name] = roots_json(((name, None, True),))
            severity = int(self._evidence(node).severity)
            return (sid, domain_id, step, at, severity, 1, None, None, roots)
        # `domain_step`'s values without building the domain's view: the same
        # ranking over the same inputs.
        inputs = self._inputs(record, copy=False)
        nodes = list(inputs.members)
        evidence, topology = inputs.evidence, self.topology
        ranked = rank_members(
            topology, nodes, evidence, inputs.alerting, self.config.root_cause_limit
        )
        ids = topology.ids
        return (
            sid,
            domain_id,
            step,
            at,
            int(max(evidence[m].severity for m in nodes)),
            len(nodes),
            len(inputs.alerts),
            None,  # impacted: see rows.DomainStep
            roots_json((ids[c.node], c.score, c.alerting) for c in ranked),
        )


class EngineRecorder:
    """Turns one engine's deltas (one source) into episode and domain rows.

    With a `BatchSink` (the writer's own engine) rows go straight into the
    batch as the tuples SQLite takes; any other sink gets `EpisodeRow`s and
    `DomainStep`s (the same values).
    """

    def __init__(
        self, sink: RowSink, handle: int, change_interval: float = CHANGE_INTERVAL_S
    ) -> None:
        self.sink = sink
        self.handle = handle
        self.change_interval = change_interval
        self.muted = False  # applying what the store already holds: no rows
        self._recorded_at: dict[str, float] = {}  # open domain -> last snapshot time
        self._members: dict[str, int] = {}  # open domain -> members at the last snapshot
        self._pending: dict[str, None] = {}  # changed, not yet recorded
        self._seen: dict[str, tuple[int, Severity, float]] = {}  # firing alert -> row sent

    def delta(self, engine: Engine, delta: EngineDelta) -> None:
        """Record one exact engine delta."""
        rows: list[EpisodeTuple] = []
        if isinstance(engine, EpisodeEngine):
            if engine.ended:
                rows, engine.ended = engine.ended, []
            changed, engine.touched = engine.touched, {}
        else:
            changed = dict.fromkeys(
                (*delta.alerts_added, *delta.alerts_updated, *delta.alerts_resolved)
            )
        if self.muted:
            return
        # A firing alert re-sent (most of a busy stream) keeps its episode row:
        # skip it here, before building a row the writer would drop anyway.
        alerts, seen, names = engine.alerts, self._seen, engine.topology.ids
        firing = Status.FIRING
        for fingerprint in changed:
            alert = alerts.get(fingerprint)
            if alert is None:
                continue
            if alert.status is firing:
                mark = (alert.episodes, alert.severity, alert.starts_at)
                if seen.get(fingerprint) == mark:
                    continue
                seen[fingerprint] = mark
                end = None
            else:
                seen.pop(fingerprint, None)
                end = alert.ends_at
                if end is None:
                    end = alert.last_event_time
            node = alert.component
            rows.append(
                (
                    fingerprint,
                    alert.episodes,
                    int(alert.severity),
                    None if node is None else names[node],
                    alert.starts_at,
                    end,
                )
            )
        sink = self.sink
        if delta.merged_into and delta.clock is not None:
            at, clock = delta.merged_at, delta.clock
            merges = [(d, into, at.get(d, clock)) for d, into in delta.merged_into.items()]
            sink.add_merges(self.handle, merges)
        if isinstance(sink, BatchSink) and isinstance(engine, EpisodeEngine):
            sink.add_episode_tuples(rows)
            self._domain_rows(engine, delta, sink)
            return
        sink.add_episodes(self.handle, [EpisodeRow(*row) for row in rows])
        steps: list[DomainStep] = []

        def record(domain_id: str, step: str, clock: float | None) -> tuple[float, int] | None:
            found = domain_step(engine, domain_id, step, clock)
            if found is None:
                return None
            steps.append(found)
            return found.at, found.members or 0

        def close(domain_id: str, clock: float) -> None:
            steps.append(DomainStep(domain_id, "closed", clock))

        self._domain_steps(engine, delta, record, close)
        sink.add_domain_steps(self.handle, steps)

    def _domain_rows(self, engine: EpisodeEngine, delta: EngineDelta, sink: BatchSink) -> None:
        """The domain steps of one delta as stored rows, into the writer's batch."""
        sid, rows, roots = sink.sid, sink.batch.step_rows, sink.roots

        def record(domain_id: str, step: str, clock: float | None) -> tuple[float, int] | None:
            row = engine.step_row(sid, domain_id, step, clock)
            if row is None:
                return None
            rows.append(row)
            roots[(sid, domain_id)] = row[8]
            return row[3], row[5]

        def close(domain_id: str, clock: float) -> None:
            roots_then = roots.pop((sid, domain_id), "[]")
            rows.append((sid, domain_id, "closed", clock, None, None, None, None, roots_then))

        self._domain_steps(engine, delta, record, close)

    def _domain_steps(
        self,
        engine: Engine,
        delta: EngineDelta,
        record: Callable[[str, str, float | None], tuple[float, int] | None],
        close: Callable[[str, float], object],
    ) -> None:
        """Which domains to record: opened, closed, and changed (grown, or not lately)."""
        clock = delta.clock
        recorded_at, members, pending = self._recorded_at, self._members, self._pending
        for domain_id in delta.domains_opened:
            stored = record(domain_id, "opened", clock)
            if stored is not None:
                recorded_at[domain_id], members[domain_id] = stored
        for domain_id in delta.domains_closed:
            recorded_at.pop(domain_id, None)
            members.pop(domain_id, None)
            pending.pop(domain_id, None)
            if clock is not None:
                close(domain_id, clock)
        for merged in delta.merged_into:
            recorded_at.pop(merged, None)
            members.pop(merged, None)
            pending.pop(merged, None)
        if delta.domains_changed:
            pending.update(dict.fromkeys(delta.domains_changed))
        if clock is not None and pending:
            changed_now = set(delta.domains_changed)
            for domain_id in list(pending):
                recent = clock - recorded_at.get(domain_id, float("-inf"))
                if recent < self.change_interval and (
                    domain_id not in changed_now
                    or engine.domain_size(domain_id) <= members.get(domain_id, 0)
                ):
                    continue  # recorded recently and not grown since
                del pending[domain_id]
                stored = record(domain_id, "changed", clock)
                if stored is not None:
                    recorded_at[domain_id], members[domain_id] = clock, stored[1]


def episode_rows(engine: Engine, fingerprints: Iterable[str]) -> list[EpisodeRow]:
    """Each alert's current episode: number, severity, component, start, end (None: firing)."""
    alerts = engine.alerts
    rows = []
    for fingerprint in fingerprints:
        alert = alerts.get(fingerprint)
        if alert is not None:
            rows.append(episode_row(engine, alert))
    return rows


def episode_row(engine: Engine, alert: AlertState) -> EpisodeRow:
    """One alert's current episode as a row."""
    return EpisodeRow(*episode_tuple(engine, alert))


def episode_tuple(engine: Engine, alert: AlertState) -> EpisodeTuple:
    """`episode_row` as a plain tuple (what the writer's batch holds)."""
    component = None if alert.component is None else engine.topology.ids[alert.component]
    end = None if alert.firing else alert.ends_at
    if end is None and not alert.firing:
        end = alert.last_event_time
    return (alert.fingerprint, alert.episodes, int(alert.severity), component, alert.starts_at, end)


def domain_step(
    engine: Engine, domain_id: str, step: str, clock: float | None
) -> DomainStep | None:
    """A domain's severity, size and ranked root causes now (None once it closed).

    A domain of one alerting component has that component as its only root
    cause candidate (silent candidates need two dependents in the domain), so
    it is recorded without ranking it (score left empty): most domains of a
    noisy estate are such singles, and ranking each would cost the writer more
    than everything else it does.
    """
    summary = engine.domain_summary(domain_id)
    if summary is None:
        return None
    at = summary.opened_at if step == "opened" else clock
    if at is None:
        return None
    if summary.size == 1:
        member = engine.topology.ids[engine.domain_members(domain_id)[0]]
        return DomainStep(
            domain_id, step, at, int(summary.severity), 1, None, ((member, None, True),)
        )
    view = engine.domain(domain_id)
    if view is None:
        return None
    return DomainStep(
        domain_id,
        step,
        at,
        int(view.severity),
        len(view.members),
        len(view.alerts),
        tuple((c.component, c.score, c.alerting) for c in view.root_causes),
    )


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes: a replay's identity, wherever it is opened from."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def replay_source(replay: str | Path, topology: str | Path | None, records: int) -> SourceInfo:
    """The source record of a replay file (identified by content, so a copy is the same)."""
    path = Path(replay)
    return SourceInfo(
        key=f"replay:sha256:{file_digest(path)}",
        name=path.name,
        topology="" if topology is None else str(Path(topology).resolve()),
        records=records,
    )


def import_records(
    writer: HistoryWriter | HistoryProcess,
    info: SourceInfo,
    topology: Topology,
    records: list[Record],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Queue records for recording in timeline order (the writer's engine applies them).

    Returns the source's handle; `writer.flush()` waits until it is all stored.
    """
    handle = writer.open_source(info, topology=topology)
    items = timeline(records)
    for offset in range(0, len(items), IMPORT_BATCH * 16):
        chunk = items[offset : offset + IMPORT_BATCH * 16]
        writer.add_items(handle, offset, chunk)
        if progress is not None:
            progress(offset + len(chunk), len(items))
    return handle
