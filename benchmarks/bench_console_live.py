"""The whole console while a replay plays 5,000 alert events/s into a 10k-node topology.

Budget (DESIGN.md 5): median frame <= 16 ms, p99 <= 50 ms; alert-to-pixel
p99 <= 250 ms.

Builds a seeded 10k-node layered dependency DAG (6 tiers, 3 dependencies a
component) and a replay of Alertmanager webhook records (one alert each):
background noise on random components (new firings, re-sends, resolves,
~1,000 alerts firing in steady state) plus a few overlapping incidents, each
a low-tier component and a growing part of what depends on it alerting, then
resolving. Both are written to a temporary directory and opened the way the
operator does (`Session.open`), into the real `MainWindow` (all views docked
as in the app, shown offscreen), then played at recorded speed: records are
0.2 ms of event time apart, so 5,000 events/s of wall time, for SECONDS.

What is measured (wall clock, `time.perf_counter`, on the GUI thread):
- *loop turn*: a 0 ms QTimer heartbeat stamps every turn of the event loop;
  the gap between two stamps is how long the GUI thread was busy with
  whatever ran in between (a replay tick with its engine apply, a bridge
  flush with every view's update, a repaint of the window, a trends
  redraw). Idle turns are ~0.05 ms, so the figures are given over *busy*
  turns (>= 1 ms, the frames that do work) and as p99/max over all turns;
  a turn over 16.7 ms is a frame the screen could not show on time.
- *repaint*: an event filter on the main window sees each UpdateRequest
  (the backing-store sync that paints every dirty widget); a 0 ms single
  shot posted from there stamps when that sync ended.
- *alert to model*: `Engine.apply` is wrapped to stamp, per fingerprint, when
  its event entered the engine; a slot connected to `sig_alerts_changed`
  after every view (so it runs after the alerts table model and the canvas
  took the delta) stamps when the alerts model exposes the row and the
  canvas recoloured the node.
- *alert to pixel*: from the same entry stamp to the end of the next repaint
  of the window that painted the alerts table's viewport (or the canvas, for
  the node colour) after that.
- *full-window grab*: `window.grab()` (a complete repaint of every dock into
  a pixmap) at the final state, median of GRABS.

- *CPU*: the GUI thread's CPU time (`time.thread_time`) in its busy turns,
  against their wall time (the rest of a busy turn it waited: for the GIL,
  or for a core other processes had); and the CPU the process's other
  threads took (domain views, layout), which hold the GIL meanwhile.
- *garbage collection*: every cyclic collection on any thread (gc.callbacks),
  by generation: how many and how long (each one stops the GUI thread).

The console's collector policy (console/gc_policy.py) is installed as the
app installs it; `--no-gc-policy` measures CPython's default instead.
`--history` records the session into a history in the temporary directory, as
the app does by default (its writer process, and the console's thread that
sends to it); without it nothing is recorded.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_console_live.py \
        [seconds] [--no-gc-policy] [--history]
"""

from __future__ import annotations

import gc
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks.bench_blast_radius import layered_dag
from benchmarks.bench_engine import webhook_line
from console import gc_policy
from console.bridge import EngineBridge
from console.history_link import HistoryLink, HistorySettings, install_history
from console.main_window import MainWindow
from console.replay_source import ReplaySource
from console.selection import Selection
from console.session import Session
from console.shell import theme_from_settings
from console.status_bar import StatusBar
from console.views.alert_model import AlertTableModel
from console.views.alerts import AlertsView
from console.views.details import DetailsView
from console.views.incidents import IncidentsView
from console.views.records import UnmappedView
from console.views.replay_bar import ReplayBar
from console.views.shift import ShiftView
from console.views.topology import TopologyView
from console.views.trends import TrendsView
from core.engine import Engine, EngineDelta
from core.graph.loaders import save_node_link
from core.graph.topology import Topology
from core.ingest.fingerprint import alertmanager_fingerprint
from core.model import AlertEvent, Rejected

NODES = 10_000
TIERS = 6
FAN = 3
SEED = 23
RATE = 5_000  # alert events per second of wall time
SECONDS = 20.0
SPACING = 1.0 / RATE  # event time between records; played at 1x
BASE = 1_790_000_000.0
DISTINCT_BACKGROUND = 30_000
FIRING_TARGET = 1_000
INCIDENTS = 4
INCIDENT_SIZE = 150  # alerting components at an incident's peak
GRABS = 5
NAMES = ("HighErrorRate", "HighLatencyP99", "TargetDown", "PodCrashLooping", "DiskPressure")
SEVERITIES = ("critical", "major", "warning", "info")


