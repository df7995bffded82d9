"""Domain views built from a snapshot (off the GUI thread) equal the engine's own, exactly."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from core.engine import Engine, build_domain_view
from core.graph.topology import Topology
from core.model import AlertEvent, Severity, Status
from tests.builders import estate, event


def layered(n: int, tiers: int, fan: int, seed: int) -> Topology:
    """A seeded layered dependency DAG: each component depends on `fan` in the tier below."""
    rng = random.Random(seed)
    size = n // tiers
    edges = []
    for node in range(size, n):
        tier = node // size
        below = range((tier - 1) * size, tier * size)
        for dep in rng.sample(below, fan):
            edges.append((f"c{node}", f"c{dep}"))
    return Topology.from_edges([f"c{i}" for i in range(n)], edges)


def storm(topology: Topology, count: int, seed: int) -> list[AlertEvent]:
    """Fires, repeats and resolves on a quarter of the estate, in event-time order."""
    rng = random.Random(seed)
    ids = topology.ids[: len(topology) // 4 * 4]
    firing: dict[str, float] = {}
    events = []
    for i in range(count):
        at = float(i)
        component = rng.choice(ids[: len(ids) // 2]) if rng.random() < 0.7 else rng.choice(ids)
        severity = rng.choice([Severity.CRITICAL, Severity.MAJOR, Severity.WARNING])
        if component in firing and rng.random() < 0.4:
            starts = firing.pop(component)
            events.append(event(component, at=at, status=Status.RESOLVED, starts=starts, ends=at))
        else:
            starts = firing.setdefault(component, at)
            events.append(event(component, at=at, starts=starts, severity=severity))
    return events


def test_views_built_on_another_thread_from_earlier_inputs_equal_the_engines() -> None:
    topology = layered(600, 4, 3, seed=5)
    events = storm(topology, 3_000, seed=5)
    live = Engine(topology)
    limit = live.config.root_cause_limit
    applied = 0
    checked = 0
    with ThreadPoolExecutor(max_workers=1) as worker:
        for snapshot_at in range(500, len(events), 500):
            live.apply(events[applied:snapshot_at])
            inputs = [live.domain_inputs(d) for d in live.domain_ids()]
            # The engine moves on while the worker builds from the snapshot.
            applied = snapshot_at + 20
            live.apply(events[snapshot_at:applied])
            built = list(
                worker.map(
                    lambda i: build_domain_view(topology, i, limit),
                    [i for i in inputs if i is not None],
                )
            )
            reference = Engine(topology)  # the snapshot's state, built from scratch
            reference.apply(events[:snapshot_at])
            for view in built:
                assert view == reference.domain(view.id)
                checked += 1
    assert checked > 50


def test_a_view_is_adopted_only_while_its_domain_is_unchanged() -> None:
    engine = Engine(estate())
    (domain_id,) = engine.apply([event("db", at=1), event("api", at=2)]).domains_opened
    stale = engine.domain_inputs(domain_id)
    assert stale is not None
    engine.apply([event("web", at=3)])  # the domain grows
    old_view = build_domain_view(engine.topology, stale, 5)
    assert not engine.adopt_view(stale, old_view)
    assert engine.cached_domain(domain_id) is None
    engine.apply([event("lonely", at=4)])  # another domain changes: this one stays current
    fresh = engine.domain_inputs(domain_id)
    assert fresh is not None
    engine.apply([event("lonely", at=5, starts=4)])
    view = build_domain_view(engine.topology, fresh, 5)
    assert engine.adopt_view(fresh, view)
    assert engine.cached_domain(domain_id) is view
    assert view == view_from_scratch(engine, domain_id)
    engine.apply([event("db", at=6, status=Status.RESOLVED, starts=1, ends=6)])
    assert engine.cached_domain(domain_id) is None or domain_id not in engine.domain_ids()


def view_from_scratch(engine: Engine, domain_id: str):
    """The domain's view built afresh (the cache bypassed)."""
    inputs = engine.domain_inputs(domain_id)
    assert inputs is not None
    return build_domain_view(engine.topology, inputs, engine.config.root_cause_limit)


def test_summaries_agree_with_views_and_order() -> None:
    topology = layered(400, 4, 3, seed=9)
    engine = Engine(topology)
    engine.apply(storm(topology, 1_500, seed=9))
    views = engine.domains()
    assert len(views) > 2
    summaries = [engine.domain_summary(v.id) for v in views]
    for view, summary in zip(views, summaries, strict=True):
        assert summary is not None
        assert (summary.severity, summary.size, summary.first_seen, summary.opened_at) == (
            view.severity,
            view.size,
            view.first_seen,
            view.opened_at,
        )
        assert engine.domain_size(view.id) == view.size
    ordered = sorted(summaries, key=lambda s: s.order_key)  # type: ignore[union-attr]
    assert [s.id for s in ordered] == [v.id for v in views]  # type: ignore[union-attr]
    assert engine.domain_summary("D999999") is None and engine.domain_size("D999999") == 0


def test_a_repeat_with_an_earlier_start_updates_the_domain() -> None:
    engine = Engine(estate())
    (domain_id,) = engine.apply([event("db", at=100, starts=100)]).domains_opened
    assert engine.domain(domain_id).first_seen == 100  # type: ignore[union-attr]
    delta = engine.apply([event("db", at=110, starts=40)])  # Alertmanager learned it began earlier
    assert delta.domains_changed == [domain_id]
    assert engine.domain(domain_id).first_seen == 40  # type: ignore[union-attr]
