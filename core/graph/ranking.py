"""Root-cause ranking within one failure domain.

Weighs the evidence an experienced operator uses, each as a number in [0, 1]:

- coverage: how much of the domain the candidate's blast radius explains
  (a failed database explains every service above it);
- upstream: the candidate depends on no other alerting member (nothing
  alerting below it could explain *it*);
- timing: causes fire first, but scrape and evaluation intervals make
  symptoms race their cause, and a warning that has been firing for an hour
  before everything else went red is a pre-existing condition, not the
  trigger; so the score is flat near the domain's onset and decays later
  (quickly) or much earlier (slowly);
- severity of the candidate's own alerts;
- steadiness: a component that flaps all the time is a poorer suspect.

A *silent* candidate (a dependency of several members with no alert of its
own) has no timing or severity of its own: it must have failed no later than
its dependents, and it is credited with the severity of the symptoms it
explains, discounted for the lack of a direct signal.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from core.graph.topology import Topology
from core.model import Severity

# Weights tuned on the scenario suite (core/scenarios.py, benchmarks/bench_accuracy.py).
W_COVERAGE = 0.3
W_SPECIFICITY = 0.1
W_UPSTREAM = 0.25
W_TIMING = 0.15
W_SEVERITY = 0.2
W_EVIDENCE = 0.05
FLAP_PENALTY = 0.10
SILENT_EVIDENCE = 0.0
SILENT_SEVERITY_FACTOR = 1.0
SILENT_MIN_SHARE = 0.5  # the share that makes a silent component bridge a domain

ONSET_GRACE_S = 60.0  # alerts within this of the onset count as "at the onset"
LATE_DECAY_S = 180.0  # how fast the score falls for candidates firing after the onset
EARLY_FLAT_S = 900.0  # up to this much before the onset is still "first"
EARLY_DECAY_S = 1800.0
FLAPPY_EPISODES = 3  # episodes after which a component counts as flapping

MAX_CANDIDATES = 64


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the engine knows about one alerting component."""

    first_start: float
    severity: Severity
    episodes: int = 1


@dataclass(frozen=True, slots=True)
class RankedCause:
    """A root-cause candidate with its score and the reasons, in words."""

    node: int
    score: float
    alerting: bool
    explains: int
    reasons: tuple[str, ...]


BlastFn = Callable[[int], Iterable[int]]


def silent_candidates(
    topology: Topology, members: Collection[int], is_alerting: Callable[[int], bool]
) -> list[int]:
    """Silent components that at least two alerting members depend on directly.

    Only those with at least SILENT_MIN_SHARE of their direct dependents
    alerting: a hub that everything uses (NTP, DNS) is not a suspect because
    two of its hundred dependents are unwell.
    """
    counts: dict[int, int] = {}
    for m in members:
        for dep in topology.dependencies[m]:
            if not is_alerting(dep):
                counts[dep] = counts.get(dep, 0) + 1
    return sorted(
        node
        for node, count in counts.items()
        if count >= 2 and count >= SILENT_MIN_SHARE * len(topology.dependents[node])
    )


def rank_root_causes(
    topology: Topology,
    members: Collection[int],
    evidence: Mapping[int, Evidence],
    is_alerting: Callable[[int], bool],
    reach: BlastFn,
    *,
    limit: int = 5,
) -> list[RankedCause]:
    """Rank the domain's root-cause candidates, best first, scores in [0, 1].

    `reach(node)` returns the node's blast radius (itself included). Ranking
    explains away: after each pick, the members it explains no longer count
    for the candidates after it, so when two incidents share a domain the
    second one's cause ranks second instead of a hub that half-explains both.
    """
    member_set = set(members)
    if not member_set:
        return []
    silent = silent_candidates(topology, member_set, is_alerting)
    candidates = _shortlist(topology, member_set, evidence, is_alerting) + silent
    explains = {node: member_set.intersection(reach(node)) for node in candidates}
    starts = {m: evidence[m].first_start for m in member_set}
    onset: list[float] = []  # the domain's onset, computed once when first needed
    terms = {
        node: _terms(topology, node, member_set, explains[node], evidence, starts, onset)
        for node in candidates
    }
    # How many still-unexplained members each candidate explains, kept up to
    # date as picks explain members away (cheaper than re-intersecting all).
    counts = {node: len(explains[node]) for node in candidates}
    ids = topology.ids
    total = len(member_set)
    scores = {node: _total(counts[node] / total, terms[node]) for node in candidates}
    unexplained = set(member_set)
    ranked: list[RankedCause] = []
    while candidates and len(ranked) < limit:
        best = min(
            candidates,
            key=lambda node: (-scores[node], _start_of(node, member_set, evidence), ids[node]),
        )
        ranked.append(
            _cause(
                node=best,
                members=member_set,
                explained=counts[best],
                explained_all=explains[best],
                terms=terms[best],
                score=scores[best],
            )
        )
        candidates.remove(best)
        newly = explains[best] & unexplained
        if not newly:
            continue
        unexplained -= newly
        for node in candidates:
            lost = len(explains[node] & newly)
            if lost:
                counts[node] -= lost
                scores[node] = _total(counts[node] / total, terms[node])
    return ranked