# -- the stream -------------------------------------------------------------------


def _dependents_closure(topology: Topology, root: int, limit: int) -> list[int]:
    """What depends on `root`, nearest first (BFS over dependents), at most `limit`."""
    seen = {root}
    order = [root]
    for node in order:
        for other in topology.dependents[node]:
            if other not in seen:
                seen.add(other)
                order.append(other)
                if len(order) >= limit:
                    return order
    return order


def _labels(name: str, component: str, severity: str, extra: str) -> dict[str, str]:
    return {
        "alertname": name,
        "service": component,
        "severity": severity,
        "cluster": "prod-eu",
        "namespace": extra,
    }


def live_stream(topology: Topology, records: int, seed: int) -> list[bytes]:
    """Webhook lines: background noise plus INCIDENTS overlapping incidents.

    Background: DISTINCT_BACKGROUND label sets on random components; below
    FIRING_TARGET firing alerts new firings dominate, above it new firings
    and resolves balance; ~65% of records re-send a firing alert. Incidents
    start at staggered times, grow from their root through its dependents
    (up to INCIDENT_SIZE alerting components), are re-sent while open and resolve
    over their last fifth.
    """
    rng = random.Random(seed)
    n = len(topology)
    pool = []
    for i in range(DISTINCT_BACKGROUND):
        component = topology.ids[rng.randrange(n)]
        labels = _labels(NAMES[i % len(NAMES)], component, rng.choice(SEVERITIES), f"team-{i % 17}")
        pool.append((labels, alertmanager_fingerprint(labels)))
    size = n // TIERS
    incidents = []
    for k in range(INCIDENTS):
        root = rng.randrange(size * (k % 2), size * (k % 2 + 1))  # tier 0 or 1
        members = _dependents_closure(topology, root, INCIDENT_SIZE)
        begin = int(records * (0.05 + 0.2 * k))
        end = min(records, begin + int(records * 0.55))
        alerts = []
        for m in members:
            labels = _labels("ServiceDown", topology.ids[m], "critical", f"incident-{k}")
            alerts.append((labels, alertmanager_fingerprint(labels)))
        incidents.append((begin, end, alerts))

    firing: dict[int, float] = {}  # background pool index -> startsAt
    incident_firing: dict[tuple[int, int], float] = {}
    lines = []
    for r in range(records):
        now = BASE + r * SPACING
        active = [(k, inc) for k, inc in enumerate(incidents) if inc[0] <= r < inc[1]]
        if active and rng.random() < 0.35:
            k, (begin, end, alerts) = rng.choice(active)
            progress = (r - begin) / (end - begin)
            if progress < 0.8:  # growing: more of the closure alerts over time
                reach = max(1, int(len(alerts) * min(1.0, progress / 0.5)))
                index = rng.randrange(reach)
                starts = incident_firing.setdefault((k, index), now)
                labels, fingerprint = alerts[index]
                lines.append(webhook_line(labels, fingerprint, "firing", starts, None))
            else:  # recovering: resolve what is firing, re-send the rest
                open_ = [key for key in incident_firing if key[0] == k] or [(k, 0)]
                key = rng.choice(open_)
                incident_firing.setdefault(key, now)
                labels, fingerprint = alerts[key[1]]
                if rng.random() < 0.5:
                    starts = incident_firing.pop(key)
                    lines.append(webhook_line(labels, fingerprint, "resolved", starts, now))
                else:
                    lines.append(
                        webhook_line(labels, fingerprint, "firing", incident_firing[key], None)
                    )
            continue
        roll = rng.random()
        new_share = 0.30 if len(firing) < FIRING_TARGET else 0.175
        resolve_share = 0.05 if len(firing) < FIRING_TARGET else 0.175
        if firing and roll < 1 - new_share - resolve_share:
            index = rng.choice(list(firing)) if r % 32 == 0 else next(iter(firing))
            status, starts, ends = "firing", firing.pop(index), None
            firing[index] = starts  # re-sent: to the back of the queue
        elif firing and roll < 1 - new_share:
            index = next(iter(firing))
            status, starts, ends = "resolved", firing.pop(index), now
        else:
            index = rng.randrange(DISTINCT_BACKGROUND)
            starts = firing.setdefault(index, now)
            status, ends = "firing", None
        labels, fingerprint = pool[index]
        lines.append(webhook_line(labels, fingerprint, status, starts, ends))
    return lines


