"""The canvas keeps its domain work within a frame: large views off the GUI thread, shapes in turns.

Whatever is deferred, the canvas ends up showing exactly what a synchronous
refresh shows: the same labelled domains with the same views, the same silent
candidates and labels.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from console.views.canvas_state import silent_candidates, worst_domains
from core.graph.loaders import load_topology
from core.graph.topology import Topology
from core.timeline import Record, load_records
from tests.console.test_topology_view import DEMO, Canvas


@pytest.fixture(scope="module")
def parts() -> tuple[Topology, list[Record]]:
    return load_topology(DEMO / "topology.json"), load_records(DEMO / "alerts.ndjson.gz")


def synchronous(canvas: Canvas) -> tuple[list[str], list[tuple[str, ...]], set[int]]:
    """Ids, root causes and silent candidates as a refresh without any budget computes them."""
    engine = canvas.player.engine
    views, _, complete = worst_domains(engine, canvas.view._status, {}, None)
    assert complete
    causes = [tuple(c.component for c in v.root_causes) for v in views]
    return [v.id for v in views], causes, silent_candidates(engine.topology, views)


def shown(canvas: Canvas) -> tuple[list[str], list[tuple[str, ...]], set[int]]:
    views = canvas.view._domain_views
    causes = [tuple(c.component for c in v.root_causes) for v in views]
    return [v.id for v in views], causes, set(canvas.view._silent)


def test_large_domain_views_come_from_the_worker_and_land_on_the_canvas(
    qtbot: QtBot, tmp_path: Path, parts
) -> None:
    canvas = Canvas(qtbot, tmp_path, parts)
    views = canvas.bridge.views
    views.sync_members = 2  # every domain of three or more members is built off the GUI thread
    ready: list[str] = []
    views.sig_ready.connect(ready.extend)
    canvas.play_to("2026-11-26T02:45:00Z")
    engine = canvas.player.engine
    large = [d for d in engine.domain_ids() if engine.domain_size(d) > 2]
    assert large, "the demo at 02:45 has domains of more than two members"

    def settled() -> bool:
        view = canvas.view
        return not views.busy and not view._domains_pending and not view._domain_timer.isActive()

    qtbot.waitUntil(settled, timeout=10_000)
    assert set(ready) & set(shown(canvas)[0]), "large views were built by the worker"
    assert shown(canvas) == synchronous(canvas)
    texts = canvas.view._domains.label_texts()
    assert [t.split(" ")[0] for t in texts] == canvas.view.domain_overlays()


def test_shapes_past_the_deadline_wait_for_the_next_refresh(
    qtbot: QtBot, tmp_path: Path, parts
) -> None:
    canvas = Canvas(qtbot, tmp_path, parts)
    canvas.play_to("2026-11-26T02:45:00Z")
    canvas.view.settle()
    complete_labels = canvas.view._domains.label_texts()
    assert len(complete_labels) >= 3
    view = canvas.view
    view._domains._cache.clear()  # every shape must be made again
    assert not view._draw_domains(deadline=0.0)  # no time at all: halos only
    assert view._domains.label_texts() == []
    assert view._draw_domains()  # the next refresh makes them
    assert view._domains.label_texts() == complete_labels
    assert shown(canvas) == synchronous(canvas)


def test_selecting_a_closed_domain_shows_where_it_was(qtbot: QtBot, tmp_path: Path, parts) -> None:
    from core.graph.blast import blast_radius

    canvas = Canvas(qtbot, tmp_path, parts)
    canvas.play_to("2026-11-26T02:59:00Z")
    engine, topology = canvas.player.engine, canvas.topology
    closed = [d for d in engine.closed_domains(-1e18, 1e18) if len(d.members) > 1]
    assert closed, "the demo closes domains of several members before 03:00"
    domain = closed[0]
    canvas.selection.set_domain(domain.id)
    members = {topology.index[m] for m in domain.members}
    expected = members | set(blast_radius(topology, sorted(members)).nodes.tolist())
    assert canvas.view.highlighted_nodes() == expected
    if domain.root_cause is not None:
        assert canvas.view.root_cause_marks() == {domain.root_cause: 1}
    canvas.selection.set_domain(None)
    assert canvas.view.highlighted_nodes() == set()
