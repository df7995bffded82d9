"""Trends: alerts firing per minute by severity, open failure domains, ingest rate.

Series live in preallocated numpy buffers of one row per minute of event
time (`MinuteSeries`), drawn with peak downsampling and clipping to the view
(STYLE.md: pyqtgraph `scrollingPlots`), scrolling with the replay clock.

Where the numbers come from:
- *alerts firing*, per minute and severity: how many alert episodes were
  firing at some point in that minute (capped at the clock). Computed from
  episode intervals (`starts_at`, `ends_at`) kept per fingerprint, so after a
  seek the series is rebuilt from the engine's alerts up to the new clock,
  keeping earlier episodes of re-fired alerts that the view saw (the engine
  keeps only an alert's current episode);
- *open domains*: the most open at any clock tick within the minute;
- *ingest*: events (and rejects) applied per second, averaged over the minute.
Both sampled series are cut at the clock on a backwards seek.

Minutes before this session come from the history (`set_counts_source`: any
`core.history.counts.CountsReader`, the embedded SQLite store or InfluxDB):
up to `HISTORY_LOOKBACK_S` before the first minute the session itself
covers, alerts firing per minute are drawn from the store (open domains and
ingest are unknown there and left blank).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPen
from PySide6.QtWidgets import QGraphicsItem, QLabel, QVBoxLayout, QWidget

from console.background import Background
from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_SYMBOLS, Theme
from core.engine import AlertState, Engine
from core.history.counts import CountsReader, MinuteCounts
from core.model import Severity, format_time

SEVERITIES: tuple[Severity, ...] = (
    Severity.CRITICAL,
    Severity.MAJOR,
    Severity.WARNING,
    Severity.INFO,
)
LINE_STYLES: dict[Severity, Qt.PenStyle] = {
    Severity.CRITICAL: Qt.PenStyle.SolidLine,
    Severity.MAJOR: Qt.PenStyle.DashLine,
    Severity.WARNING: Qt.PenStyle.DotLine,
    Severity.INFO: Qt.PenStyle.DashDotLine,
}
"""A line style per severity, so curves differ without colour."""
COLUMN: dict[Severity, int] = {s: k for k, s in enumerate(SEVERITIES)}
MARKERS: dict[Severity, str] = {**SEVERITY_SYMBOLS, Severity.INFO: "x"}
"""Theme markers, with info made distinct from warning (both are 'o' in the theme)."""
CAPACITY = 7 * 24 * 60
"""Minutes kept (a week); older minutes scroll out."""
WINDOW_S = 60 * 60.0
"""Visible span while following the clock."""
REDRAW_MS = 1000
"""Redraws coalesce to 1/s while alerts stream in: the series are per minute (a redraw
and its repaint cost up to ~20 ms, and four a second moved nothing a minute-wide
point could show)."""
TALL_PLOT_PX = 90
"""A plot shorter than this labels one y value, half its range (see TrendsView._y_ticks)."""
HISTORY_LOOKBACK_S = 24 * 60 * 60.0
"""How far before the session the history fills the alerts-firing series."""

FloatArray = npt.NDArray[np.float64]


class MinuteSeries:
    """Preallocated per-minute buffers: firing by severity, open domains, events.

    Row r holds minute `first + r` (minutes since the epoch). When a minute
    beyond the capacity arrives the window slides (oldest rows drop out);
    nothing is allocated per update.
    """

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.time = np.zeros(capacity, dtype=np.float64)
        self.firing = np.zeros((capacity, len(SEVERITIES)), dtype=np.float64)
        self.domains = np.full(capacity, np.nan)
        self.events = np.full(capacity, np.nan)
        self.first: int | None = None
        self.length = 0

    def clear(self) -> None:
        self.first = None
        self.length = 0
        self.firing[:] = 0
        self.domains[:] = np.nan
        self.events[:] = np.nan

    def cover(self, low: int, high: int) -> None:
        """Make rows exist for minutes low..high (the newest minutes win if too many)."""
        low = max(low, high - self.capacity + 1)
        if self.first is None:
            self.first, self.length = low, high - low + 1
            self._stamp()
            return
        if low < self.first:  # grow backwards: shift rows right
            shift = min(self.first - low, self.capacity)
            keep = max(0, min(self.length, self.capacity - shift))
            for array in (self.firing, self.domains, self.events):
                array[shift : shift + keep] = array[:keep].copy()
                array[:shift] = 0 if array is self.firing else np.nan
            self.first -= shift
            self.length = keep + shift
        last = self.first + self.length - 1
        if high > last:
            needed = high - self.first + 1
            if needed > self.capacity:  # slide: drop the oldest rows
                drop = needed - self.capacity
                for array in (self.firing, self.domains, self.events):
                    array[: self.capacity - drop] = array[drop:].copy()
                    array[self.capacity - drop :] = 0 if array is self.firing else np.nan
                self.first += drop
                needed = self.capacity
            self.length = needed
        self._stamp()

    def truncate(self, last: int) -> None:
        """Forget minutes after `last` (a backwards seek)."""
        if self.first is None:
            return
        keep = max(0, min(self.length, last - self.first + 1))
        for array in (self.firing, self.domains, self.events):
            array[keep:] = 0 if array is self.firing else np.nan
        self.length = keep
        if keep == 0:
            self.first = None

    def row(self, minute: int) -> int | None:
        if self.first is None or not 0 <= minute - self.first < self.length:
            return None
        return minute - self.first

    def _stamp(self) -> None:
        assert self.first is not None
        self.time[: self.length] = (self.first + np.arange(self.length)) * 60.0


class TrendsView(QWidget):
    """Three stacked, time-linked plots following the replay clock."""

    sig_readout_changed = Signal(str)
    """The hover read-out text changed (value under the cursor)."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.theme = theme
        self.selection = selection
        self.series = MinuteSeries()
        # fingerprint -> episodes [episode number, severity, start, end (nan: open)]
        self._episodes: dict[str, list[list[float]]] = {}
        # Running firing counts: settled episodes (start and end at or before the
        # clock, which only moves forward between resets) are added once to a
        # per-minute difference array; the rest (open, or ending after the clock)
        # are pending and counted up to the clock on each recompute.
        self._settled: dict[int, FloatArray] = {}  # minute -> +/- per severity column
        self._settled_keys: dict[tuple[str, int], list[float]] = {}
        self._pending: dict[tuple[str, int], list[float]] = {}
        self._pending_keys: list[tuple[str, int]] = []  # rows of _pending_array()
        self._min_start = math.inf
        self._clock: float | None = None
        self._last_events = 0
        self._following = True
        self._shown: dict[int, tuple[FloatArray, FloatArray]] = {}  # curve -> points it shows
        self._region: pg.LinearRegionItem | None = None
        self._updating_region = False
        # Minutes before the session, from the history (see set_counts_source).
        self._counts_source: Callable[[], CountsReader | None] | None = None
        self._counts_background: Background | None = None
        self._history: MinuteCounts | None = None
        self._history_end: int | None = None  # first minute the session covers itself
        self._history_loading = False

        self._build()
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self.refresh)
        bridge.sig_engine_reset.connect(self._on_engine_reset)
        bridge.sig_alerts_changed.connect(self._on_alerts_changed)
        bridge.sig_clock_changed.connect(self._on_clock)
        selection.sig_time_range_changed.connect(self._on_time_range)
        theme.sig_changed.connect(self._apply_theme)
        self._apply_theme()
        self._on_engine_reset(bridge.engine)

    # -- construction ------------------------------------------------------

    def _build(self) -> None:
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.plots: list[pg.PlotItem] = []
        self._y_tick_keys: dict[int, tuple[float, bool]] = {}  # plot -> (ceiling, tall) labelled
        titles = ("Alerts firing per minute", "Open failure domains", "Ingest (events/s)")
        for row, title in enumerate(titles):
            axis = pg.DateAxisItem(orientation="bottom", utcOffset=0)
            plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": axis})
            plot.setTitle(title)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.enableAutoRange(axis="y")
            plot.setAutoVisible(y=True)
            plot.vb.sigRangeChangedManually.connect(self._stop_following)
            for name in ("left", "bottom"):
                # An axis draws its grid across the whole plot, so every new point
                # of a curve repaints it: keep its pixels until its range changes.
                plot.getAxis(name).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            if self.plots:
                plot.setXLink(self.plots[0])
            self.plots.append(plot)
        legend = self.plots[0].addLegend(offset=(8, 4), colCount=4)
        self.firing_curves: dict[Severity, pg.PlotDataItem] = {}
        for severity in SEVERITIES:
            curve = self.plots[0].plot(name=severity.label, symbol=MARKERS[severity], symbolSize=6)
            self.firing_curves[severity] = curve
        self._legend = legend
        self.domain_curve = self.plots[1].plot(symbol="s", symbolSize=5)
        self.ingest_curve = self.plots[2].plot()
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setAccessibleName("Trend read-out")
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.graphics, 1)
        box.addWidget(self.readout)

    def _apply_theme(self) -> None:
        theme = self.theme
        self.graphics.setBackground(theme.color("background"))
        text = theme.color("text")
        for plot in self.plots:
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(theme.color("border"))
                axis.setTextPen(text)
            plot.titleLabel.setAttr("color", text)
            plot.setTitle(plot.titleLabel.text)
        for severity, curve in self.firing_curves.items():
            colour = theme.severity_color(severity)
            pen = QPen(colour)
            pen.setCosmetic(True)
            pen.setWidthF(2.0)
            pen.setStyle(LINE_STYLES[severity])
            curve.setPen(pen)
            curve.setSymbolBrush(colour)
            curve.setSymbolPen(text)
        self._legend.setLabelTextColor(text)
        accent = QPen(theme.color("accent"))
        accent.setCosmetic(True)
        accent.setWidthF(2.0)
        self.domain_curve.setPen(accent)
        self.domain_curve.setSymbolBrush(theme.color("accent"))
        self.domain_curve.setSymbolPen(text)
        muted = QPen(theme.color("text_muted"))
        muted.setCosmetic(True)
        muted.setWidthF(1.5)
        self.ingest_curve.setPen(muted)
        self.readout.setFont(theme.font(0.9))
        if self._region is not None:
            self._style_region(self._region)

    # -- engine ------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        return self.bridge.engine

    def _on_engine_reset(self, engine: Engine) -> None:
        """A seek or a new source: rebuild the series as of the engine's clock."""
        clock = engine.clock
        series = self.series
        if clock is None:
            series.clear()
            self._episodes = {}
            self._clock = None
            self._index_episodes()
            self._last_events = engine.events_total + engine.rejected_total
            self.refresh()
            return
        minute = _minute(clock)
        # Sampled history is kept when it reaches the minute before the clock's.
        covered = (
            series.first is not None
            and series.first <= minute
            and series.first + series.length >= minute
        )
        series.truncate(minute - 1)
        # Episodes: the engine's current one for every alert it knows at this
        # time, plus earlier episodes of the same alert the view already saw.
        rebuilt: dict[str, list[list[float]]] = {}
        for fingerprint, alert in engine.alerts.items():
            earlier = [e for e in self._episodes.get(fingerprint, ()) if e[0] < alert.episodes]
            rebuilt[fingerprint] = [*earlier, _episode(alert.episodes, alert)]
        self._episodes = rebuilt
        applied = engine.events_total + engine.rejected_total
        series.cover(minute if series.first is None else series.first, minute)
        row = series.row(minute)
        assert row is not None
        before = float(np.nansum(series.events[:row]))
        series.events[row] = applied - before if covered else math.nan
        series.domains[row] = len(engine.domain_ids())
        self._last_events = applied
        self._clock = clock
        self._index_episodes()  # the clock may have gone back: settle against the new one
        self.load_history()
        self.refresh()

    def _on_alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        alerts = self.engine.alerts
        for fingerprint in (*added, *updated, *resolved):
            alert = alerts.get(fingerprint)
            if alert is None:
                continue
            episodes = self._episodes.setdefault(fingerprint, [])
            current = _episode(alert.episodes, alert)
            if episodes and episodes[-1][0] == alert.episodes:
                self._forget(fingerprint, episodes[-1])
                episodes[-1] = current
            else:
                episodes.append(current)
            self._count(fingerprint, current)
        self._schedule()

    def _index_episodes(self) -> None:
        """Start the running counts over from every episode kept (reset, seek)."""
        self._settled = {}
        self._settled_keys = {}
        self._pending = {}
        self._min_start = math.inf
        for fingerprint, episodes in self._episodes.items():
            for episode in episodes:
                self._count(fingerprint, episode)

    def _count(self, fingerprint: str, episode: list[float]) -> None:
        self._min_start = min(self._min_start, episode[2])
        key = (fingerprint, int(episode[0]))
        if not self._settle(key, episode):
            self._pending[key] = episode

    def _forget(self, fingerprint: str, episode: list[float]) -> None:
        key = (fingerprint, int(episode[0]))
        if self._pending.pop(key, None) is None:
            settled = self._settled_keys.pop(key, None)
            if settled is not None:
                self._add(settled, -1.0)

    def _settle(self, key: tuple[str, int], episode: list[float]) -> bool:
        """Add an episode that can no longer change with the clock; False if it still can."""
        clock = self._clock
        _, _, start, end = episode
        if clock is None or math.isnan(end) or end > clock or start > clock:
            return False
        self._settled_keys[key] = episode
        self._add(episode, 1.0)
        return True

    def _add(self, episode: list[float], sign: float) -> None:
        _, severity, start, end = episode
        k = COLUMN[Severity(int(severity))]
        low = _minute(start)
        # an episode ending exactly on a minute boundary did not fire in that minute
        high = max(math.ceil(end / 60) - 1, low)
        for minute, step in ((low, sign), (high + 1, -sign)):
            row = self._settled.get(minute)
            if row is None:
                row = self._settled[minute] = np.zeros(len(SEVERITIES), dtype=np.float64)
            row[k] += step

    def _on_clock(self, clock: float) -> None:
        engine = self.engine
        minute = _minute(clock)
        series = self.series
        low = minute if series.first is None else min(series.first, minute)
        series.cover(low, minute)
        row = series.row(minute)
        assert row is not None
        applied = engine.events_total + engine.rejected_total
        previous = series.events[row]
        series.events[row] = (0.0 if math.isnan(previous) else previous) + (
            applied - self._last_events
        )
        self._last_events = applied
        open_now = len(engine.domain_ids())
        seen = series.domains[row]
        series.domains[row] = open_now if math.isnan(seen) else max(seen, open_now)
        self._clock = clock if self._clock is None else max(self._clock, clock)
        self._schedule()

    def _schedule(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    # -- series ------------------------------------------------------------

    def compute_firing(self) -> None:
        """Firing-per-minute columns from the episode intervals, up to the clock."""
        series = self.series
        series.firing[:] = 0
        if series.first is None or self._clock is None:
            return
        clock = self._clock
        pending = self._pending_array()
        if pending.size:
            # Settle what ended by the clock (only those: open episodes cannot).
            _, _, start, end = pending.T
            for k in np.flatnonzero((end <= clock) & (start <= clock)).tolist():
                key = self._pending_keys[k]
                if self._settle(key, self._pending[key]):
                    del self._pending[key]
            if len(self._pending) != len(pending):
                pending = self._pending_array()
        if math.isfinite(self._min_start):
            # alerts that started before the first tick extend the series back
            series.cover(min(series.first, _minute(self._min_start)), _minute(clock))
        first, length = series.first, series.length
        assert first is not None
        diff = np.zeros((length + 1, len(SEVERITIES)), dtype=np.float64)
        settled = self._settled
        if settled:
            minutes = np.fromiter(settled, dtype=np.int64, count=len(settled))
            steps = np.stack(list(settled.values()))
            rows = np.clip(minutes - first, 0, length)
            np.add.at(diff, rows, steps)
        if pending.size:
            # The same per episode as _add, with the end capped at the clock, for all at once.
            _, severity, start, end = pending[pending[:, 2] <= clock].T
            stop = np.where(np.isnan(end) | (end > clock), clock, end)
            start_minute = np.floor(start / 60).astype(np.int64)  # as _minute
            low = start_minute - first
            high = np.maximum(np.ceil(stop / 60).astype(np.int64) - 1, start_minute) - first
            shown = (high >= 0) & (low < length)
            columns = _SEVERITY_COLUMN[severity[shown].astype(np.int64)]
            np.add.at(diff, (np.maximum(low[shown], 0), columns), 1.0)
            np.add.at(diff, (np.minimum(high[shown], length - 1) + 1, columns), -1.0)
        series.firing[:length] = np.cumsum(diff[:length], axis=0)
        self._overlay_history()

    def _pending_array(self) -> FloatArray:
        """Pending episodes as rows [number, severity, start, end]; keys in `_pending_keys`."""
        self._pending_keys = list(self._pending)
        if not self._pending:
            return np.empty((0, 4), dtype=np.float64)
        return np.array(list(self._pending.values()), dtype=np.float64)

    # -- history before the session -------------------------------------------

    def set_counts_source(
        self,
        source: Callable[[], CountsReader | None] | None,
        background: Background | None = None,
    ) -> None:
        """Where minutes before the session come from (None: nowhere); queried in `background`."""
        self._counts_source = source
        self._counts_background = background
        self._history = None
        self.load_history()

    def history_changed(self) -> None:
        """The store grew: read it again if it had nothing before the session yet."""
        if self._history is None or not self._history.firing.any():
            self.load_history()

    def session_first_minute(self) -> int | None:
        """The first minute this session's own data covers (None before any event)."""
        if self._clock is None:
            return None
        first = _minute(self._clock)
        if math.isfinite(self._min_start):
            first = min(first, _minute(self._min_start))
        return first

    def load_history(self) -> None:
        """Read the alerts firing per minute before the session from the store."""
        source = self._counts_source
        end_minute = self.session_first_minute()
        if source is None or end_minute is None or self._history_loading:
            return
        end = end_minute * 60.0
        start = max(end - HISTORY_LOOKBACK_S, end - (CAPACITY - 1) * 60.0)

        def work() -> MinuteCounts | None:
            reader = source()
            return None if reader is None else reader.alert_counts(start, end)

        def done(counts: MinuteCounts | None) -> None:
            self._history_loading = False
            self._history, self._history_end = counts, end_minute
            self.refresh()

        def failed(exc: BaseException) -> None:
            self._history_loading = False
            self.readout.setText(f"History not available: {str(exc).strip()[:200]}")

        self._history_loading = True
        if self._counts_background is None:
            try:
                result = work()
            except Exception as exc:  # one line in the read-out, never a traceback
                failed(exc)
            else:
                done(result)
        else:
            self._counts_background.submit(work, done, failed)

    def _overlay_history(self) -> None:
        """Put the stored counts into the minutes before the session covers itself."""
        history, series = self._history, self.series
        session_first = self.session_first_minute()
        if history is None or not history.minutes or session_first is None:
            return
        end = min(history.start_minute + history.minutes, session_first)
        if self._history_end is not None:
            end = min(end, self._history_end)
        if end <= history.start_minute:
            return
        nonzero = np.flatnonzero(history.firing[: end - history.start_minute].any(axis=1))
        if nonzero.size == 0:
            return
        low = history.start_minute + int(nonzero[0])
        last = session_first if series.first is None else series.first + series.length - 1
        series.cover(min(low, series.first if series.first is not None else low), last)
        assert series.first is not None
        low = max(low, series.first)
        if end <= low:
            return
        rows = slice(low - series.first, end - series.first)
        counts = history.firing[low - history.start_minute : end - history.start_minute]
        series.firing[rows] = counts

    def refresh(self) -> None:
        """Recompute what depends on the episodes and redraw (coalesced to once a second)."""
        self._redraw_timer.stop()
        self.compute_firing()
        series = self.series
        n = series.length
        x = series.time[:n]
        # Only what changed is handed to pyqtgraph: each setData re-ranges its
        # plot and repaints it, and most refreshes change one minute of one series.
        for k, severity in enumerate(SEVERITIES):
            self._set_curve(self.firing_curves[severity], x, series.firing[:n, k])
        self._set_curve(self.domain_curve, x, series.domains[:n], connect="finite")
        self._set_curve(self.ingest_curve, x, series.events[:n] / 60.0, connect="finite")
        if self._following and self._clock is not None:
            # Scroll in whole pixels: a smaller step moves nothing on screen but
            # would re-lay out every axis and grid (a live clock moves every frame).
            left = self._clock - WINDOW_S
            (shown, _), _ = self.plots[0].vb.viewRange()
            pixel = WINDOW_S / max(1.0, self.plots[0].vb.width())
            if abs(shown - left) >= pixel:
                self.plots[0].setXRange(left, self._clock + 60, padding=0)
            self._fit_y(left, self._clock + 60)

    def _fit_y(self, left: float, right: float) -> None:
        """Each plot's y range: from 0 to a round number above what the window shows.

        A range that moves in 1-2-2.5-5 steps changes rarely, where pyqtgraph's
        auto range followed every new value and re-laid out the axis each time.
        """
        series = self.series
        n = series.length
        x = series.time[:n]
        shown = (x >= left - 60) & (x <= right)
        tops = (
            _top(series.firing[:n][shown]),
            _top(series.domains[:n][shown]),
            _top(series.events[:n][shown] / 60.0),
        )
        for plot, top in zip(self.plots, tops, strict=True):
            ceiling = nice_ceiling(top)
            _, (low, high) = plot.vb.viewRange()
            if low != 0.0 or high != ceiling:
                plot.setYRange(0.0, ceiling, padding=0)
            self._y_ticks(plot, ceiling)

    def _y_ticks(self, plot: pg.PlotItem, ceiling: float) -> None:
        """A short plot labels only half its ceiling; a tall one, pyqtgraph's ticks.

        pyqtgraph labels at least two ticks between an axis' ends however short
        it is, and in a small window the three plots are short: "0.4" and "0.6"
        were printed over each other. (Labels at the very ends are never drawn:
        they would stick out of a plot with a grid.)
        """
        short = plot.vb.height() < TALL_PLOT_PX
        key = (ceiling if short else 0.0, short)
        if self._y_tick_keys.get(id(plot)) == key:
            return
        self._y_tick_keys[id(plot)] = key
        half = ceiling / 2
        plot.getAxis("left").setTicks([[(half, tick_text(half))], []] if short else None)

    def _set_curve(
        self, curve: pg.PlotDataItem, x: FloatArray, y: FloatArray, **options: str
    ) -> None:
        """Give `curve` these points unless it already shows exactly them."""
        shown = self._shown.get(id(curve))
        if (
            shown is not None
            and np.array_equal(shown[0], x)
            and np.array_equal(shown[1], y, equal_nan=True)
        ):
            return
        self._shown[id(curve)] = (x.copy(), y.copy())
        curve.setData(x, y, **options)

    def series_snapshot(self) -> dict[str, FloatArray]:
        """Copies of the current series (time, firing by severity, domains, ingest/s)."""
        self.compute_firing()
        n = self.series.length
        snapshot = {"time": self.series.time[:n].copy()}
        for k, severity in enumerate(SEVERITIES):
            snapshot[severity.label] = self.series.firing[:n, k].copy()
        snapshot["domains"] = self.series.domains[:n].copy()
        snapshot["ingest"] = self.series.events[:n] / 60.0
        return snapshot

    # -- interaction -------------------------------------------------------

    def _stop_following(self) -> None:
        self._following = False

    def follow(self) -> None:
        """Scroll with the clock again (End)."""
        self._following = True
        self.refresh()

    def readout_at(self, time: float) -> str:
        """The values of the minute containing `time`, as one line of text."""
        self.compute_firing()
        row = self.series.row(_minute(time))
        if row is None:
            return ""
        firing = ", ".join(
            f"{s.label} {int(self.series.firing[row, k])}" for k, s in enumerate(SEVERITIES)
        )
        domains = self.series.domains[row]
        events = self.series.events[row]
        open_text = "–" if math.isnan(domains) else str(int(domains))
        rate = "–" if math.isnan(events) else f"{events / 60:.2f}/s"
        stamp = format_time(self.series.time[row])
        return f"{stamp}  firing: {firing}  ·  open domains {open_text}  ·  ingest {rate}"

    def _on_mouse_moved(self, position: QPointF) -> None:
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(position):
                time = plot.vb.mapSceneToView(position).x()
                text = self.readout_at(time)
                if text != self.readout.text():
                    self.readout.setText(text)
                    self.sig_readout_changed.emit(text)
                return

    def _on_mouse_clicked(self, event: MouseClickEvent) -> None:
        if not event.double() or event.button() != Qt.MouseButton.LeftButton:
            return
        if self._region is not None:
            self.clear_range()
            return
        for plot in self.plots:
            if plot.sceneBoundingRect().contains(event.scenePos()):
                time = plot.vb.mapSceneToView(event.scenePos()).x()
                self.select_range(time - 300, time + 300)
                return

    def select_range(self, start: float, end: float) -> None:
        """Show the time-range selector over [start, end] and filter the other views."""
        if self._region is None:
            region = pg.LinearRegionItem(values=(start, end), orientation="vertical")
            region.setZValue(50)
            self._style_region(region)
            region.sigRegionChangeFinished.connect(self._on_region_changed)
            self.plots[0].addItem(region)
            self._region = region
        else:
            self._updating_region = True
            self._region.setRegion((start, end))
            self._updating_region = False
        self._on_region_changed()

    def clear_range(self) -> None:
        """Remove the selector; the other views show all time again."""
        if self._region is not None:
            self.plots[0].removeItem(self._region)
            self._region = None
        self.selection.set_time_range(None)

    def _style_region(self, region: pg.LinearRegionItem) -> None:
        fill = self.theme.color("highlight")
        fill.setAlpha(50)
        region.setBrush(fill)
        hover = self.theme.color("highlight")
        hover.setAlpha(90)
        region.setHoverBrush(hover)
        for line in region.lines:
            line.setPen(QPen(self.theme.color("focus"), 2))

    def _on_region_changed(self) -> None:
        if self._region is None or self._updating_region:
            return
        start, end = (float(v) for v in self._region.getRegion())
        self.selection.set_time_range((start, end))

    def _on_time_range(self, time_range: object) -> None:
        """Follow a range chosen elsewhere (without echoing it back)."""
        if time_range is None:
            if self._region is not None:
                self.plots[0].removeItem(self._region)
                self._region = None
            return
        assert isinstance(time_range, tuple)
        start, end = time_range
        if self._region is None:
            self.select_range(start, end)
        elif tuple(self._region.getRegion()) != (start, end):
            self._updating_region = True
            self._region.setRegion((start, end))
            self._updating_region = False

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        key = event.key()
        if key == Qt.Key.Key_Escape and self._region is not None:
            self.clear_range()
        elif key == Qt.Key.Key_End:
            self.follow()
        elif key == Qt.Key.Key_R and self._clock is not None:
            (x0, x1) = self.plots[0].vb.viewRange()[0]
            third = (x1 - x0) / 3
            self.select_range(x0 + third, x1 - third)
        else:
            super().keyPressEvent(event)


_SEVERITY_COLUMN = np.zeros(max(Severity) + 1, dtype=np.int64)
for _severity, _column in COLUMN.items():
    _SEVERITY_COLUMN[int(_severity)] = _column


def _top(values: FloatArray) -> float:
    """The largest value (0 when there is none: empty or all NaN)."""
    if values.size == 0 or np.isnan(values).all():
        return 0.0
    return float(np.nanmax(values))


def tick_text(value: float) -> str:
    """An axis label: 0, 2.5, 250, 2.5k, 1M."""
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:g}{suffix}"
    return f"{value:g}"


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k at or above `value` plus a tenth (at least 1)."""
    wanted = value * 1.1
    if not wanted > 1.0:
        return 1.0
    scale = 10.0 ** math.floor(math.log10(wanted))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if step * scale >= wanted:
            return step * scale
    return 10.0 * scale


def _minute(time: float) -> int:
    return math.floor(time / 60)


def _episode(number: int, alert: AlertState) -> list[float]:
    """[episode number, severity, start, end (nan while firing)] of an alert's current episode."""
    end = alert.ends_at
    return [
        float(number),
        float(int(alert.severity)),
        float(alert.starts_at),
        math.nan if alert.firing or end is None else float(end),
    ]