@dataclass(frozen=True, slots=True)
class _Terms:
    """The parts of a candidate's score that do not change while ranking explains away."""

    specificity: float
    upstream: float
    timing: float
    severity: float
    evidence: float
    flap: float
    reasons: tuple[str, ...]  # after the coverage reasons


def _total(coverage: float, terms: _Terms) -> float:
    """The score, in [0, 1], rounded to 4 places (coverage: share of the domain still explained)."""
    score = (
        W_COVERAGE * coverage
        + W_SPECIFICITY * terms.specificity
        + W_UPSTREAM * terms.upstream
        + W_TIMING * terms.timing
        + W_SEVERITY * terms.severity
        + W_EVIDENCE * terms.evidence
        - terms.flap
    )
    return round(min(1.0, max(0.0, score)), 4)


def _cause(
    *,
    node: int,
    members: set[int],
    explained: int,
    explained_all: set[int],
    terms: _Terms,
    score: float,
) -> RankedCause:
    """The ranked candidate with its reasons; coverage counts only what no better one explains."""
    reasons = [f"explains {len(explained_all)} of {len(members)} alerting components"]
    if explained < len(explained_all):
        reasons.append(
            f"{explained} beyond the causes above"
            if explained
            else "nothing beyond the causes above"
        )
    reasons.extend(terms.reasons)
    return RankedCause(node, score, node in members, len(explained_all), tuple(reasons))


def _terms(
    topology: Topology,
    node: int,
    members: set[int],
    explained_all: set[int],
    evidence: Mapping[int, Evidence],
    starts: Mapping[int, float],
    domain_onset: list[float],
) -> _Terms:
    """The fixed parts of a candidate's score; `domain_onset` caches `_onset` of all members."""
    alerting = node in members
    dependents = topology.dependents[node]
    alerting_above = sum(1 for d in dependents if d in members)
    specificity = alerting_above / len(dependents) if dependents else 1.0
    below = [d for d in topology.dependencies[node] if d in members]
    upstream = 0.0 if below else 1.0
    reasons: list[str] = []
    if dependents:
        reasons.append(f"{alerting_above} of {len(dependents)} direct dependents alerting")
    if below:
        reasons.append(f"depends on alerting {topology.ids[below[0]]}")
    if alerting:
        ev = evidence[node]
        others = [starts[m] for m in explained_all if m != node]
        if others:
            onset = statistics.median(others)
        else:
            if not domain_onset:
                domain_onset.append(_onset(list(starts.values())))
            onset = domain_onset[0]
        lead = onset - ev.first_start
        timing = _timing(-lead)
        severity = ev.severity / Severity.CRITICAL
        evidence_score = 1.0
        flap = FLAP_PENALTY if ev.episodes >= FLAPPY_EPISODES else 0.0
        if lead >= ONSET_GRACE_S:
            reasons.append(f"fired {int(lead)} s before most of what it explains")
        elif lead >= -ONSET_GRACE_S:
            reasons.append("fired with what it explains")
        else:
            reasons.append(f"fired {int(-lead)} s after most of what it explains")
        if flap:
            reasons.append(f"flapping ({ev.episodes} episodes)")
    else:
        explained_sev = max(
            (evidence[n].severity for n in dependents if n in members),
            default=Severity.WARNING,
        )
        timing = 1.0
        severity = SILENT_SEVERITY_FACTOR * explained_sev / Severity.CRITICAL
        evidence_score = SILENT_EVIDENCE
        flap = 0.0
        reasons.append("silent: no alert of its own")
    return _Terms(specificity, upstream, timing, severity, evidence_score, flap, tuple(reasons))


def _start_of(node: int, members: set[int], evidence: Mapping[int, Evidence]) -> float:
    """Tie-break: earlier alerting first; silent candidates before any alert."""
    return evidence[node].first_start if node in members else -math.inf


def _onset(starts: list[float]) -> float:
    """When the domain went red: the earliest start that is not an outlier.

    Starts long before the median (pre-existing warnings) do not define it.
    """
    median = statistics.median(starts)
    near = [s for s in starts if median - s <= EARLY_FLAT_S]
    return min(near) if near else median


def _timing(delta: float) -> float:
    """Score of firing `delta` seconds after the onset (negative: before)."""
    if delta > ONSET_GRACE_S:
        return math.exp(-(delta - ONSET_GRACE_S) / LATE_DECAY_S)
    if delta < -EARLY_FLAT_S:
        return math.exp(-(-delta - EARLY_FLAT_S) / EARLY_DECAY_S)
    return 1.0


def _shortlist(
    topology: Topology,
    members: set[int],
    evidence: Mapping[int, Evidence],
    is_alerting: Callable[[int], bool],
) -> list[int]:
    """Alerting members worth a blast-radius computation.

    Small domains: all of them. Large ones: the upstream members (nothing
    alerting below them), then the earliest and the most severe.
    """
    ordered = sorted(members, key=lambda m: (evidence[m].first_start, topology.ids[m]))
    if len(ordered) <= MAX_CANDIDATES:
        return ordered
    upstream = [m for m in ordered if not any(d in members for d in topology.dependencies[m])]
    severe = sorted(ordered, key=lambda m: (-evidence[m].severity, evidence[m].first_start))
    picked: dict[int, None] = {}
    for group in (upstream, ordered[:16], severe[:16]):
        for m in group:
            if len(picked) >= MAX_CANDIDATES:
                break
            picked[m] = None
    return list(picked)
