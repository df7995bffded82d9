"""Large domains' views are built off the GUI thread and equal the engine's own."""

from __future__ import annotations

from console.bridge import EngineBridge
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
