"""Engine semantics: identity, repeats, resolves, stale arrivals, expiry, deltas, ranking."""

from __future__ import annotations

import msgspec

from core.engine import Engine
from core.model import AlertEvent, Rejected, Severity, Status
from tests.builders import estate, event


def test_repeat_updates_instead_of_duplicating() -> None:
    engine = Engine(estate())
    first = engine.apply([event("db", at=10)])
    second = engine.apply([event("db", at=20, starts=10)])
    assert len(engine.alerts) == 1
    (alert,) = engine.alerts.values()
    assert alert.repeats == 1 and alert.firing
    assert first.alerts_added == [alert.fingerprint]
    assert second.alerts_updated == [alert.fingerprint] and not second.alerts_added
    assert [d.members for d in engine.domains()] == [("db",)]


def test_resolve_closes_domain_and_is_reported() -> None:
    engine = Engine(estate())
    opened = engine.apply([event("db", at=10)])
    (domain_id,) = opened.domains_opened
    delta = engine.apply([event("db", at=30, status=Status.RESOLVED, starts=10, ends=30)])
    assert delta.domains_closed == [domain_id]
    assert len(delta.alerts_resolved) == 1
    assert engine.domains() == []
    (alert,) = engine.alerts.values()
    assert alert.status is Status.RESOLVED and alert.ends_at == 30


def test_late_out_of_order_firing_after_resolve_is_stale() -> None:
    engine = Engine(estate())
    engine.apply([event("db", at=10)])
    engine.apply([event("db", at=30, status=Status.RESOLVED, starts=10, ends=30)])
    delta = engine.apply([event("db", at=20, starts=10)])  # a repeat that arrived late
    assert delta.stale == 1
    assert engine.domains() == []
    # a genuinely new episode after the resolve fires again
    engine.apply([event("db", at=40)])
    (alert,) = engine.alerts.values()
    assert alert.firing and alert.episodes == 2


def test_resolve_of_unknown_alert_is_recorded_not_an_error() -> None:
    engine = Engine(estate())
    delta = engine.apply([event("db", at=30, status=Status.RESOLVED, starts=10, ends=30)])
    assert len(delta.alerts_added) == 1
    assert engine.domains() == [] and engine.active_alerts == []


def test_firing_alert_expires_at_its_ends_at_without_refresh() -> None:
    engine = Engine(estate())
    engine.apply([event("db", at=10, ends=100)])
    assert engine.domains()
    engine.apply([event("db", at=50, starts=10, ends=140)])  # refreshed
    engine.advance_to(120)
    assert engine.domains()
    delta = engine.advance_to(141)
    assert len(delta.alerts_resolved) == 1
    assert engine.domains() == []


def test_unmapped_alerts_are_kept_and_listed() -> None:
    engine = Engine(estate())
    engine.apply([event("not-in-topology", at=5)])
    assert len(engine.unmapped_firing) == 1
    assert engine.domains() == []


def test_rejected_records_are_counted_and_kept() -> None:
    engine = Engine(estate())
    delta = engine.apply([Rejected(where="line 3", reason="not JSON"), event("db", at=1)])
    assert delta.rejected[0].where == "line 3"
    assert engine.rejected_total == 1


def test_domain_merges_keep_older_id_and_report_it() -> None:
    from core.engine import EngineConfig

    engine = Engine(estate(), EngineConfig(bridging=False))
    a = engine.apply([event("web", at=1)]).domains_opened[0]
    b = engine.apply([event("db", at=2)]).domains_opened[0]
    delta = engine.apply([event("api", at=3)])
    assert delta.domains_closed == [b]
    assert delta.merged_into == {b: a}
    assert a in delta.domains_changed
    (domain,) = engine.domains()
    assert domain.id == a and set(domain.members) == {"web", "api", "db"}


def test_upstream_root_ranks_first_even_when_its_alert_is_late() -> None:
    engine = Engine(estate())
    engine.apply(
        [
            event("web", at=100, severity=Severity.MAJOR),
            event("api", at=110, severity=Severity.MAJOR),
            event("admin", at=115, severity=Severity.WARNING),
            event("db", at=160),  # the cause, alerting last
        ]
    )
    (domain,) = engine.domains()
    assert domain.root_causes[0].component == "db"
    assert domain.root_causes[0].alerting
    assert 0.0 <= domain.root_causes[-1].score <= domain.root_causes[0].score <= 1.0
    assert "disk" not in domain.impacted and "batch" in domain.impacted


def test_silent_common_dependency_is_named_with_alerting_false() -> None:
    engine = Engine(estate())
    engine.apply([event("api", at=100), event("batch", at=105)])
    (domain,) = engine.domains()
    top = domain.root_causes[0]
    assert (top.component, top.alerting) == ("db", False)
    assert "db" in domain.impacted


def test_same_input_gives_same_result() -> None:
    events = [event(c, at=float(i)) for i, c in enumerate(["web", "db", "lonely", "api"])]
    one, two = Engine(estate()), Engine(estate())
    one.apply(events)
    for e in events:
        two.apply([e])
    assert one.domains() == two.domains()


def regraded(
    component: str, *, at: float, severity: Severity, starts: float | None = None
) -> AlertEvent:
    """The same alert (same fingerprint) re-sent with another severity."""
    original = event(component, at=at, severity=severity, starts=starts)
    return msgspec.structs.replace(original, fingerprint=f"{component}-regraded")


def test_alerts_below_domain_min_severity_are_kept_but_form_no_domain() -> None:
    from core.engine import EngineConfig

    engine = Engine(estate(), EngineConfig(domain_min_severity=Severity.WARNING))
    engine.apply([regraded("db", at=1, severity=Severity.INFO)])
    assert engine.domains() == [] and len(engine.active_alerts) == 1
    engine.apply([regraded("db", at=2, starts=1, severity=Severity.CRITICAL)])  # escalates
    (domain,) = engine.domains()
    engine.apply([event("api", at=3, severity=Severity.MAJOR)])
    engine.apply([regraded("db", at=4, starts=1, severity=Severity.WARNING)])  # still counts
    assert [d.id for d in engine.domains()] == [domain.id]
    assert engine.domains()[0].severity is Severity.MAJOR


def test_severity_change_keeps_domain_identity() -> None:
    engine = Engine(estate())
    opened = engine.apply([regraded("db", at=1, severity=Severity.WARNING)]).domains_opened
    delta = engine.apply([regraded("db", at=2, starts=1, severity=Severity.CRITICAL)])
    assert delta.domains_changed == opened and not delta.domains_opened
    assert engine.domains()[0].severity is Severity.CRITICAL
