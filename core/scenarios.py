"""Injected faults with known root causes, for measuring root-cause accuracy.

`generate_scenario(kind, seed)` builds a topology (a seeded synthetic estate,
or the one passed in), injects one or more faults, spreads them to dependents
(`core.synthetic.alerts.propagate`: not every dependent alerts, later and weaker
with each hop, severity highest near the root), and records the alert stream
the way Alertmanager and Prometheus deliver it. The truth comes along: each
incident's root, whether the root itself alerts, and the alerting components it
caused. `run_scenario` drives the real decoder and engine over the stream up to
`evaluate_at`; `score_scenarios` turns the results into top-1/top-3 root-cause
accuracy and failure-domain precision/recall per scenario kind.

Kinds: simple (root alerts first), silent_root (the root has no monitoring),
late_root (the root's alert fires or arrives after its dependents'), overlapping
(2-3 simultaneous faults in different parts of the estate), noise (one fault
plus unrelated warnings and a flapping component), hard (all of it at once).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.graph.topology import Topology
from core.synthetic.alerts import (
    NOISE_ALERTNAMES,
    AlertSpec,
    Impact,
    Record,
    alert_spec,
    deliver,
    make_alert,
    propagate,
    root_alert,
    symptom_alert,
)
from core.synthetic.estate import build_estate

if TYPE_CHECKING:
    from core.engine import EngineConfig

__all__ = [
    "KINDS",
    "Accuracy",
    "DomainOutcome",
    "Incident",
    "IncidentScore",
    "KindAccuracy",
    "Scenario",
    "ScenarioResult",
    "generate_scenario",
    "run_scenario",
    "score_incident",
    "score_scenarios",
]

KINDS: tuple[str, ...] = ("simple", "silent_root", "late_root", "overlapping", "noise", "hard")

_BASE_TIME = datetime(2026, 11, 26, 2, 0, tzinfo=UTC).timestamp()
_ROOT_KINDS = frozenset({"service", "database", "cache", "queue", "host", "switch", "storage"})
_MAX_ROOT_FAN_IN = 25  # keeps random roots to incidents an operator can check by eye


@dataclass(frozen=True, slots=True)
class Incident:
    """One injected fault and what it caused.

    `members` are the alerting components the fault caused, including the root
    when it alerts; `start` is the fault time; `mode` how it was injected
    (simple, silent_root or late_root).
    """

    root: str
    root_alerting: bool
    members: frozenset[str]
    start: float
    mode: str = "simple"


@dataclass
class Scenario:
    """A topology, its recorded alert stream (NDJSON lines) and the truth."""

    kind: str
    seed: int
    topology: Topology
    records: list[bytes]
    incidents: list[Incident]
    evaluate_at: float
    alerts: list[AlertSpec] = field(default_factory=list)
    arrivals: dict[str, float] = field(default_factory=dict)
    """Fingerprint -> time of the first record that reports the alert firing."""


def generate_scenario(kind: str, seed: int, topology: Topology | None = None) -> Scenario:
    """A scenario of `kind` (one of KINDS), fully determined by `kind` and `seed`.

    Without a topology a synthetic estate is generated from the seed; with one
    (e.g. a real service graph) faults are injected into it, every dependency
    counting fully.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown scenario kind {kind!r}; expected one of {', '.join(KINDS)}")
    rng = random.Random(f"watchfloor-scenario:{kind}:{seed}")
    if topology is None:
        estate = build_estate(seed)
        topology = estate.topology()
        weights = estate.impact_weights(topology)
        roots_from = _ROOT_KINDS
    else:
        weights = {}
        roots_from = frozenset()
    builder = _Builder(topology, weights, rng, roots_from)
    t0 = round(_BASE_TIME + rng.uniform(0, 3600), 3)
    if kind == "overlapping":
        modes = ["simple"] * rng.choice((2, 3))
    elif kind == "hard":
        modes = [
            rng.choice(("simple", "silent_root", "late_root")) for _ in range(rng.choice((2, 3)))
        ]
    else:
        modes = ["simple" if kind == "noise" else kind]
    for i, mode in enumerate(modes):
        builder.inject(mode, t0 + (rng.uniform(0, 90) if i else 0.0))
    if kind in ("noise", "hard"):
        builder.add_noise(t0, rng.randint(4, 10))
        builder.add_flapping(t0)
    if kind == "hard":
        builder.add_unmapped(t0)
    return builder.finish(kind, seed)


@dataclass
class _Fault:
    incident: int
    root: int
    mode: str
    start: float
    alerts: list[AlertSpec]
    members: set[str]


