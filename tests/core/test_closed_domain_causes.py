"""A closed domain's root causes: ranked at its peak, the same after a rebuild as played.

Before, a closed domain kept the top cause of its last ranking while open, so
it depended on whether something had asked for a ranking then: a straight
play in the console showed a cause where an engine rebuilt by a backwards
seek (big batches, domains opening and closing within one) showed none.
"""

from __future__ import annotations

import gc
import math
import weakref

import pytest

from core.analysis import analyze_records
from core.closed_domains import (
    EXACT_PEAKS,
    PEAK_ENTRY,
    ClosedDomain,
    DomainLives,
    peak_entry,
    rank_peak,
)
from core.domain_view import RootCause
from core.engine import Engine, EngineConfig
from core.graph.ranking import Evidence
from core.graph.topology import Topology
from core.model import AlertEvent, Severity, Status, parse_time
from core.replay import ReplayPlayer
from core.timeline import Record
from tests.builders import estate, event

RANGE_START = parse_time("2026-11-26T02:05:00Z")


def causes(engine: Engine, start: float, end: float) -> dict[str, tuple[RootCause, ...]]:
    return {d.id: d.root_causes for d in engine.closed_domains(start, end)}


def entries(peak: bytes) -> list[tuple[float, ...]]:
    """A peak's members' entries, in component order."""
    return sorted(PEAK_ENTRY.iter_unpack(peak))


def straight_play(
    topology: Topology, records: list[Record], until: float, *, look: bool
) -> ReplayPlayer:
    """Play in 20 s ticks as the console does; `look`: rank every open domain after each."""
    player = ReplayPlayer(topology, records)
    t = player.start_time
    assert t is not None
    while t < until:
        t = min(until, t + 20.0)
        player.advance(t)
        if look:
            player.engine.domains()  # what the incidents list asks for on each flush
    return player


@pytest.mark.parametrize("at", ["2026-11-26T02:40:00Z", "2026-11-26T02:59:00Z"])
def test_a_rebuilt_engine_shows_the_causes_of_a_straight_play(
    demo_topology, demo_records, at: str
) -> None:
    target = parse_time(at)
    played = straight_play(demo_topology, demo_records, target, look=True)
    expected = causes(played.engine, RANGE_START, target)
    multi = [d for d in played.engine.closed_domains(RANGE_START, target) if d.size > 1]
    assert multi, "incidents that opened and closed by then"
    assert all(expected[d.id] for d in multi), "every closed incident has a cause"
    assert all(expected.values())

    unlooked = straight_play(demo_topology, demo_records, target, look=False)
    assert causes(unlooked.engine, RANGE_START, target) == expected

    sought = ReplayPlayer(demo_topology, demo_records)
    assert sought.end_time is not None
    sought.advance(sought.end_time)
    sought.seek(target)  # backwards: the engine is rebuilt from the start in big batches
    assert causes(sought.engine, RANGE_START, target) == expected

    fresh = analyze_records(demo_topology, demo_records, at=target).engine  # `analyze --at`
    assert causes(fresh, RANGE_START, target) == expected


def test_the_silent_switch_of_the_demo_is_the_cause_of_its_closed_domain(
    demo_topology, demo_records
) -> None:
    """The demo's silent top-of-rack incident closes by the end with the switch as its cause."""
    engine = analyze_records(demo_topology, demo_records).engine  # one batch: nobody looked
    closed = {d.root_cause: d for d in engine.closed_domains(-math.inf, math.inf)}
    switch = closed.get("tor-r03")
    assert switch is not None and not switch.root_alerting and switch.size > 10
    assert switch.root_causes[0].reasons[-1] == "silent: no alert of its own"


def test_the_ranking_at_a_peak_is_the_one_an_open_domain_shows(demo_topology, demo_records):
    """`rank_peak` on an open domain's members and evidence gives its view's ranking."""
    player = ReplayPlayer(demo_topology, demo_records)
    assert player.start_time is not None and player.end_time is not None
    limit = EngineConfig().root_cause_limit
    compared = 0
    t = player.start_time
    while t < player.end_time:
        t = min(player.end_time, t + 120.0)
        player.advance(t)
        engine = player.engine
        for domain_id in engine.domain_ids():
            inputs = engine.domain_inputs(domain_id)
            view = engine.domain(domain_id)
            assert inputs is not None and view is not None
            peak = b"".join(peak_entry(m, ev) for m, ev in inputs.evidence.items())
            assert rank_peak(demo_topology, peak, limit) == view.root_causes, (t, domain_id)
            # what the engine hands over at a peak is this domain's evidence (any member)
            taken = engine._peak_of(inputs.members[-1], len(inputs.members))  # (at a peak)
            assert entries(taken) == entries(peak)
            compared += len(inputs.members) > 1
    assert compared > 20


def down(name: str, at: float) -> AlertEvent:
    return event(name, at=at, severity=Severity.CRITICAL)


def up(name: str, starts: float, at: float) -> AlertEvent:
    return event(name, at=at, starts=starts, ends=at, status=Status.RESOLVED)


# db fails first, api and web follow; db recovers first, web last.
OUTAGE = [
    down("db", 10),
    down("api", 20),
    down("web", 30),
    up("db", 10, 100),
    up("api", 20, 110),
    up("web", 30, 120),
]


def closed_of(engine: Engine) -> ClosedDomain:
    (closed,) = engine.closed_domains(0, 1000)
    return closed


