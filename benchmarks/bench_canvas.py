"""Topology canvas: repaint frame time at 10k and 100k nodes, and time to the first frame.

Budget (DESIGN.md 5): repaint 10k nodes >= 60 fps, 100k >= 15 fps; first frame
at 100k <= 1 s. Runs offscreen; prints figures, asserts nothing about time.

The estate is seeded: nodes on a jittered grid (stored positions), each
depending on ~3 near neighbours (short edges, as a laid-out topology has),
1% of them alerting (so the status overlays, badges and domain halos are
drawn too). Frames: a forced `viewport().repaint()` (a synchronous paint)
while the view is still (whole estate in view); a pan step or a zoom step
followed by one turn of the event loop, which paints the frame once (paints
per frame are counted and printed: a forced repaint after a pan would paint
twice, the queued scene update coming on top). Zoom steps change the scale:
during a continuous zoom the canvas paints a scaled preview of the picture
frozen at the zoom's second step, and renders the scene afresh once the zoom
rests (ZOOM_REST_MS later); "zoom rests" times that full render (every cached
layer drawn again at the new scale), the cost a one-off zoom step pays too.
"complete" is when the edges culled off the GUI thread, the search box's
names and the domain overlays left for after the first frame are in place.

    .venv/bin/python benchmarks/bench_canvas.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.topology import ZOOM_REST_MS, TopologyView
from core.engine import Engine
from core.graph.topology import Topology
from core.model import AlertEvent, Severity, Status

SEED = 5
KINDS = ("service", "database", "host", "switch", "cache", "gateway")


def grid_estate(nodes: int, seed: int = SEED) -> Topology:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(nodes)))
    index = np.arange(nodes)
    x = (index % side) + rng.random(nodes) * 0.4
    y = (index // side) + rng.random(nodes) * 0.4
    a = np.repeat(index, 3)
    offsets = rng.choice([1, side, side + 1, side - 1, 2], a.size)
    b = np.minimum(a + offsets, nodes - 1)
    ids = [f"c{i}" for i in range(nodes)]
    attrs: list[dict[str, object]] = [
        {"name": ids[i], "kind": KINDS[i % len(KINDS)], "x": float(x[i]), "y": float(y[i])}
        for i in range(nodes)
    ]
    return Topology.from_index_pairs(ids, attrs, a, b)


def alerts_for(topology: Topology, fraction: float, seed: int = SEED) -> list[AlertEvent]:
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(topology), max(1, int(len(topology) * fraction)), replace=False)
    severities = (Severity.CRITICAL, Severity.MAJOR, Severity.WARNING, Severity.INFO)
    events = []
    for k, node in enumerate(sorted(chosen.tolist())):
        events.append(
            AlertEvent(
                fingerprint=f"{node:016x}",
                labels={"alertname": "Down", "component": topology.ids[node]},
                annotations={},
                severity=severities[k % 4],
                status=Status.FIRING,
                starts_at=1_000.0 + k,
                ends_at=None,
                event_time=1_000.0 + k,
                generator_url="",
                origin="bench",
            )
        )
    return events


class PaintCounter(QObject):
    """Counts paint events on the canvas's viewport."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def frame_times(
    app: QApplication, view: TopologyView, frames: int, mode: str
) -> tuple[list[float], float]:
    """Frame times for `mode` ("still", "pan" or "zoom") and paints per frame."""
    viewport = view.canvas.viewport()
    counter = PaintCounter()
    viewport.installEventFilter(counter)
    times = []
    for i in range(frames):
        start = time.perf_counter()
        before = counter.paints
        if mode == "pan":
            view.pan(0.01 if i % 40 < 20 else -0.01, 0.0)
        elif mode == "zoom":
            view.zoom(1.02 if i % 2 else 1 / 1.02)
        else:
            viewport.repaint()
        app.processEvents()
        if counter.paints == before:  # nothing was painted yet: paint now
            viewport.repaint()
        times.append(time.perf_counter() - start)
    viewport.removeEventFilter(counter)
    return times, counter.paints / frames


def zoom_rest_times(app: QApplication, view: TopologyView, count: int) -> list[float]:
    """Time of the full render that follows a continuous zoom once it rests."""
    viewport = view.canvas.viewport()
    times = []
    for i in range(count):
        factor = 1.02 if i % 2 else 1 / 1.02
        view.zoom(factor)
        view.zoom(factor)
        app.processEvents()  # paints the preview
        time.sleep(ZOOM_REST_MS / 1000 + 0.01)
        start = time.perf_counter()
        app.processEvents()  # the rest timer ends the preview
        viewport.repaint()
        times.append(time.perf_counter() - start)
    return times


def report(label: str, measured: tuple[list[float], float]) -> None:
    times, paints = measured
    median = statistics.median(times)
    p99 = float(np.percentile(times, 99))
    print(
        f"    {label:<26} median {median * 1000:6.1f} ms ({1 / median:6.1f} fps)  "
        f"p99 {p99 * 1000:6.1f} ms  ({paints:.1f} paints/frame)"
    )


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    print("topology canvas, offscreen, 1600x1000 (stored positions, ~3 short edges per node)")
    with tempfile.TemporaryDirectory() as cache:
        for nodes, frames in ((10_000, 120), (100_000, 30)):
            topology = grid_estate(nodes)
            engine = Engine(topology)
            engine.apply(alerts_for(topology, 0.01))
            bridge = EngineBridge(engine)
            start = time.perf_counter()
            view = TopologyView(bridge, Theme("dark"), Selection(), layout_cache=Path(cache))
            view.resize(1600, 1000)
            view.show()
            while view.positions is None:
                app.processEvents()
                time.sleep(0.001)
            view.grab()
            first = time.perf_counter() - start
            while not view.is_complete():  # culled edges and search names come after
                app.processEvents()
                time.sleep(0.001)
            view.grab()
            complete = time.perf_counter() - start
            alerting = len(engine.active_alerts)
            print(f"  {nodes:>7} nodes, {topology.edge_count} edges, {alerting} alerting")
            print(f"    first frame (construct + positions + paint): {first * 1000:6.0f} ms")
            print(f"    complete (+ culled edges, search names, paint): {complete * 1000:6.0f} ms")
            view.fit()
            app.processEvents()
            frame_times(app, view, 5, "still")  # warm-up
            report("repaint, all in view", frame_times(app, view, frames, "still"))
            report("pan, all in view", frame_times(app, view, frames, "pan"))
            report("zoom steps, all in view", frame_times(app, view, frames, "zoom"))
            report("zoom rests (full render)", (zoom_rest_times(app, view, 9), 1.0))
            view.fit()
            view.zoom(4.0)
            app.processEvents()
            time.sleep(0.05)
            app.processEvents()
            report("pan, zoomed in x4", frame_times(app, view, frames, "pan"))
            view.close()
            view.deleteLater()
            app.processEvents()
    print("budget: 10k >= 60 fps, 100k >= 15 fps, first frame at 100k <= 1 s")


if __name__ == "__main__":
    main()