class _Builder:
    """Accumulates faults and noise for one scenario, then records the stream."""

    def __init__(
        self,
        topology: Topology,
        weights: dict[tuple[int, int], float],
        rng: random.Random,
        root_kinds: frozenset[str],
    ) -> None:
        self.topology = topology
        self.weights = weights
        self.rng = rng
        self.faults: list[_Fault] = []
        self.noise: list[AlertSpec] = []
        self.reached: set[int] = set()  # impacted by any fault (alerting or not)
        self.blocked: set[int] = set()  # reached, plus neighbours of alerting members
        self.candidates: dict[str, list[int]] = {}
        self.silent_candidates: dict[str, list[int]] = {}
        for i, dependents in enumerate(topology.dependents):
            kind = topology.component(i).kind
            if not dependents or (
                root_kinds and (kind not in root_kinds or len(dependents) > _MAX_ROOT_FAN_IN)
            ):
                continue
            self.candidates.setdefault(kind, []).append(i)
            # A silent root needs two dependents it hurts clearly.
            if sum(weights.get((i, d), 1.0) >= 0.5 for d in dependents) >= 2:
                self.silent_candidates.setdefault(kind, []).append(i)
        if not self.candidates or not self.silent_candidates:
            raise ValueError("the topology has too few components with dependents to fail")

    def inject(self, mode: str, start: float) -> None:
        """Fail a random root in a part of the estate no earlier fault touched."""
        pool = self.silent_candidates if mode == "silent_root" else self.candidates
        for attempt in range(60):
            # Kind first, then a component of it: otherwise the many hosts
            # would make nearly every root a host.
            kind = self.rng.choice(sorted(pool))
            root = self.rng.choice(pool[kind])
            impacts = propagate(self.topology, root, start, self.rng, self.weights)
            reached = {imp.node for imp in impacts}
            if reached & self.blocked and attempt < 50:
                continue
            fault = self._alerts(root, impacts, mode, start)
            if fault is not None:
                break
        else:
            raise RuntimeError(f"no root fits a {mode} fault in this topology")
        self.faults.append(fault)
        self.reached |= reached
        self.blocked |= reached
        for member in fault.members:
            i = self.topology.index[member]
            self.blocked |= self.topology.neighbours(i)

    def _alerts(self, root: int, impacts: list[Impact], mode: str, start: float) -> _Fault | None:
        rng = self.rng
        topo = self.topology
        n = len(self.faults)
        alerts: list[AlertSpec] = []
        members: set[str] = set()
        direct = [imp for imp in impacts[1:] if imp.hops == 1]
        forced: set[int] = set()
        if mode == "silent_root":
            if len(direct) < 2:
                return None
            # A silent root is only findable through its direct dependents:
            # at least two of them alert (the strongest hit first).
            strongest = sorted(direct, key=lambda imp: (-imp.strength, imp.at, imp.node))
            forced = {imp.node for imp in strongest[:2]}
        for imp in impacts[1:]:
            if imp.node in forced or rng.random() < min(0.95, imp.strength):
                at = imp.at + rng.uniform(20.0, 90.0)
                alerts.extend(symptom_alert(topo, imp, at, rng, incident=n))
                members.add(topo.ids[imp.node])
        if not members:
            return None
        if mode != "silent_root":
            root_start = start + rng.uniform(10.0, 45.0)
            delay = 0.0
            channel = "webhook"
            if mode == "late_root":
                first = min(a.starts_at for a in alerts)
                if rng.random() < 0.5 or first - root_start > 120.0:
                    # Fires late: the root's own rule has a long `for:` or a
                    # slow exporter, so its dependents page first.
                    root_start = first + rng.uniform(30.0, 120.0)
                else:
                    # Arrives late: it fired first, but its sender was backed
                    # up, so the record lands after its dependents' records.
                    channel = "api"
                    delay = min(200.0, first - root_start + rng.uniform(60.0, 150.0))
            for spec in root_alert(topo, root, root_start, rng, incident=n):
                spec.channel = channel
                spec.delay = delay
                alerts.append(spec)
            members.add(topo.ids[root])
        return _Fault(n, root, mode, start, alerts, members)

    def _free_nodes(self) -> list[int]:
        return [i for i in range(len(self.topology)) if i not in self.reached]

    def add_noise(self, t0: float, count: int) -> None:
        """Unrelated warning/info alerts on components no fault reached."""
        rng = self.rng
        free = self._free_nodes()
        for node in rng.sample(free, min(count, len(free))):
            kind = self.topology.component(node).kind
            names = NOISE_ALERTNAMES.get(kind, NOISE_ALERTNAMES["service"])
            start = t0 + rng.uniform(-900.0, 240.0)
            severity = rng.choice(("warning", "warning", "info"))
            spec = alert_spec(self.topology, node, rng.choice(names), severity, start, rng)
            if rng.random() < 0.5:
                spec.ends_at = round(start + rng.uniform(120.0, 900.0), 3)
            self.noise.append(spec)

    def add_flapping(self, t0: float) -> None:
        """One component whose warning fires and resolves every few minutes."""
        rng = self.rng
        node = rng.choice(self._free_nodes())
        kind = self.topology.component(node).kind
        name = NOISE_ALERTNAMES.get(kind, NOISE_ALERTNAMES["service"])[0]
        template = alert_spec(self.topology, node, name, "warning", t0, rng)
        t = t0 - rng.uniform(300.0, 600.0)
        for _ in range(rng.randint(5, 9)):
            end = t + rng.uniform(60.0, 180.0)
            self.noise.append(replace(template, starts_at=round(t, 3), ends_at=round(end, 3)))
            t = end + rng.uniform(60.0, 240.0)
        self.reached.add(node)

    def add_unmapped(self, t0: float) -> None:
        """Alerts whose labels name no topology component."""
        rng = self.rng
        for service, alertname in (("legacy-billing-batch", "TargetDown"), ("", "DiskPressure")):
            labels = {"alertname": alertname, "severity": "warning", "env": "prod"}
            if service:
                labels.update(service=service, job="blackbox-legacy")
            else:
                labels.update(instance=f"10.31.{rng.randint(1, 250)}.{rng.randint(1, 250)}:9100")
            name = service or labels["instance"]
            self.noise.append(make_alert(labels, t0 + rng.uniform(-300.0, 200.0), rng, name=name))

    def finish(self, kind: str, seed: int) -> Scenario:
        """Deliver the stream, fix the evaluation time, then schedule the resolves."""
        incident_alerts = [a for f in self.faults for a in f.alerts]
        alerts = incident_alerts + self.noise
        horizon = max(a.starts_at for a in alerts) + 1800.0
        for _ in range(4):
            arrivals = _arrivals(deliver(alerts, horizon))
            if self._late_roots_hold(arrivals):
                break
        evaluate_at = round(max(arrivals[a.fingerprint] for a in incident_alerts) + 1.0, 3)
        for fault in self.faults:
            repaired = evaluate_at + self.rng.uniform(300.0, 900.0)
            for spec in fault.alerts:
                spec.ends_at = round(repaired + self.rng.uniform(0.0, 120.0), 3)
        horizon = max(a.ends_at or a.starts_at for a in alerts) + 600.0
        records = deliver(alerts, horizon, bare_every=9)
        incidents = [
            Incident(
                root=self.topology.ids[f.root],
                root_alerting=f.mode != "silent_root",
                members=frozenset(f.members),
                start=round(f.start, 3),
                mode=f.mode,
            )
            for f in self.faults
        ]
        return Scenario(
            kind=kind,
            seed=seed,
            topology=self.topology,
            records=[r.line.encode() for r in records],
            incidents=incidents,
            evaluate_at=evaluate_at,
            alerts=alerts,
            arrivals=_arrivals(records),
        )

    def _late_roots_hold(self, arrivals: dict[str, float]) -> bool:
        """True when every late root arrives after one of its dependents; else delay it more."""
        ok = True
        for fault in self.faults:
            if fault.mode != "late_root":
                continue
            root_id = self.topology.ids[fault.root]
            roots = [a for a in fault.alerts if a.component == root_id]
            others = [arrivals[a.fingerprint] for a in fault.alerts if a.component != root_id]
            first_root = min(arrivals[a.fingerprint] for a in roots)
            if first_root <= min(others):
                ok = False
                for spec in roots:
                    spec.starts_at = round(spec.starts_at + min(others) - first_root + 30.0, 3)
        return ok


