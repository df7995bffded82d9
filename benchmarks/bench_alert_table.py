"""Alerts table at 1M rows: model set, sort and filter in the data layer, incremental update.

Budget (DESIGN.md 5): 1M rows sort/filter <= 300 ms; scrolling at frame rate.

Builds 1M alerts through the real engine (10k-node topology; 1% firing, the
rest resolved, as an alert history looks after a busy week), then prints
medians of RUNS runs:
- model set: AlertTableModel.reset_engine (columnar store built from the
  engine + first order) and QTableView.setModel + first frame (grab);
- sort by each kind of column (severity rank, interned text, time, number,
  fingerprint, a label column);
- filter by text (interned columns + label search), severity, status,
  domain, time range;
- frame times (median, p90) of a scrolled view: a full repaint, a page
  scroll forward + repaint (new rows, so new texts, every frame), and a
  mouse-wheel step (3 rows) delivered and painted, for a
  plain QTableView (Qt's delegate asks the model's `data()` for every role
  of every cell) and for the console's PaintedTableView (one model call per
  frame), measured in turns in the same run, without and with the console's
  stylesheet;
- an incremental update of 1,000 alerts while sorted.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_alert_table.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView

from benchmarks.bench_blast_radius import layered_dag
from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import Theme
from console.views.alert_model import AlertTableModel
from console.views.alert_store import AlertFilter
from console.views.alerts import AlertsView
from core.engine import Engine
from core.model import AlertEvent, Severity, Status

ROWS = 1_000_000
NODES = 10_000
FIRING_EVERY = 100
RUNS = 5
FRAMES = 40
NAMES = ("HighErrorRate", "HighLatencyP99", "TargetDown", "PodCrashLooping", "DiskPressure")


def alert_events(topology_ids: list[str], rows: int) -> list[AlertEvent]:
    events = []
    severities = list(Severity)
    for i in range(rows):
        component = topology_ids[(i * 7919) % len(topology_ids)]
        name = NAMES[i % len(NAMES)]
        labels = {
            "alertname": name,
            "service": component,
            "severity": severities[i % 4].label,
            "namespace": f"team-{i % 17}",
            "pod": f"{component}-{i % 997}",
        }
        firing = i % FIRING_EVERY == 0
        start = 1_700_000_000.0 + i * 0.5
        events.append(
            AlertEvent(
                fingerprint=f"{(i * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF:016x}",
                status=Status.FIRING if firing else Status.RESOLVED,
                labels=labels,
                annotations={"summary": f"{name} on {component} ({i % 50})"},
                starts_at=start,
                ends_at=None if firing else start + 300,
                event_time=start if firing else start + 300,
                severity=severities[i % 4],
            )
        )
    return events


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def wheel_step(table: QTableView) -> None:
    """One notch of the mouse wheel (3 rows down), delivered and painted."""
    viewport = table.viewport()
    at = QPointF(20, 20)
    event = QWheelEvent(
        at,
        viewport.mapToGlobal(at),
        QPoint(0, 0),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)
    QApplication.processEvents()


def compare_frames(views: dict[str, QTableView]) -> None:
    """Median frame times of each view, measured in turns so machine noise hits all alike.

    A full repaint shows rows painted before (texts cached); a page scroll
    forward shows new rows, so new texts, every frame; a wheel step scrolls
    3 rows (where Qt can move the pixels, only the new rows are painted).
    """
    kinds = ("full repaint", "page forward + repaint", "wheel step (3 rows)")
    times: dict[str, dict[str, list[float]]] = {k: {n: [] for n in views} for k in kinds}
    for _ in range(FRAMES):
        for name, table in views.items():
            started = time.perf_counter()
            table.viewport().repaint()
            times[kinds[0]][name].append((time.perf_counter() - started) * 1000)
            bar = table.verticalScrollBar()
            started = time.perf_counter()
            bar.setValue(bar.value() + bar.pageStep())
            table.viewport().repaint()
            times[kinds[1]][name].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            wheel_step(table)
            times[kinds[2]][name].append((time.perf_counter() - started) * 1000)
    baseline = next(iter(views))
    for kind in kinds:
        reference = statistics.median(times[kind][baseline])
        for name, values in times[kind].items():
            median = statistics.median(values)
            p90 = statistics.quantiles(values, n=10)[-1]
            ratio = "" if name == baseline else f"  ({reference / median:.1f}x faster)"
            print(f"  {kind:<23} {name:<35} {median:6.1f} / {p90:6.1f}{ratio}")


def main() -> None:
    app = QApplication.instance() or QApplication([])
    topology = layered_dag(NODES, 6, 3, seed=5)
    started = time.perf_counter()
    events = alert_events(topology.ids, ROWS)
    engine = Engine(topology)
    for offset in range(0, ROWS, 50_000):
        engine.apply(events[offset : offset + 50_000])
    print(
        f"built {len(engine.alerts):,} alerts through the engine in "
        f"{time.perf_counter() - started:.1f} s ({len(engine.domain_ids())} domains)"
    )

    theme = Theme("dark")
    model = AlertTableModel(Engine(topology), theme)
    print(
        f"model set (columnar store from engine + order), 1M: "
        f"{median_ms(lambda: model.reset_engine(engine), 3):.0f} ms"
    )
    view = QTableView()
    view.verticalHeader().setDefaultSectionSize(20)
    view.resize(1400, 900)
    started = time.perf_counter()
    view.setModel(model)
    view.show()
    app.processEvents()
    view.grab()
    print(f"setModel + first frame: {(time.perf_counter() - started) * 1000:.0f} ms")

    print("sort (median ms):")
    for column, descending in (
        ("severity", True),
        ("alertname", False),
        ("summary", False),
        ("component", False),
        ("starts", True),
        ("repeats", True),
        ("fingerprint", False),
        ("domain", False),
    ):

        def sort(c: str = column, d: bool = descending) -> None:
            model.set_sort(c, d)

        ms = median_ms(sort)
        print(f"  {column:<12} {ms:7.0f}")
    model.set_label_columns(["pod"])
    label_ms = median_ms(lambda: model.set_sort("label:pod", False))
    print(f"  {'label:pod':<12} {label_ms:7.0f}  (label column built on first use)")

    model.set_sort("severity", True)
    domain = engine.domain_ids()[0] if engine.domain_ids() else None
    print("filter, sorted by severity (median ms):")
    filters = {
        "text 'latency' (name)": AlertFilter(text="latency"),
        "text 'team-3' (labels)": AlertFilter(text="team-3"),
        "text 'zzz' (no match)": AlertFilter(text="zzz"),
        "severity critical": AlertFilter(severities=frozenset({Severity.CRITICAL})),
        "status firing": AlertFilter(status="firing"),
        "domain": AlertFilter(domain=domain),
        "component": AlertFilter(component=topology.ids[42]),
        "time range 1 h": AlertFilter(time_range=(1_700_100_000.0, 1_700_103_600.0)),
    }
    for name, spec in filters.items():
        times = []
        for _ in range(RUNS):
            model.set_filter(AlertFilter())
            started = time.perf_counter()
            model.set_filter(spec)
            times.append((time.perf_counter() - started) * 1000)
        print(f"  {name:<24} {statistics.median(times):7.0f}   -> {model.rowCount():,} rows")
    model.set_filter(AlertFilter())

    # After: the console's alerts view (PaintedTableView). Before: a QTableView set up
    # as the alerts view had it (same widths, row height, selection), over an equal model.
    bridge = EngineBridge(engine)
    alerts = AlertsView(bridge, theme, Selection())
    alerts.resize(1400, 960)
    alerts.show()
    app.processEvents()
    painted = alerts.table
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(painted.rowHeight(0))
    for section in range(model.columnCount()):
        view.setColumnWidth(section, painted.columnWidth(section))
        view.setColumnHidden(section, painted.isColumnHidden(section))
    view.resize(painted.size())
    for table, row in ((view, 300_000), (painted, 600_000)):
        table.scrollTo(table.model().index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        table.selectRow(row + 10)
    app.processEvents()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"frames of a 1M-row alerts table, {painted.viewport().width()}x"
        f"{painted.viewport().height()} px, {len(painted.visible_rows())} rows, {FRAMES} each, "
        f"in turns (median / p90 ms; load {load}):"
    )
    before, after = "before: QTableView (cell delegate)", "after: PaintedTableView"
    compare_frames({before: view, after: painted})
    print("  ... with the console's stylesheet applied (as in the window):")
    theme.apply(app)  # type: ignore[arg-type]
    app.processEvents()
    compare_frames({before: view, after: painted})
    app.setStyleSheet("")  # type: ignore[attr-defined]

    updates = [
        AlertEvent(
            fingerprint=e.fingerprint,
            status=Status.FIRING,
            labels=e.labels,
            annotations=e.annotations,
            starts_at=e.starts_at,
            ends_at=None,
            event_time=1_700_600_000.0 + i,
            severity=e.severity,
        )
        for i, e in enumerate(events[1 : ROWS : ROWS // 1000])
    ]
    started = time.perf_counter()
    delta = engine.apply(updates)
    model.alerts_changed(delta.alerts_added + delta.alerts_updated + delta.alerts_resolved)
    print(
        f"incremental update of {len(updates):,} alerts while sorted: "
        f"{(time.perf_counter() - started) * 1000:.0f} ms (engine apply included)"
    )
    del alerts, bridge


if __name__ == "__main__":
    main()
