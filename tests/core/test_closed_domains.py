"""Closed failure domains are kept with their whole life, whatever the batch size.

Reference: the demo replayed one timestamp at a time, every open domain's
summary read after each step (worst severity, most members, first alert),
merges folded into the domain they joined, and a domain's closing time taken
from the alert whose resolve closed it.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from core.closed_domains import ClosedDomain, DomainLives, peak_entry, rank_peak
from core.engine import Engine, EngineConfig, EngineDelta
from core.graph.loaders import load_topology
from core.graph.ranking import Evidence
from core.graph.topology import Topology
from core.model import Severity, Status
from core.replay import ReplayPlayer
from core.timeline import Record, load_records, timeline
from tests.builders import estate, event

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
Life = tuple[str, Severity, int, float, float, float, tuple[str, ...]]


@pytest.fixture(scope="module")
def demo() -> tuple[Topology, list[Record]]:
    return load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")


def reference(topology: Topology, records: list[Record]) -> list[Life]:
    """Every observation applied on its own, every open domain read after each one."""
    engine = Engine(topology)
    lives: dict[str, list] = {}  # id -> [worst, most, first alert, opened, latest end, members]
    members: dict[str, set[int]] = {}
    closed: list[Life] = []

    def follow(delta: EngineDelta) -> None:
        nonlocal members
        for fingerprint in delta.alerts_resolved:  # the end of an alert that counted
            alert = engine.alerts[fingerprint]
            for domain_id, nodes in members.items():
                if alert.component in nodes and alert.ends_at is not None:
                    lives[domain_id][4] = max(lives[domain_id][4], alert.ends_at)
        for gone, into in delta.merged_into.items():
            lost, kept = lives.pop(gone), lives.get(into)
            if kept is None:
                lives[into] = lost
            else:
                kept[:] = [
                    max(kept[0], lost[0]),
                    max(kept[1], lost[1]),
                    min(kept[2], lost[2]),
                    min(kept[3], lost[3]),
                    max(kept[4], lost[4]),
                    kept[5] | lost[5],
                ]
        for domain_id in delta.domains_closed:
            if domain_id not in delta.merged_into:
                severity, size, first_seen, opened_at, end, nodes = lives.pop(domain_id)
                ids = tuple(sorted(engine.topology.ids[n] for n in nodes))
                closed.append((domain_id, severity, size, first_seen, opened_at, end, ids))
        for domain_id in engine.domain_ids():
            s = engine.domain_summary(domain_id)
            assert s is not None
            life = lives.setdefault(
                domain_id, [s.severity, s.size, s.first_seen, s.opened_at, -math.inf, set()]
            )
            life[5].update(engine.domain_members(domain_id))
            life[0], life[1] = max(life[0], s.severity), max(life[1], s.size)
            life[2], life[3] = min(life[2], s.first_seen), min(life[3], s.opened_at)
        members = {d: set(engine.domain_members(d)) for d in engine.domain_ids()}

    latest = -math.inf
    for t, item in timeline(records):
        follow(engine.apply([item]))
        if math.isfinite(t):
            latest = max(latest, t)
            follow(engine.advance_to(latest))
    return sorted(closed, key=lambda c: (c[5], c[0]))


def lives_of(domains: list[ClosedDomain]) -> list[Life]:
    return sorted(
        (
            (d.id, d.severity, d.size, d.first_seen, d.opened_at, d.closed_at, d.members)
            for d in domains
        ),
        key=lambda c: (c[5], c[0]),
    )


def test_closed_domains_equal_the_reference_in_any_batch_size(demo) -> None:
    topology, records = demo
    expected = reference(topology, records)
    assert len(expected) >= 10, "the demo closes domains (incidents resolve, noise flaps)"
    assert any(size > 1 for _, _, size, *_ in expected)
    for step in (1.0, 20.0, 600.0, math.inf):  # a second, a tick, ten minutes, all at once
        player = ReplayPlayer(topology, records)
        assert player.start_time is not None and player.end_time is not None
        t = player.start_time
        while t < player.end_time:
            t = min(player.end_time, t + step)
            player.advance(t)
        got = player.engine.closed_domains(-math.inf, math.inf)
        assert lives_of(got) == expected, f"batches of {step} s"


def test_a_range_lists_exactly_the_domains_open_in_it(demo) -> None:
    topology, records = demo
    player = ReplayPlayer(topology, records)
    assert player.end_time is not None
    player.advance(player.end_time)
    engine = player.engine
    everything = engine.closed_domains(-math.inf, math.inf)
    rng = random.Random(3)
    low, high = min(d.opened_at for d in everything), max(d.closed_at for d in everything)
    for _ in range(200):
        start = rng.uniform(low - 60, high + 60)
        end = start + rng.choice((0.0, 30.0, 300.0, 3600.0))
        brute = [
            d for d in everything if min(d.first_seen, d.opened_at) <= end and d.closed_at >= start
        ]
        assert engine.closed_domains(start, end) == brute


def test_a_merged_domain_is_not_closed_and_its_life_goes_on_in_the_other() -> None:
    engine = Engine(estate(), EngineConfig(bridging=False))
    firing = (
        ("web", 1.0, Severity.MAJOR),
        ("db", 2.0, Severity.CRITICAL),
        ("api", 3.0, Severity.MAJOR),
    )
    a = engine.apply([event("web", at=1, severity=Severity.MAJOR)]).domains_opened[0]
    b = engine.apply([event("db", at=2, severity=Severity.CRITICAL)]).domains_opened[0]
    assert engine.apply([event("api", at=3, severity=Severity.MAJOR)]).merged_into == {b: a}
    assert engine.closed_domains(0, 100) == []
    engine.apply(
        [
            event(name, at=10 + k, status=Status.RESOLVED, starts=at, ends=10 + k, severity=sev)
            for k, (name, at, sev) in enumerate(firing)
        ]
    )
    (closed,) = engine.closed_domains(0, 100)
    assert closed.id == a and closed.severity is Severity.CRITICAL and closed.size == 3
    assert closed.members == ("api", "db", "web") and engine.closed_domain(a) is closed
    assert engine.closed_domain(b) is None  # merged, not closed
    assert (closed.first_seen, closed.opened_at, closed.closed_at) == (1, 1, 12)
    assert engine.closed_domains(12.5, 100) == []  # closed before the range
    assert engine.closed_domains(0, 0.5) == []  # opened after it


def test_a_one_component_domain_is_its_own_root_cause_and_the_oldest_go_first() -> None:
    topology = Topology.from_edges([f"host-{k}" for k in range(3)], [])
    lives = DomainLives(topology.ids, keep=2, rank=lambda peak: rank_peak(topology, peak, 5))
    for k in range(3):
        lives.joined(f"D{k}", float(k), 1, Severity.MAJOR, float(k), k)
        at_peak = lives.left(
            f"D{k}",
            k + 0.5,
            opened_at=float(k),
            size=1,
            severity=Severity.MAJOR,
            starts_at=float(k),
            node=k,
        )
        assert at_peak
        lives.peak(f"D{k}", k + 0.5, 1, peak_entry(k, Evidence(float(k), Severity.MAJOR)))
        lives.take([], [f"D{k}"], {}, lambda _d: (), None)
    assert [(d.id, d.root_cause, d.root_alerting, d.members) for d in lives.between(0, 10)] == [
        ("D1", "host-1", True, ("host-1",)),
        ("D2", "host-2", True, ("host-2",)),
    ]
    assert lives.get("D0") is None and lives.get("D2") is lives.between(2, 3)[0]


def test_closings_out_of_order_are_kept_in_time_order_and_the_oldest_go() -> None:
    rng = random.Random(11)
    ends = [float(k) for k in range(40)]
    rng.shuffle(ends)
    lives = DomainLives([f"c{k}" for k in range(40)], keep=8)
    for k, end in enumerate(ends):
        lives.left(
            f"D{k}", end, opened_at=0.0, size=1, severity=Severity.INFO, starts_at=0.0, node=k
        )
        lives.take([], [f"D{k}"], {}, lambda _d: (), None)
    kept = lives.between(-math.inf, math.inf)
    times = [d.closed_at for d in kept]
    assert times == sorted(times) and 8 <= len(kept) <= 9
    # what is dropped is always older than what is kept (among the closings seen so far)
    assert all(lives.get(d.id) is d for d in kept)