def test_the_cause_is_the_one_at_the_peak_not_the_last_symptom_standing() -> None:
    looked = Engine(estate())
    at_peak: tuple[RootCause, ...] = ()
    last: tuple[RootCause, ...] = ()
    for item in OUTAGE:
        looked.apply([item])
        for view in looked.domains():  # the console ranking every open domain each step
            last = view.root_causes
            if view.size == 3:
                at_peak = view.root_causes
    assert at_peak[0].component == "db" and last[0].component == "web"
    closed = closed_of(looked)
    assert closed.root_causes == at_peak and closed.root_cause == "db" and closed.root_alerting
    assert (closed.peak_at, closed.peak_size) == (100, 3)

    in_one_batch = Engine(estate())  # opens and closes within the batch
    in_one_batch.apply(OUTAGE)
    assert closed_of(in_one_batch).root_causes == at_peak


def test_a_closed_domain_is_ranked_when_first_read_then_kept() -> None:
    topology = estate()
    ranked: list[bytes] = []

    def rank(peak: bytes) -> tuple[RootCause, ...]:
        ranked.append(peak)
        return rank_peak(topology, peak, 5)

    lives = DomainLives(topology.ids, rank=rank)
    db = topology.index["db"]
    assert lives.left(
        "D1", 20.0, opened_at=10.0, size=1, severity=Severity.CRITICAL, starts_at=10.0, node=db
    )
    lives.peak("D1", 20.0, 1, peak_entry(db, Evidence(10.0, Severity.CRITICAL)))
    lives.take(["D1"], ["D1"], {}, lambda _d: (), None)
    (closed,) = lives.between(0, 100)
    assert ranked == [] and closed.peak_at == 20.0  # closing ranks nothing
    first = closed.root_causes
    assert [c.component for c in first] == ["db"] and len(ranked) == 1
    assert closed.root_causes is first and lives.get("D1") is closed
    assert lives.between(0, 100)[0].root_cause == "db" and len(ranked) == 1  # kept


def test_merged_domains_keep_the_biggest_peak_in_any_batch_size() -> None:
    """Two domains that merge keep the peak of the larger; the result ignores batching."""
    items = [
        down("web", 1),
        down("admin", 2),  # web + admin: two domains (no bridging), api is silent
        down("disk", 3),
        down("batch", 4),
        up("web", 1, 5),  # the web domain peaks at 1, the disk one ...
        down("db", 6),  # ... until db joins disk and batch (3 members)
        down("api", 7),  # api welds admin in: 5 members, the biggest peak
        up("disk", 3, 8),
        up("db", 6, 9),
        up("batch", 4, 10),
        up("admin", 2, 11),
        up("api", 7, 12),
    ]
    config = EngineConfig(bridging=False)
    results = []
    for size in (1, 2, 3, 5, len(items)):
        engine = Engine(estate(), config)
        for offset in range(0, len(items), size):
            engine.apply(items[offset : offset + size])
        results.append(
            [(d.id, d.root_causes, (d.peak_at, d.peak_size)) for d in engine.closed_domains(0, 100)]
        )
    assert all(r == results[0] for r in results)
    by_peak = {peak: causes for _, causes, peak in results[0]}
    assert by_peak[(8, 5)][0].component == "disk"


def test_a_storm_that_grows_while_alerts_flap_takes_few_peaks() -> None:
    """Every new size is a peak up to EXACT_PEAKS members; above, an eighth more is needed."""
    topology = Topology.from_edges([f"c{k}" for k in range(4000)], [])
    taken: list[int] = []
    lives = DomainLives(topology.ids, rank=lambda peak: rank_peak(topology, peak, 5))

    def leave(at: float, size: int) -> None:
        if lives.left(
            "D1",
            at,
            opened_at=0.0,
            size=size,
            severity=Severity.MAJOR,
            starts_at=0.0,
            node=size - 1,
        ):
            taken.append(size)
            evidence = Evidence(0.0, Severity.MAJOR)
            lives.peak("D1", at, size, b"".join(peak_entry(m, evidence) for m in range(size)))

    for size in range(1, 4001):  # one more member, then one alert flaps: a leave at a new size
        leave(float(size), size)
    for size in range(4000, 0, -1):  # the storm ends
        leave(5000.0 + size, size)
    lives.take(["D1"], ["D1"], {}, lambda _d: (), None)
    assert taken[:EXACT_PEAKS] == list(range(1, EXACT_PEAKS + 1))
    later = taken[EXACT_PEAKS:]
    assert all(b >= a + a // 8 for a, b in zip([EXACT_PEAKS, *later], later, strict=False))
    assert len(taken) < EXACT_PEAKS + 40  # not one per new size (4,000)
    (closed,) = lives.between(0, 10_000)
    assert closed.peak_size == taken[-1] >= 4000 * 8 // 9 and closed.size == 4000


def test_an_engine_let_go_is_freed_at_once(demo_topology, demo_records) -> None:
    """Closed domains rank lazily without a reference cycle through the engine: a seek's
    old engine is freed when let go, not left for the cyclic garbage collector."""
    engine = analyze_records(demo_topology, demo_records).engine
    kept = engine.closed_domains(-math.inf, math.inf)  # as a view keeps its rows
    assert any(d.root_cause for d in kept)
    gone = weakref.ref(engine)
    enabled = gc.isenabled()
    gc.disable()
    try:
        del engine
        assert gone() is None
    finally:
        if enabled:
            gc.enable()
    assert [d.root_cause for d in kept] == [d.root_cause for d in kept]  # still readable
