"""Following domain deltas gives the same domain column as recomputing it from every domain."""

from __future__ import annotations

import itertools
import random

import pytest
from PySide6.QtCore import Qt

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alert_store import AlertFilter, AlertStore
from console.views.alerts import AlertsView, _longest_increasing
from core.engine import Engine, EngineConfig
from core.graph.topology import Topology
from core.model import Status
from tests.console.conftest import event


def _random_topology(rng: random.Random, size: int) -> Topology:
    names = [f"n{i}" for i in range(size)]
    edges = [(names[i], names[j]) for i in range(1, size) for j in rng.sample(range(i), 1)]
    edges += [(names[i], names[rng.randrange(i)]) for i in range(2, size, 3)]
    return Topology.from_edges(names, edges)


def _domains_per_row(store: AlertStore) -> list[str | None]:
    return [store.domain_id(row) for row in range(store.n)]


def _domains_per_component(store: AlertStore) -> list[str | None]:
    return [store.domain_ids[c] if c >= 0 else None for c in store._node_domain.tolist()]


@pytest.mark.parametrize("bridging", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_domain_deltas_through_the_bridge_match_a_full_recompute(
    qtbot, seed: int, bridging: bool
) -> None:
    rng = random.Random(seed)
    topology = _random_topology(rng, 40)
    bridge = EngineBridge(Engine(topology, EngineConfig(bridging=bridging)))
    store = AlertStore(bridge.engine)
    bridge.sig_alerts_changed.connect(
        lambda added, updated, resolved: store.upsert(
            [bridge.engine.alerts[fp] for fp in (*added, *updated, *resolved)]
        )
    )
    bridge.sig_domains_changed.connect(store.update_domains)
    firing: dict[str, float] = {}
    t = 0.0
    saw_close = False
    for _ in range(60):
        # several engine batches per frame, so the bridge coalesces opens, merges and closes
        for _ in range(rng.randint(1, 3)):
            batch = []
            for _ in range(rng.randint(1, 5)):
                t += 1.0
                component = rng.choice(topology.ids)
                if component in firing and rng.random() < 0.5:
                    starts = firing.pop(component)
                    batch.append(
                        event(component, at=t, status=Status.RESOLVED, starts=starts, ends=t)
                    )
                else:
                    batch.append(event(component, at=t, starts=firing.setdefault(component, t)))
            delta = bridge.engine.apply(batch)
            saw_close |= bool(delta.domains_closed)
            bridge.push(delta)
        bridge.flush()
        fresh = AlertStore(bridge.engine)
        assert store.fingerprints == fresh.fingerprints
        assert _domains_per_row(store) == _domains_per_row(fresh)
        assert _domains_per_component(store) == _domains_per_component(fresh)
        # the filter and sort by domain read the same codes
        assert [store.domain_ids[c] if c >= 0 else None for c in store.domain_codes()] == [
            fresh.domain_ids[c] if c >= 0 else None for c in fresh.domain_codes()
        ]
    assert saw_close  # the stream did close and merge domains
    bridge.shutdown()


def test_update_domains_after_a_full_set_then_closing_everything(qtbot) -> None:
    topology = Topology.from_edges("abcde", [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    engine = Engine(topology, EngineConfig(bridging=False))
    engine.apply([event("a", at=1), event("b", at=2), event("d", at=3)])
    store = AlertStore(engine)
    assert {store.domain_id(r) for r in range(store.n)} == set(engine.domain_ids())
    delta = engine.apply(
        [
            event(c, at=10, status=Status.RESOLVED, starts=s, ends=10)
            for c, s in (("a", 1), ("b", 2), ("d", 3))
        ]
    )
    store.upsert(engine.alerts.values())
    store.update_domains(delta.domains_opened, delta.domains_changed, delta.domains_closed)
    assert engine.domain_ids() == []
    assert (store._node_domain == -1).all()


def test_alerts_view_domain_box_and_column_follow_deltas_like_a_fresh_view(qtbot) -> None:
    rng = random.Random(7)
    topology = _random_topology(rng, 30)
    bridge = EngineBridge(Engine(topology, EngineConfig(bridging=False)))
    selection = Selection()
    view = AlertsView(bridge, Theme("dark"), selection)
    qtbot.addWidget(view)
    view.model.set_sort("domain", False)
    firing: dict[str, float] = {}
    t = 0.0
    for step in range(40):
        batch = []
        for _ in range(rng.randint(1, 4)):
            t += 1.0
            component = rng.choice(topology.ids)
            if component in firing and rng.random() < 0.5:
                starts = firing.pop(component)
                batch.append(event(component, at=t, status=Status.RESOLVED, starts=starts, ends=t))
            else:
                batch.append(event(component, at=t, starts=firing.setdefault(component, t)))
        bridge.push(bridge.engine.apply(batch))
        bridge.flush()
        if step % 10 == 5 and bridge.engine.domain_ids():
            selection.set_domain(rng.choice(bridge.engine.domain_ids()))  # may close later
            # the box lists the previous choice until the next refresh (as it always did)
            view._refresh_domains()
        fresh = AlertsView(bridge, Theme("dark"), Selection())
        qtbot.addWidget(fresh)
        fresh.model.set_sort("domain", False)
        chosen = view.domain_box.currentData()
        view.domain_box.showPopup()  # what the operator sees on opening the box
        listed = [view.domain_box.itemData(i) for i in range(view.domain_box.count())]
        view.domain_box.hidePopup()
        expected = [None, *bridge.engine.domain_ids()]
        if chosen is not None and chosen not in expected:
            expected.append(chosen)  # the chosen domain stays listed after it closed
        assert listed == expected
        assert view.model.filter == AlertFilter(domain=chosen)
        assert (
            view.model._order.tolist()
            == fresh.model.store.order(AlertFilter(domain=chosen), "domain", False).tolist()
        )
        fresh.close()
    bridge.shutdown()


def test_longest_increasing_keeps_a_longest_ordered_run() -> None:
    rng = random.Random(5)
    for _ in range(300):
        values = [rng.randrange(-1, 12) for _ in range(rng.randrange(0, 12))]
        kept = sorted(_longest_increasing(values))
        picked = [values[i] for i in kept]
        assert all(v >= 0 for v in picked)
        assert all(a < b for a, b in itertools.pairwise(picked))
        best = [1 if v >= 0 else 0 for v in values]  # O(n^2) reference length
        for j, v in enumerate(values):
            for i in range(j):
                if 0 <= values[i] < v and best[i] + 1 > best[j]:
                    best[j] = best[i] + 1
        assert len(kept) == max(best, default=0)


def test_the_domain_box_is_current_when_the_keyboard_moves_it(qtbot) -> None:
    bridge = EngineBridge(Engine(Topology.from_edges("abc", []), EngineConfig(bridging=False)))
    view = AlertsView(bridge, Theme("dark"), Selection())
    qtbot.addWidget(view)
    for k, component in enumerate("abc"):  # three domains open after the view was built
        bridge.push(bridge.engine.apply([event(component, at=float(k))]))
        bridge.flush()
    view.domain_box.setFocus()
    qtbot.keyClick(view.domain_box, Qt.Key.Key_Down)  # from "All domains" to the first one
    assert view.domain_box.currentData() == bridge.engine.domain_ids()[0]
    assert view.model.filter == AlertFilter(domain=bridge.engine.domain_ids()[0])


def test_a_closed_domain_filters_to_its_components_alerts_while_it_was_open(qtbot) -> None:
    topology = Topology.from_edges("abcd", [("a", "b")])  # a depends on b: one domain
    bridge = EngineBridge(Engine(topology, EngineConfig(bridging=False)))
    view = AlertsView(bridge, Theme("dark"), Selection())
    qtbot.addWidget(view)
    engine = bridge.engine

    def feed(*events) -> None:
        bridge.push(engine.apply(list(events)))
        bridge.flush()

    feed(event("a", at=10), event("b", at=11), event("c", at=12))
    domain = engine.domain_of(topology.index["a"])
    assert domain is not None and engine.domain_of(topology.index["b"]) == domain
    feed(
        event("a", at=20, status=Status.RESOLVED, starts=10, ends=20),
        event("b", at=21, status=Status.RESOLVED, starts=11, ends=21),
        event("b", at=40, name="Later"),  # b again, in a new domain, after it closed
    )
    closed = engine.closed_domain(domain)
    assert closed is not None and closed.members == ("a", "b")
    rows = view.model.store.order(AlertFilter(domain=domain), None, False)
    shown = {(view.model.store.fingerprints[r]) for r in rows.tolist()}
    expected = {fp for fp, a in engine.alerts.items() if a.starts_at < 30 and a.component in (0, 1)}
    assert shown == expected and len(shown) == 2  # a's and b's first alerts; not c's, not later
    view.selection.set_domain(domain)  # following the incidents list's selection
    assert view.model.rowCount() == 2
