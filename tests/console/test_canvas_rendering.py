"""Canvas rendering paths: the zoom preview, edges culled off the GUI thread, text layers."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.canvas_geometry import convex_hull, padded_hull, polygon_area
from console.views.canvas_layers import EDGE_BUDGET
from console.views.topology import ZOOM_REST_MS, TopologyView
from core.engine import Engine
from core.graph.topology import Topology
from tests.console.test_topology_view import Canvas


def grid(nodes: int, seed: int = 3) -> Topology:
    """Nodes on a jittered grid with stored positions, each depending on 3 neighbours."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(nodes)))
    index = np.arange(nodes)
    x = (index % side) + rng.random(nodes) * 0.4
    y = (index // side) + rng.random(nodes) * 0.4
    a = np.repeat(index, 3)
    b = np.minimum(a + np.tile([1, side, side + 1], nodes), nodes - 1)
    ids = [f"c{i}" for i in range(nodes)]
    attrs: list[dict[str, object]] = [
        {"name": ids[i], "kind": "service", "x": float(x[i]), "y": float(y[i])}
        for i in range(nodes)
    ]
    return Topology.from_index_pairs(ids, attrs, a, b)


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    return data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4].copy()


@pytest.fixture
def canvas(qtbot: QtBot, tmp_path: Path, demo_topology, demo_records) -> Canvas:
    return Canvas(qtbot, tmp_path, (demo_topology, demo_records))


def test_a_continuous_zoom_shows_a_preview_that_matches_the_render(
    canvas: Canvas, qtbot: QtBot
) -> None:
    canvas.play_to("2026-11-26T02:45:00Z")
    view = canvas.view
    view.fit()
    qtbot.wait(ZOOM_REST_MS + 100)
    assert not view.canvas.previewing
    view.zoom(1.1)
    assert not view.canvas.previewing  # a one-off step renders as usual
    view.zoom(1.1)
    assert view.canvas.previewing  # a second step soon after: the preview takes over
    frozen = pixels(view.canvas.viewport().grab().toImage())
    view.canvas.end_preview()
    rendered = pixels(view.canvas.viewport().grab().toImage())
    differing = np.count_nonzero(np.any(frozen != rendered, axis=1)) / frozen.shape[0]
    assert differing < 0.02, "the preview at its own view is the render itself"
    # further steps scale the frozen picture; once the zoom rests the scene renders again
    view.zoom(1.1)
    view.zoom(1.1)
    assert view.canvas.previewing
    qtbot.waitUntil(lambda: not view.canvas.previewing, timeout=ZOOM_REST_MS * 10)


def test_zooming_far_freezes_a_new_preview(canvas: Canvas, qtbot: QtBot) -> None:
    view = canvas.view
    view.zoom(1.05)
    view.zoom(1.05)
    view.canvas.viewport().grab()
    first = view.canvas._preview
    assert first is not None
    view.zoom(3.0)  # past PREVIEW_ZOOM_IN: the scaled picture would be too coarse
    view.canvas.viewport().grab()
    assert view.canvas._preview is not None and view.canvas._preview is not first


def test_large_estates_get_their_culled_edges_from_the_worker(qtbot: QtBot, tmp_path: Path) -> None:
    topology = grid(24_000)
    assert topology.edge_count > EDGE_BUDGET
    view = TopologyView(
        EngineBridge(Engine(topology)), Theme("dark"), Selection(), layout_cache=tmp_path
    )
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitUntil(view.is_complete, timeout=20_000)
    x, _ = view._layers.edges.getData()
    assert x is not None and 0 < len(x) // 2 <= EDGE_BUDGET
    # the search box offers every id once the first frame is up
    model = view.search_box.completer().model()
    assert model.rowCount() == len(topology)


def test_labels_are_plain_text(canvas: Canvas, qtbot: QtBot) -> None:
    canvas.play_to("2026-11-26T02:45:00Z")
    view = canvas.view
    view.focus_component("tor-r03")
    qtbot.wait(80)
    names = view.visible_labels()
    assert "tor-r03" in names
    layer = view._names.layer
    assert layer.texts == names
    statics = [layer._static(text) for text in layer.texts]
    assert all(s.textFormat().name == "PlainText" for s in statics)


@pytest.mark.parametrize("count", [1, 2, 3, 7, 60])
def test_padded_hull_is_the_hull_of_the_padded_points(count: int) -> None:
    rng = np.random.default_rng(count)
    points = rng.random((count, 2)) * 10
    if count == 7:
        points[:, 1] = 2.0  # collinear members (a row of hosts)
    hull = padded_hull(points, 0.5)
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.column_stack((np.cos(angles), np.sin(angles))) * 0.5
    reference = convex_hull((points[:, None, :] + ring[None, :, :]).reshape(-1, 2))
    assert polygon_area(hull) == pytest.approx(polygon_area(reference))
    assert {tuple(v) for v in np.round(hull, 9)} == {tuple(v) for v in np.round(reference, 9)}


def test_a_hull_while_a_worker_imports_qhull_does_not_wait_for_it(monkeypatch) -> None:
    """The session imports scipy.spatial in a worker after a load; a domain hull needed
    meanwhile is made by the monotone chain (same polygon) instead of blocking the GUI
    thread on the import lock."""
    importing = types.ModuleType("scipy.spatial")
    importing.__spec__ = importlib.machinery.ModuleSpec("scipy.spatial", None)
    importing.__spec__._initializing = True  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "scipy.spatial", importing)  # no ConvexHull on it yet
    points = np.random.default_rng(5).random((40, 2)) * 10
    hull = padded_hull(points, 0.5)
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    ring = np.column_stack((np.cos(angles), np.sin(angles))) * 0.5
    reference = convex_hull((points[:, None, :] + ring[None, :, :]).reshape(-1, 2))
    assert {tuple(v) for v in np.round(hull, 9)} == {tuple(v) for v in np.round(reference, 9)}