# -- instruments ------------------------------------------------------------------


class Heartbeat(QObject):
    """A 0 ms timer: the gaps between its firings are the event loop's turns."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[float] = []
        self.cpu_stamps: list[float] = []  # the GUI thread's CPU time at each stamp
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._stamp)

    def _stamp(self) -> None:
        self.stamps.append(time.perf_counter())
        self.cpu_stamps.append(time.thread_time())

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def turns_ms(self) -> list[float]:
        s = self.stamps
        return [(b - a) * 1000 for a, b in itertools.pairwise(s)]

    def busy_cpu_ms(self) -> float:
        """The GUI thread's CPU time in busy turns (>= 1 ms of wall)."""
        walls = self.turns_ms()
        cpus = [(b - a) * 1000 for a, b in itertools.pairwise(self.cpu_stamps)]
        return sum(cpu for wall, cpu in zip(walls, cpus, strict=True) if wall >= 1.0)


class PaintWatch(QObject):
    """Stamps the end of each window repaint and which watched viewports it painted."""

    def __init__(self, window: MainWindow, watched: dict[str, QObject]) -> None:
        super().__init__()
        self.window = window
        self.watched = {id(obj): name for name, obj in watched.items()}
        self.repaints_ms: list[float] = []
        self._started: float | None = None
        self._painted: set[str] = set()
        self.listeners: list[Any] = []  # called with (end time, painted names)
        window.installEventFilter(self)
        for obj in watched.values():
            obj.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.UpdateRequest and obj is self.window and self._started is None:
            self._started = time.perf_counter()
            QTimer.singleShot(0, self._ended)
        elif kind == QEvent.Type.Paint and id(obj) in self.watched:
            self._painted.add(self.watched[id(obj)])
        return False

    def _ended(self) -> None:
        now = time.perf_counter()
        if self._started is not None:
            self.repaints_ms.append((now - self._started) * 1000)
        self._started = None
        painted, self._painted = self._painted, set()
        for listener in self.listeners:
            listener(now, painted)


class Latency:
    """Entry stamps per fingerprint, resolved when the model has it and when it is painted."""

    def __init__(self) -> None:
        self.entered: dict[str, float] = {}
        self.to_model_ms: list[float] = []
        self.to_table_pixel_ms: list[float] = []
        self.to_canvas_pixel_ms: list[float] = []
        self._awaiting_table: list[float] = []
        self._awaiting_canvas: list[float] = []
        self.active = False

    def install(self) -> None:
        original = Engine.apply

        def apply(engine: Engine, batch: Iterable[AlertEvent | Rejected]) -> EngineDelta:
            items = list(batch)
            if self.active:
                now = time.perf_counter()
                entered = self.entered
                for item in items:
                    if isinstance(item, AlertEvent) and item.fingerprint not in entered:
                        entered[item.fingerprint] = now
            return original(engine, items)

        Engine.apply = apply  # type: ignore[method-assign,assignment]

    def alerts_changed(
        self, added: Sequence[str], updated: Sequence[str], resolved: Sequence[str]
    ) -> None:
        now = time.perf_counter()
        entered = self.entered
        for group in (added, updated, resolved):
            for fingerprint in group:
                started = entered.pop(fingerprint, None)
                if started is not None:
                    self.to_model_ms.append((now - started) * 1000)
                    self._awaiting_table.append(started)
                    self._awaiting_canvas.append(started)

    def painted(self, now: float, names: set[str]) -> None:
        if "alerts" in names and self._awaiting_table:
            self.to_table_pixel_ms.extend((now - t) * 1000 for t in self._awaiting_table)
            self._awaiting_table = []
        if "canvas" in names and self._awaiting_canvas:
            self.to_canvas_pixel_ms.extend((now - t) * 1000 for t in self._awaiting_canvas)
            self._awaiting_canvas = []


class Attribution:
    """Wall time spent in the slots that follow the stream, per slot (patched before wiring)."""

    def __init__(self, targets: Sequence[tuple[type, str]]) -> None:
        self.totals: dict[str, list[float]] = {}
        self.active = False
        for cls, name in targets:
            self._wrap(cls, name)

    def _wrap(self, cls: type, name: str) -> None:
        original = getattr(cls, name)
        key = f"{cls.__name__}.{name}"
        totals = self.totals.setdefault(key, [])

        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.active:
                return original(*args, **kwargs)
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                totals.append((time.perf_counter() - t0) * 1000)

        setattr(cls, name, timed)

    def report(self, wall: float) -> None:
        rows = sorted(self.totals.items(), key=lambda kv: -sum(kv[1]))
        for key, values in rows:
            if values:
                print(
                    f"  {key:<40} {sum(values) / wall / 10:5.1f}% of wall  "
                    f"median {statistics.median(values):6.1f}  max {max(values):7.1f} ms"
                    f"  (n={len(values):,})"
                )


