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
from typing import Protocol

from core.engine import AlertState, Engine, EngineConfig, EngineDelta
from core.graph.topology import Topology
from core.history.writer import DomainStep, EpisodeRow, HistoryWriter, SourceInfo
from core.model import AlertEvent, Severity, Status
from core.timeline import Record, timeline

IMPORT_BATCH = 64
"""Observations per engine batch: small enough that short-lived domains are seen."""
CHANGE_INTERVAL_S = 30.0
"""A changed domain's root causes are recorded at most this often (event time)."""


class RowSink(Protocol):
    """Where the recorder's rows go (the writer's current batch)."""

    def add_episodes(self, handle: int, rows: Sequence[EpisodeRow]) -> None: ...

    def add_domain_steps(self, handle: int, steps: Sequence[DomainStep]) -> None: ...


class EpisodeEngine(Engine):
    """The writer's engine: also notes every alert episode as it ends or is replaced.

    A delta only tells which alerts changed, and the recorder reads their state
    after the whole batch: an alert that fired, resolved and fired again within
    one batch would show only its last episode. This engine keeps each episode
    the moment it ends (resolve or endsAt expiry), and a resolved episode the
    moment a new one replaces it, in `ended` (drained by `EngineRecorder`).
    """

    def __init__(self, topology: Topology, config: EngineConfig | None = None) -> None:
        super().__init__(topology, config)
        self.ended: list[EpisodeRow] = []

    def _apply_event(self, event: AlertEvent) -> None:
        state = self.alerts.get(event.fingerprint)
        if state is not None and state.status is not Status.FIRING:
            # A resolved alert may fire again now: keep the episode it ends on.
            self.ended.append(episode_row(self, state))
        super()._apply_event(event)

    def _stop_firing(self, state: AlertState, ended: float) -> None:
        super()._stop_firing(state, ended)
        self.ended.append(episode_row(self, state))


class EngineRecorder:
    """Turns one engine's deltas (one source) into episode and domain rows."""

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
        ended: list[EpisodeRow] = []
        if isinstance(engine, EpisodeEngine) and engine.ended:
            ended, engine.ended = engine.ended, []
        if self.muted:
            return
        touched = dict.fromkeys(
            (*delta.alerts_added, *delta.alerts_updated, *delta.alerts_resolved)
        )
        # A firing alert re-sent (most of a busy stream) keeps its episode row:
        # skip it here, before building a row the writer would drop anyway.
        alerts, seen = engine.alerts, self._seen
        rows = ended
        for fingerprint in touched:
            alert = alerts.get(fingerprint)
            if alert is None:
                continue
            if alert.status is Status.FIRING:
                mark = (alert.episodes, alert.severity, alert.starts_at)
                if seen.get(fingerprint) == mark:
                    continue
                seen[fingerprint] = mark
            else:
                seen.pop(fingerprint, None)
            rows.append(episode_row(engine, alert))
        self.sink.add_episodes(self.handle, rows)
        clock = delta.clock
        steps: list[DomainStep] = []
        for domain_id in delta.domains_opened:
            step = domain_step(engine, domain_id, "opened", clock)
            if step is not None:
                steps.append(step)
                self._recorded_at[domain_id] = step.at
                self._members[domain_id] = step.members or 0
        for domain_id in delta.domains_closed:
            self._recorded_at.pop(domain_id, None)
            self._members.pop(domain_id, None)
            self._pending.pop(domain_id, None)
            if clock is not None:
                steps.append(DomainStep(domain_id, "closed", clock))
        for merged in delta.merged_into:
            self._recorded_at.pop(merged, None)
            self._members.pop(merged, None)
            self._pending.pop(merged, None)
        self._pending.update(dict.fromkeys(delta.domains_changed))
        if clock is not None and self._pending:
            changed_now = set(delta.domains_changed)
            for domain_id in list(self._pending):
                recent = clock - self._recorded_at.get(domain_id, float("-inf"))
                if recent < self.change_interval and (
                    domain_id not in changed_now
                    or engine.domain_size(domain_id) <= self._members.get(domain_id, 0)
                ):
                    continue  # recorded recently and not grown since
                del self._pending[domain_id]
                step = domain_step(engine, domain_id, "changed", clock)
                if step is not None:
                    steps.append(step)
                    self._recorded_at[domain_id] = clock
                    self._members[domain_id] = step.members or 0
        self.sink.add_domain_steps(self.handle, steps)


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
    component = None if alert.component is None else str(engine.topology.ids[alert.component])
    end = None if alert.firing else alert.ends_at
    if end is None and not alert.firing:
        end = alert.last_event_time
    return EpisodeRow(
        alert.fingerprint, alert.episodes, int(alert.severity), component, alert.starts_at, end
    )


def domain_step(
    engine: Engine, domain_id: str, step: str, clock: float | None
) -> DomainStep | None:
    """A domain's severity, size and ranked root causes now (None once it closed).

    A domain of one alerting component has that component as its only root
    cause candidate (silent candidates need two dependents in the domain), so
    it is recorded without ranking it or walking its blast radius (score and
    impact left empty): most domains of a noisy estate are such singles, and
    ranking each would cost the writer more than everything else it does.
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
            domain_id, step, at, int(summary.severity), 1, None, None, ((str(member), None, True),)
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
        len(view.impact),
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
    writer: HistoryWriter,
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
