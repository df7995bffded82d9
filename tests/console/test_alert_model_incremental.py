"""The incremental table updates always land on the order a full recompute gives."""

from __future__ import annotations

import random

import pytest

from console.bridge import EngineBridge
from console.theme import Theme
from console.views.alert_model import AlertTableModel
from console.views.alert_store import AlertFilter
from core.engine import Engine
from core.model import Severity, Status
from tests.console.conftest import estate, event

COMPONENTS = ["web", "admin", "api", "db", "disk", "batch", "lonely", "ghost"]
NAMES = ["Down", "Slow", "errors", "Apdex", "zeta", "Beta"]


@pytest.mark.parametrize(
    ("sort", "descending", "spec"),
    [
        (None, False, AlertFilter()),
        ("severity", True, AlertFilter()),
        ("alertname", False, AlertFilter(status="firing")),
        ("summary", True, AlertFilter(text="a")),
        ("ends", False, AlertFilter(severities=frozenset({Severity.CRITICAL, Severity.INFO}))),
        ("repeats", True, AlertFilter(time_range=(30.0, 60.0))),
        ("domain", False, AlertFilter()),
        ("fingerprint", False, AlertFilter(status="resolved")),
        ("label:team", True, AlertFilter()),
    ],
)
def test_random_stream_matches_full_recompute(
    qtmodeltester, qapp, sort: str | None, descending: bool, spec: AlertFilter
) -> None:
    rng = random.Random(hash((sort, descending)) & 0xFFFF)
    bridge = EngineBridge(Engine(estate()))
    model = AlertTableModel(bridge.engine, Theme("dark"))
    if sort == "label:team":
        model.set_label_columns(["team"])
    qtmodeltester.check(model)
    model.set_sort(sort, descending)
    model.set_filter(spec)
    firing: dict[tuple[str, str], float] = {}
    t = 0.0
    for _ in range(25):
        batch = []
        for _ in range(rng.randint(1, 6)):
            t += rng.random() * 3
            component, name = rng.choice(COMPONENTS), rng.choice(NAMES)
            severity = Severity(1 + (len(name) + len(component)) % 4)
            extra = {"team": f"t{len(component) % 3}"}
            if (component, name) in firing and rng.random() < 0.4:
                starts = firing.pop((component, name))
                batch.append(
                    event(
                        component,
                        at=t,
                        name=name,
                        status=Status.RESOLVED,
                        starts=starts,
                        ends=t,
                        severity=severity,
                        extra=extra,
                    )
                )
            else:
                starts = firing.setdefault((component, name), t)
                batch.append(
                    event(
                        component,
                        at=t,
                        name=name,
                        starts=starts,
                        severity=severity,
                        summary=f"{name} {rng.randint(0, 3)}",
                        extra=extra,
                    )
                )
        delta = bridge.engine.apply(batch)
        model.alerts_changed([*delta.alerts_added, *delta.alerts_updated, *delta.alerts_resolved])
        if delta.domains_opened or delta.domains_changed or delta.domains_closed:
            model.domains_changed()
        expected = model.store.order(model.filter, model.sort_column, model.descending)
        assert model._order.tolist() == expected.tolist()