def _pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def _line(what: str, values: Sequence[float]) -> str:
    if not values:
        return f"  {what:<40} (none)"
    return (
        f"  {what:<40} median {statistics.median(values):7.1f}  p99 {_pct(values, 99):7.1f}"
        f"  max {max(values):7.1f} ms  (n={len(values):,})"
    )


def _wait(app: QApplication, done: Any, timeout: float) -> None:
    """Run the event loop as the console does (`exec`, sleeping only when there is
    nothing to do) until `done()`; a loop of processEvents() and sleeps would
    hold every timer and posted event back for the sleep and run them in one
    turn, which the console's own loop never does."""
    deadline = time.perf_counter() + timeout
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    check.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > deadline else None)
    check.start()
    if not done():
        loop.exec()
    check.stop()
    if not done():
        raise TimeoutError("gave up waiting")


class GcWatch:
    """Durations of the cyclic collector's runs, by generation (while active)."""

    def __init__(self) -> None:
        self.active = False
        self.pauses_ms: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        gc.callbacks.append(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self.active:
            self.pauses_ms[info["generation"]].append((time.perf_counter() - self._started) * 1000)

    def report(self) -> None:
        for generation, pauses in self.pauses_ms.items():
            if pauses:
                print(
                    f"  generation {generation}: {len(pauses):4d} collections, total "
                    f"{sum(pauses):7.1f}  median {statistics.median(pauses):6.1f}  "
                    f"max {max(pauses):7.1f} ms"
                )
            else:
                print(f"  generation {generation}: no collections")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    policy = "--no-gc-policy" not in sys.argv[1:]
    recording = "--history" in sys.argv[1:]
    seconds = float(args[0]) if args else SECONDS
    records = int(RATE * seconds)
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    work = Path(tempfile.mkdtemp(prefix="bench_console_live_"))
    topology = layered_dag(NODES, TIERS, FAN, SEED)
    started = time.perf_counter()
    lines = live_stream(topology, records, SEED)
    topology_path, replay_path = work / "topology.json", work / "alerts.ndjson"
    save_node_link(topology, topology_path)
    replay_path.write_bytes(b"\n".join(lines) + b"\n")
    print(
        f"{len(topology):,} nodes, {topology.edge_count:,} edges; {len(lines):,} records "
        f"({records / seconds:,.0f}/s for {seconds:g} s) written in "
        f"{time.perf_counter() - started:.1f} s"
    )

    attribution = Attribution(
        [
            (ReplaySource, "_tick"),
            (EngineBridge, "flush"),
            (TopologyView, "_on_alerts_changed"),
            (TopologyView, "_on_domains_changed"),
            (TopologyView, "_refresh_domains"),
            (AlertsView, "_alerts_changed"),
            (AlertsView, "_domains_changed"),
            (AlertTableModel, "clock_changed"),
            (IncidentsView, "_domains_changed"),
            (IncidentsView, "_clock_changed"),
            (TrendsView, "_on_alerts_changed"),
            (TrendsView, "_on_clock"),
            (TrendsView, "refresh"),
            (DetailsView, "refresh"),
            (UnmappedView, "_alerts_changed"),
            (StatusBar, "_time_changed"),
            (ReplayBar, "_time_changed"),
            (HistoryLink, "_catch_up"),
            (ShiftView, "refresh"),
            (ShiftView, "_show"),
        ]
    )
    settings = QSettings(str(work / "watchfloor.ini"), QSettings.Format.IniFormat)
    session = Session()
    if policy:  # as console/shell.py does
        gc_policy.install(session.bridge)
    window = MainWindow(session, theme_from_settings(settings), Selection(), settings)
    link = None
    if recording:  # as console/shell.py does
        link = install_history(window, session, HistorySettings(work / "history.sqlite"))
    window.show()
    canvas_view = window.views["topology"]
    alerts_view = window.views["alerts"]
    assert isinstance(canvas_view, TopologyView) and isinstance(alerts_view, AlertsView)
    loaded: list[bool] = []
    session.sig_loaded.connect(lambda: loaded.append(True))
    started = time.perf_counter()
    session.open(topology_path, replay_path, speed=1.0, autoplay=False)
    _wait(app, lambda: bool(loaded), 120)
    _wait(app, lambda: canvas_view.positions is not None, 120)
    for _ in range(20):
        app.processEvents()
    print(f"loaded topology + replay and laid out in {time.perf_counter() - started:.1f} s")

    latency = Latency()
    latency.install()
    session.bridge.sig_alerts_changed.connect(latency.alerts_changed)  # after every view
    watched: dict[str, QObject] = {
        "alerts": alerts_view.table.viewport(),
        "canvas": canvas_view.canvas.viewport(),
    }
    paints = PaintWatch(window, watched)
    paints.listeners.append(latency.painted)
    heartbeat = Heartbeat()
    collections = GcWatch()

    replay = session.replay
    assert replay is not None
    latency.active = attribution.active = collections.active = True
    heartbeat.start()
    started = time.perf_counter()
    cpu_started, process_started = time.thread_time(), time.process_time()
    replay.play()
    try:
        _wait(app, lambda: replay.player.finished, seconds * 3 + 10)
    except TimeoutError:
        replay.pause()
        print(f"NOT KEEPING UP: stopped after {time.perf_counter() - started:.0f} s")
    wall = time.perf_counter() - started
    cpu, process_cpu = time.thread_time() - cpu_started, time.process_time() - process_started
    settle = QEventLoop()  # let the last flush and repaint land
    QTimer.singleShot(150, settle.quit)
    settle.exec()
    heartbeat.stop()
    latency.active = attribution.active = collections.active = False
    engine = session.bridge.engine

    turns = heartbeat.turns_ms()
    busy = [t for t in turns if t >= 1.0]
    print(
        f"played {replay.player.applied:,} observations in {wall:.1f} s "
        f"({replay.player.applied / wall:,.0f}/s); {len(engine.alerts):,} alerts known, "
        f"{len(engine.active_alerts):,} firing, {len(engine.domain_ids()):,} open domains, "
        f"{alerts_view.model.rowCount():,} table rows"
    )
    print("frames (ms):")
    print(_line("loop turn, busy turns (>= 1 ms)", busy))
    print(
        f"  {'loop turn, all turns':<40} p99 {_pct(turns, 99):7.1f}  max {max(turns):7.1f} ms"
        f"  (n={len(turns):,}; {sum(t > 1000 / 60 for t in turns):,} over 16.7 ms, "
        f"{sum(t > 50 for t in turns):,} over 50 ms)"
    )
    print(f"  GUI thread busy {sum(busy) / (wall * 1000):.0%} of the wall time (turns >= 1 ms)")
    busy_cpu = heartbeat.busy_cpu_ms()
    print(
        f"  GUI thread CPU in busy turns {busy_cpu / 1000:.2f} s of their {sum(busy) / 1000:.2f} s"
        f" ({busy_cpu / max(sum(busy), 1e-9):.0%}; the rest waited for the GIL or a core);"
        f" other threads CPU {process_cpu - cpu:.2f} s"
    )
    print(_line("window repaint (UpdateRequest sync)", paints.repaints_ms))
    print("alert latency (ms):")
    print(_line("engine entry -> alerts model + canvas", latency.to_model_ms))
    print(_line("engine entry -> alerts table painted", latency.to_table_pixel_ms))
    print(_line("engine entry -> canvas painted", latency.to_canvas_pixel_ms))
    print("where the GUI thread went (slots; flush includes the view slots it emits to):")
    attribution.report(wall)
    print(
        f"garbage collection (policy: {'console/gc_policy.py' if policy else 'CPython default'},"
        f" thresholds {gc.get_threshold()}, {gc.get_freeze_count():,} objects frozen):"
    )
    collections.report()
    grabs = []
    for _ in range(GRABS):
        t0 = time.perf_counter()
        window.grab()
        grabs.append((time.perf_counter() - t0) * 1000)
    print(f"full-window grab at the final state: median {statistics.median(grabs):.1f} ms")
    print("budget (DESIGN.md 5): median frame <= 16 ms, p99 <= 50 ms; alert-to-pixel p99 <= 250 ms")
    if link is not None and link.writer is not None:
        flushed = link.writer.flush(timeout=120.0)
        print(
            f"history: {link.writer.committed_items:,} items recorded"
            f" ({'everything' if flushed else 'NOT everything'} committed)"
        )
        link.writer.close()
    window.close()


if __name__ == "__main__":
    main()
