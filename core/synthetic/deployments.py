"""A synthetic deployment history whose failures have learnable causes.

Each row is one deployment of a service in the estate. Whether it `failed` is
drawn from a logistic model over the change itself (size, files, hotfix,
migration, tests, canary), when it happened (late night, Friday afternoon),
who made it (author experience), where it landed (how many components depend
on the service, its tier) and its recent history (failed deployments of the
same service in the previous two weeks), plus a hidden per-service
reliability and plain luck. The intercept is calibrated so that about 12% fail.
A risk model trained on the history can therefore genuinely learn, and the
topology matters: the same change is riskier on a service with a large blast
radius.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from core.graph.topology import Topology

__all__ = ["COLUMNS", "Deployment", "generate_history", "write_deployments"]

COLUMNS: tuple[str, ...] = (
    "deploy_id",
    "time",
    "service",
    "team",
    "change_size",
    "files_changed",
    "author_experience",
    "is_hotfix",
    "has_migration",
    "hour_of_day",
    "day_of_week",
    "tests_added",
    "canary",
    "failed",
)
"""CSV columns; booleans are 0/1, `day_of_week` 0 = Monday, times RFC 3339 UTC."""

_DEPLOYABLE = frozenset({"service", "gateway", "auth", "config", "dns"})
_TARGET_RATE = 0.12
# Deploys per hour of day (UTC): office hours dominate, a thin night tail.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 8, 12, 14, 14, 10, 13, 14, 13, 11, 8, 5, 3, 2, 2, 1, 1)
_DAY_WEIGHTS = (10, 11, 11, 10, 7, 1, 1)


@dataclass(frozen=True, slots=True)
class Deployment:
    """One deployment and (for history rows) its outcome."""

    deploy_id: str
    time: float
    service: str
    team: str
    change_size: int
    files_changed: int
    author_experience: int
    is_hotfix: bool
    has_migration: bool
    tests_added: int
    canary: bool
    risk: float  # the true logit without the intercept and recent-history terms
    failed: bool | None = None

    def row(self) -> list[str]:
        dt = datetime.fromtimestamp(self.time, tz=UTC)
        cells = [
            self.deploy_id,
            dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            self.service,
            self.team,
            str(self.change_size),
            str(self.files_changed),
            str(self.author_experience),
            str(int(self.is_hotfix)),
            str(int(self.has_migration)),
            str(dt.hour),
            str(dt.weekday()),
            str(self.tests_added),
            str(int(self.canary)),
        ]
        if self.failed is not None:
            cells.append(str(int(self.failed)))
        return cells


@dataclass(frozen=True, slots=True)
class _Service:
    id: str
    team: str
    tier: str
    blast: int  # transitive dependents
    has_db: bool
    popularity: float
    reliability: float  # hidden per-service effect on the failure logit


def _services(topology: Topology, rng: random.Random) -> list[_Service]:
    out = []
    for i, node_id in enumerate(topology.ids):
        c = topology.component(i)
        if (c.kind or "service") not in _DEPLOYABLE:
            continue
        seen = {i}
        frontier = [i]
        while frontier:
            frontier = [d for n in frontier for d in topology.dependents[n] if d not in seen]
            seen.update(frontier)
        has_db = any(topology.component(d).kind == "database" for d in topology.dependencies[i])
        team = c.attrs.get("team")
        out.append(
            _Service(
                node_id,
                team if isinstance(team, str) else "team-platform",
                c.tier or "app",
                len(seen) - 1,
                has_db,
                rng.lognormvariate(0.0, 0.8),
                rng.gauss(0.0, 0.35),
            )
        )
    return out


def _draw(
    rng: random.Random,
    svc: _Service,
    authors: dict[str, list[list[int]]],
    t: float,
    deploy_id: str,
) -> Deployment:
    """Features of one deployment of `svc` at `t` and its inherent risk."""
    author = rng.choice(authors[svc.team])
    experience = author[0]
    author[0] += 1
    hotfix = rng.random() < 0.08
    size = max(1, round(rng.lognormvariate(math.log(25 if hotfix else 70), 1.1)))
    files = max(1, round(size**0.55 / 2.0 * rng.uniform(0.5, 1.6)))
    migration = svc.has_db and not hotfix and rng.random() < 0.09
    tests = max(0, round(rng.gauss(size / 60.0, 1.5))) if not hotfix else int(rng.random() < 0.2)
    canary = rng.random() < (0.25 + 0.5 * min(1.0, svc.blast / 60.0))
    dt = datetime.fromtimestamp(t, tz=UTC)
    late = dt.hour >= 22 or dt.hour < 6
    friday = dt.weekday() == 4 and dt.hour >= 15
    risk = (
        0.55 * math.log(size / 70.0)
        + 0.25 * math.log(files)
        + 0.95 * migration
        + 0.55 * hotfix
        + 0.8 * late
        + 0.35 * friday
        + (0.9 if experience < 15 else 0.35 if experience < 60 else 0.0)
        + 0.3 * math.log1p(svc.blast)
        + (0.3 if svc.tier == "edge" else 0.0)
        - 0.7 * canary
        - 0.12 * min(tests, 6)
        + svc.reliability
    )
    return Deployment(
        deploy_id,
        t,
        svc.id,
        svc.team,
        size,
        files,
        experience,
        hotfix,
        migration,
        tests,
        canary,
        risk,
    )


def generate_history(
    topology: Topology,
    rng: random.Random,
    *,
    end: float,
    rows: int = 5000,
    days: int = 90,
    planned: int = 40,
    planned_from: float | None = None,
) -> tuple[list[Deployment], list[Deployment]]:
    """`rows` past deployments over `days` before `end`, and `planned` upcoming ones."""
    services = _services(topology, rng)
    if not services:
        raise ValueError("the topology has no deployable service")
    authors: dict[str, list[list[int]]] = {}
    for team in sorted({s.team for s in services}):
        # Mutable [experience] per author; a few newcomers on every team.
        authors[team] = [
            [0 if k == 0 else round(rng.lognormvariate(4.0, 1.0))] for k in range(rng.randint(4, 9))
        ]
    start = end - days * 86400.0
    times = sorted(_deploy_time(rng, start, days) for _ in range(rows))
    weights = [s.popularity for s in services]
    history = [
        _draw(rng, rng.choices(services, weights)[0], authors, t, f"D{n:05d}")
        for n, t in enumerate(times, 1)
    ]
    luck = [rng.random() for _ in history]
    intercept = _calibrate(history, luck)
    labelled = _outcomes(history, luck, intercept)
    begin = planned_from if planned_from is not None else end
    upcoming = [
        _draw(rng, rng.choices(services, weights)[0], authors, t, f"P{n:04d}")
        for n, t in enumerate(
            sorted(begin + rng.uniform(0, 3 * 86400.0) for _ in range(planned)), 1
        )
    ]
    return labelled, upcoming


def _deploy_time(rng: random.Random, start: float, days: int) -> float:
    while True:
        day = rng.randrange(days)
        midnight = start - start % 86400.0 + day * 86400.0
        weekday = datetime.fromtimestamp(midnight, tz=UTC).weekday()
        if rng.random() < _DAY_WEIGHTS[weekday] / max(_DAY_WEIGHTS):
            hour = rng.choices(range(24), _HOUR_WEIGHTS)[0]
            t = midnight + hour * 3600.0 + rng.randrange(3600)
            if t >= start:
                return float(t)


def _outcomes(history: list[Deployment], luck: list[float], intercept: float) -> list[Deployment]:
    """Draw failures in time order; recent failures of a service raise its next risk."""
    recent: dict[str, deque[float]] = {}
    out = []
    for dep, u in zip(history, luck, strict=True):
        window = recent.setdefault(dep.service, deque())
        while window and window[0] < dep.time - 14 * 86400.0:
            window.popleft()
        logit = intercept + dep.risk + 0.45 * min(len(window), 3)
        failed = u < 1.0 / (1.0 + math.exp(-logit))
        if failed:
            window.append(dep.time)
        out.append(replace(dep, failed=failed))
    return out


def _calibrate(history: list[Deployment], luck: list[float]) -> float:
    """The intercept that gives the target failure rate (bisection, same luck draws)."""
    low, high = -12.0, 6.0
    for _ in range(30):
        mid = (low + high) / 2.0
        rate = sum(bool(d.failed) for d in _outcomes(history, luck, mid)) / len(history)
        if rate < _TARGET_RATE:
            low = mid
        else:
            high = mid
    return round((low + high) / 2.0, 6)


def _csv(rows: list[Deployment], with_outcome: bool) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS if with_outcome else COLUMNS[:-1])
    for dep in rows:
        writer.writerow(dep.row())
    return buf.getvalue().encode()


def write_deployments(
    topology: Topology,
    history_path: Path,
    planned_path: Path,
    rng: random.Random,
    *,
    end: float,
    rows: int,
    planned_from: float,
    write: Callable[[Path, bytes], None],
) -> tuple[int, float, int]:
    """Write deployments.csv and planned.csv; return (rows, failure rate, planned rows)."""
    history, upcoming = generate_history(
        topology, rng, end=end, rows=rows, planned_from=planned_from
    )
    write(history_path, _csv(history, True))
    write(planned_path, _csv(upcoming, False))
    rate = sum(bool(d.failed) for d in history) / len(history)
    return len(history), rate, len(upcoming)
