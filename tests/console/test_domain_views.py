"""Large domains' views are built off the GUI thread and equal the engine's own."""

from __future__ import annotations

from console.bridge import EngineBridge
from console.domain_views import DomainViews
from core.engine import Engine
from core.graph.topology import Topology
from core.model import AlertEvent
from tests.console.conftest import event


def chain(n: int) -> Topology:
    """c0 <- c1 <- ... : each component depends on the one before it."""
    ids = [f"c{i}" for i in range(n)]
    return Topology.from_edges(ids, [(ids[i + 1], ids[i]) for i in range(n - 1)])


def firing(components: list[str], at: float) -> list[AlertEvent]:
    return [event(c, at=at + i) for i, c in enumerate(components)]


def test_small_domains_are_built_on_the_spot(qtbot) -> None:
    bridge = EngineBridge(Engine(chain(10)))
    bridge.push(bridge.engine.apply(firing(["c0", "c1", "c2"], at=1)))
    bridge.flush()
    (domain_id,) = bridge.engine.domain_ids()
    views = bridge.views
    assert views.is_current(domain_id)
    assert views.view(domain_id) == bridge.engine.domain(domain_id)
    assert not views.busy
    assert views.view("D999") is None


def test_a_large_domain_is_built_in_the_worker_and_equals_the_engines(qtbot) -> None:
    topology = chain(120)
    bridge = EngineBridge(Engine(topology))
    views = bridge.views
    bridge.push(bridge.engine.apply(firing(topology.ids[:100], at=1)))
    bridge.flush()
    (domain_id,) = bridge.engine.domain_ids()
    with qtbot.waitSignal(views.sig_ready, timeout=10_000) as ready:
        assert views.view(domain_id) is None  # nothing built yet: on its way
        assert views.busy
    assert ready.args == [[domain_id]]
    built = views.view(domain_id)
    assert views.is_current(domain_id)
    reference = Engine(topology)
    reference.apply(firing(topology.ids[:100], at=1))
    assert built == reference.domain(domain_id)
    assert built is bridge.engine.cached_domain(domain_id)  # adopted: no second build

    # It grows: the previous view is shown until the new one lands.
    bridge.push(bridge.engine.apply(firing(topology.ids[100:110], at=200)))
    bridge.flush()
    assert not views.is_current(domain_id)
    with qtbot.waitSignal(views.sig_ready, timeout=10_000):
        assert views.view(domain_id) is built
    assert views.view(domain_id).size == 110  # type: ignore[union-attr]
    bridge.shutdown()


def test_a_result_for_a_replaced_engine_is_dropped(qtbot) -> None:
    topology = chain(120)
    bridge = EngineBridge(Engine(topology))
    views = bridge.views
    bridge.push(bridge.engine.apply(firing(topology.ids[:100], at=1)))
    bridge.flush()
    (domain_id,) = bridge.engine.domain_ids()
    assert views.view(domain_id) is None
    ready: list[list[str]] = []
    views.sig_ready.connect(ready.append)
    bridge.reset(Engine(topology))  # a seek: the old engine's build must not land
    qtbot.waitUntil(lambda: not views.busy, timeout=10_000)
    assert ready == [] and views.view(domain_id) is None
    bridge.shutdown()


def test_a_listed_small_domain_is_ranked_at_most_once_an_interval_then_caught_up(qtbot) -> None:
    """The incidents list repaints a changing domain up to 20 times a second: a small
    domain listed again within the interval shows its previous view, and the row is
    told to repaint (sig_ready) once the interval has passed, with the current view."""
    topology = chain(10)
    engine = Engine(topology)
    views = DomainViews(engine, interval_s=0.3)
    engine.apply(firing(["c0", "c1"], at=1))
    (domain_id,) = engine.domain_ids()
    first = views.listed(domain_id)
    assert first is not None and first.size == 2
    engine.apply(firing(["c2"], at=10))  # it grows within the interval
    with qtbot.waitSignal(views.sig_ready, timeout=5_000) as ready:
        assert views.listed(domain_id) is first  # the previous view, not a new ranking
    assert ready.args == [[domain_id]]
    current = views.listed(domain_id)
    assert current is not None and current.size == 3
    assert current == engine.domain(domain_id)
    # Not changing: the current view at once, nothing more to announce.
    assert views.listed(domain_id) is current
    views.shutdown()