def _arrivals(records: Iterable[Record]) -> dict[str, float]:
    arrivals: dict[str, float] = {}
    for record in records:
        for fp in record.firing:
            if fp not in arrivals or record.time < arrivals[fp]:
                arrivals[fp] = record.time
    return arrivals


# -- running and scoring ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainOutcome:
    """What the engine reported for one failure domain."""

    members: frozenset[str]
    root_causes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """The truth of a scenario next to the engine's domains at `evaluate_at`."""

    kind: str
    seed: int
    incidents: tuple[Incident, ...]
    domains: tuple[DomainOutcome, ...]


def run_scenario(scenario: Scenario, config: EngineConfig | None = None) -> ScenarioResult:
    """Decode every record with the real decoder and apply, as of `evaluate_at`, to the engine."""
    from core.engine import Engine
    from core.ingest.decode import Decoder

    engine = Engine(scenario.topology, config)
    decoder = Decoder()
    for n, line in enumerate(scenario.records, 1):
        events, rejects = decoder.decode(line, where=f"line {n}")
        engine.apply([e for e in events if e.event_time <= scenario.evaluate_at])
        if rejects:
            engine.apply(rejects)
    engine.advance_to(scenario.evaluate_at)
    domains = tuple(
        DomainOutcome(frozenset(d.members), tuple(rc.component for rc in d.root_causes))
        for d in engine.domains()
    )
    return ScenarioResult(scenario.kind, scenario.seed, tuple(scenario.incidents), domains)


