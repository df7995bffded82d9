"""The bridge reports merges once a frame, each merged domain mapped to the open one it ended in."""

from __future__ import annotations

from console.bridge import EngineBridge
from core.engine import Engine, EngineConfig
from core.graph.topology import Topology
from core.model import Status
from tests.console.conftest import event


def test_merges_within_a_frame_resolve_to_the_surviving_domain(qtbot) -> None:
    # a - b - c - d - e, no bridging: domains join only through adjacency
    topology = Topology.from_edges("abcde", [("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")])
    bridge = EngineBridge(Engine(topology, EngineConfig(bridging=False)))
    bridge.push(bridge.engine.apply([event("a", at=1), event("c", at=2), event("e", at=3)]))
    bridge.flush()
    first, second, third = sorted(bridge.engine.domain_ids(), key=lambda d: int(d[1:]))
    merged: list[dict[str, str]] = []
    order: list[str] = []

    def on_merged(m: dict[str, str]) -> None:
        merged.append(m)
        order.append("merged")

    bridge.sig_domains_merged.connect(on_merged)
    bridge.sig_domains_changed.connect(lambda *_: order.append("changed"))
    bridge.push(bridge.engine.apply([event("d", at=4)]))  # third merges into second
    bridge.push(bridge.engine.apply([event("b", at=5)]))  # second merges into first
    bridge.flush()
    assert merged == [{third: first, second: first}]
    assert order == ["merged", "changed"]
    bridge.flush()
    assert len(merged) == 1  # nothing new: nothing emitted


def test_a_merge_into_a_domain_that_closed_in_the_same_frame_is_not_reported(qtbot) -> None:
    topology = Topology.from_edges("abc", [("a", "b"), ("b", "c")])
    bridge = EngineBridge(Engine(topology, EngineConfig(bridging=False)))
    bridge.push(bridge.engine.apply([event("a", at=1), event("c", at=2)]))
    bridge.flush()
    merged: list[dict[str, str]] = []
    bridge.sig_domains_merged.connect(merged.append)
    bridge.push(bridge.engine.apply([event("b", at=3)]))
    for component in "abc":
        bridge.push(bridge.engine.apply([event(component, at=4, status=Status.RESOLVED, starts=1)]))
    bridge.flush()
    assert merged == [] and bridge.engine.domain_ids() == []
