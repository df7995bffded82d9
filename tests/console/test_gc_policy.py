"""The console's collector policy: thresholds, a settle after each engine reset, undone cleanly."""

from __future__ import annotations

import gc
import weakref

import pytest

from console import gc_policy
from console.bridge import EngineBridge
from core.engine import Engine
from tests.console.conftest import estate


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def _garbage_cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def policy():
    policy = gc_policy.GcPolicy()
    yield policy
    policy.uninstall()


def test_engine_reset_collects_the_old_cycles_and_freezes_the_rest(qtbot, policy) -> None:
    before = gc.get_threshold()
    bridge = EngineBridge(Engine(estate()))
    policy.install(bridge)
    assert gc.get_threshold() == gc_policy.THRESHOLDS
    dead = _garbage_cycle()
    gc.freeze()  # even garbage someone froze earlier is reclaimed by the settle
    bridge.reset(Engine(estate()))
    qtbot.waitUntil(lambda: policy.settles == 1)
    assert dead() is None
    assert gc.get_freeze_count() > 0
    policy.uninstall()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    bridge.shutdown()


def test_resets_in_a_row_settle_once_then_once_more_after_the_last(qtbot, policy) -> None:
    bridge = EngineBridge(Engine(estate()))
    policy.install(bridge)
    bridge.reset(Engine(estate()))
    qtbot.waitUntil(lambda: policy.settles == 1)
    for _ in range(5):  # a slider drag
        bridge.reset(Engine(estate()))
    qtbot.wait(50)
    assert policy.settles == 1  # within the gap: not yet
    last = _garbage_cycle()
    qtbot.waitUntil(lambda: policy.settles == 2, timeout=5000)
    assert last() is None
    qtbot.wait(round(gc_policy.SETTLE_GAP_S * 1000) + 100)
    assert policy.settles == 2
    bridge.shutdown()


def test_a_slow_full_collection_freezes_what_survived(policy, monkeypatch) -> None:
    monkeypatch.setattr(gc_policy, "SLOW_FULL_S", 0.0)  # every full collection counts as slow
    policy.install()
    gc.unfreeze()
    gc.collect(1)
    assert policy.refreezes == 0 and gc.get_freeze_count() == 0  # not a full collection
    gc.collect()
    assert policy.refreezes == 1
    assert gc.get_freeze_count() > 0


def test_without_the_policy_a_full_collection_freezes_nothing(monkeypatch) -> None:
    monkeypatch.setattr(gc_policy, "SLOW_FULL_S", 0.0)
    policy = gc_policy.GcPolicy()
    policy.install()
    policy.uninstall()
    gc.collect()
    assert policy.refreezes == 0 and gc.get_freeze_count() == 0


def test_collections_run_on_the_gui_thread_only(qtbot) -> None:
    import threading

    threads: list[str] = []

    def seen(phase: str, _info: dict) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    collector = gc_policy.GuiThreadCollector(interval_ms=10)
    collector.start()  # (the console tests already run one: starting another is harmless)
    gc.callbacks.append(seen)
    try:
        assert not gc.isenabled()

        def allocate() -> None:  # far past every threshold, in a worker
            keep = []
            for _ in range(200_000):
                a, b = Node(), Node()
                a.other, b.other = b, a
                keep.append(a)

        worker = threading.Thread(target=allocate, name="worker")
        worker.start()
        worker.join()
        assert "worker" not in threads  # nothing collected there
        dead = _garbage_cycle()
        qtbot.waitUntil(lambda: dead() is None, timeout=5000)  # the timer collected it
        assert threads and set(threads) == {threading.main_thread().name}
    finally:
        gc.callbacks.remove(seen)
        collector.stop()