@dataclass(frozen=True, slots=True)
class IncidentScore:
    """How well the engine found one incident."""

    kind: str
    top1: bool
    top3: bool
    precision: float
    recall: float


def score_incident(
    kind: str, incident: Incident, domains: Sequence[DomainOutcome]
) -> IncidentScore:
    """Match the incident to the domain sharing most of its members, and grade that domain.

    Ties go to the smaller (more precise) domain, then to the engine's order.
    """
    best: DomainOutcome | None = None
    best_key = (0, 0)
    for domain in domains:
        overlap = len(domain.members & incident.members)
        key = (overlap, -len(domain.members))
        if overlap and (best is None or key > best_key):
            best, best_key = domain, key
    if best is None:
        return IncidentScore(kind, False, False, 0.0, 0.0)
    overlap = best_key[0]
    return IncidentScore(
        kind,
        top1=best.root_causes[:1] == (incident.root,),
        top3=incident.root in best.root_causes[:3],
        precision=overlap / len(best.members),
        recall=overlap / len(incident.members),
    )


@dataclass(frozen=True, slots=True)
class KindAccuracy:
    """Accuracy over the incidents of one scenario kind (macro-averaged per incident)."""

    scenarios: int
    incidents: int
    top1: float
    top3: float
    precision: float
    recall: float

    @classmethod
    def of(cls, scenarios: int, scores: Sequence[IncidentScore]) -> KindAccuracy:
        n = len(scores)
        if not n:
            return cls(scenarios, 0, 0.0, 0.0, 0.0, 0.0)
        return cls(
            scenarios,
            n,
            sum(s.top1 for s in scores) / n,
            sum(s.top3 for s in scores) / n,
            sum(s.precision for s in scores) / n,
            sum(s.recall for s in scores) / n,
        )


@dataclass(frozen=True, slots=True)
class Accuracy:
    """Per-kind and overall root-cause accuracy."""

    by_kind: dict[str, KindAccuracy]
    total: KindAccuracy

    def table(self) -> str:
        """A fixed-width table for benchmarks and reports."""
        head = f"{'kind':<12} {'scenarios':>9} {'incidents':>9} {'top-1':>6} {'top-3':>6}"
        lines = [head + f" {'precision':>9} {'recall':>6}"]
        rows = [*self.by_kind.items(), ("total", self.total)]
        for name, acc in rows:
            lines.append(
                f"{name:<12} {acc.scenarios:>9} {acc.incidents:>9} {acc.top1:>6.1%} "
                f"{acc.top3:>6.1%} {acc.precision:>9.1%} {acc.recall:>6.1%}"
            )
        return "\n".join(lines)


def score_scenarios(results: Iterable[ScenarioResult]) -> Accuracy:
    """Top-1/top-3 and domain precision/recall per kind, and over all incidents."""
    per_kind: dict[str, list[IncidentScore]] = {}
    counts: dict[str, int] = {}
    for result in results:
        counts[result.kind] = counts.get(result.kind, 0) + 1
        scores = per_kind.setdefault(result.kind, [])
        scores.extend(score_incident(result.kind, i, result.domains) for i in result.incidents)
    order = [k for k in KINDS if k in counts] + sorted(set(counts) - set(KINDS))
    by_kind = {k: KindAccuracy.of(counts[k], per_kind[k]) for k in order}
    everything = [s for k in order for s in per_kind[k]]
    return Accuracy(by_kind, KindAccuracy.of(sum(counts.values()), everything))
