"""Domain summaries are kept between batches: a kept one always equals one computed afresh."""

from __future__ import annotations

import math
from pathlib import Path

from core.domain_view import DomainSummary
from core.engine import Engine
from core.graph.loaders import load_topology
from core.model import Severity
from core.replay import ReplayPlayer
from core.timeline import load_records

DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"


def fresh_summary(engine: Engine, domain_id: str) -> DomainSummary:
    """From the members' firing alerts, through the public API only."""
    severity, first_seen = Severity.INFO, math.inf
    members = engine.domain_members(domain_id)
    for node in members:
        for fingerprint in engine.firing_on(node):
            alert = engine.alerts[fingerprint]
            severity = max(severity, alert.severity)
            first_seen = min(first_seen, alert.starts_at)
    opened = engine.domain_summary(domain_id)
    assert opened is not None
    return DomainSummary(domain_id, severity, len(members), first_seen, opened.opened_at)


def test_kept_summaries_follow_every_change_of_the_demo() -> None:
    player = ReplayPlayer(
        load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")
    )
    engine = player.engine
    assert player.start_time is not None and player.end_time is not None
    t, checked, kept = player.start_time, 0, 0
    previous: dict[str, DomainSummary] = {}
    while t < player.end_time:
        t += 20.0
        player.advance(t)
        for domain_id in engine.domain_ids():
            first = engine.domain_summary(domain_id)  # computed or kept from an earlier batch
            assert first == fresh_summary(engine, domain_id)
            assert engine.domain_summary(domain_id) is first  # kept until the domain changes
            kept += previous.get(domain_id) is first
            previous[domain_id] = first
            checked += 1
    assert checked > 500
    assert kept > 100, "unchanged domains keep their summary from one batch to the next"
