"""The one place where engine deltas become Qt signals, coalesced to a few updates a second.

Whoever drives the engine (replay, live source) hands each `EngineDelta` to
`EngineBridge.push`; bursts are merged and emitted at most once per
`interval_ms` (FRAME_MS), so a storm of 100k alerts costs the views a handful
of updates, not 100k. The views follow the engine at most 20 times a second:
every update repaints the canvas, tables and incidents, and at 60 a second
those repaints alone filled the GUI thread at 5,000 alerts/s; at 20 a second
an alert still reaches the screen well within 250 ms, while panning, zooming
and scrolling repaint at once as ever (bench_console_live.py).

Views hold no engine state of their own: on a signal they read what they need
from `bridge.engine`, and domain views (ranking, blast radius) from
`bridge.views`, which builds large ones off the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from console.domain_views import DomainViews
from core.engine import Engine, EngineDelta
from core.model import Rejected

FRAME_MS = 50


class EngineBridge(QObject):
    """Coalesces engine deltas and emits them on the GUI thread."""

    sig_engine_reset = Signal(object)
    """The engine was replaced (a seek rebuilt it, a new source): reload everything."""
    sig_alerts_changed = Signal(list, list, list)
    """Fingerprints added, updated, resolved since the last emission (each once)."""
    sig_domains_changed = Signal(list, list, list)
    """Domain ids opened, changed, closed since the last emission."""
    sig_domains_merged = Signal(dict)
    """Closed domain id -> the open domain it merged into (just before sig_domains_changed)."""
    sig_rejected = Signal(list)
    """New `Rejected` records since the last emission."""
    sig_clock_changed = Signal(float)
    """The engine's event clock moved (epoch seconds)."""

    def __init__(self, engine: Engine, interval_ms: int = FRAME_MS) -> None:
        super().__init__()
        self.engine = engine
        self.views = DomainViews(engine, self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._frame_due)
        self._flush_posted = False
        self._clear()

    def _clear(self) -> None:
        self._added: dict[str, None] = {}
        self._updated: dict[str, None] = {}
        self._resolved: dict[str, None] = {}
        self._opened: dict[str, None] = {}
        self._changed: dict[str, None] = {}
        self._closed: dict[str, None] = {}
        self._merged: dict[str, str] = {}
        self._rejected: list[Rejected] = []
        self._clock: float | None = None

    def reset(self, engine: Engine) -> None:
        """Point the views at a new engine (after a seek or a new source)."""
        self._timer.stop()
        self._clear()
        self.engine = engine
        self.views.reset(engine)
        self.sig_engine_reset.emit(engine)
        if engine.clock is not None:
            self.sig_clock_changed.emit(engine.clock)

    def push(self, delta: EngineDelta) -> None:
        """Queue a delta; the views hear of it within one frame."""
        self._added.update(dict.fromkeys(delta.alerts_added))
        self._updated.update(dict.fromkeys(delta.alerts_updated))
        self._resolved.update(dict.fromkeys(delta.alerts_resolved))
        self._opened.update(dict.fromkeys(delta.domains_opened))
        self._changed.update(dict.fromkeys(delta.domains_changed))
        for domain_id in delta.domains_closed:
            if self._opened.pop(domain_id, 0) is None:
                continue  # opened and closed within one frame: never shown
            self._changed.pop(domain_id, None)
            self._closed[domain_id] = None
        self._merged.update(delta.merged_into)
        self._rejected.extend(delta.rejected)
        if delta.clock is not None:
            self._clock = delta.clock
        if not self._timer.isActive():
            self._timer.start()

    def _frame_due(self) -> None:
        """A frame is due: flush from the event queue, not from this timer's turn.

        Qt runs every due timer in one pass of its event loop and the repaints
        that a pass caused in the next pass, before it looks at input again:
        a replay tick (engine apply), this flush (every view's update) and the
        repaint would run back to back, ~30 ms with the GUI thread busy at
        5,000 alerts/s. A flush posted as an event runs in the next pass, and
        the repaint it causes in the pass after that, so the loop gets to
        input (and the screen) between the three.
        """
        if not self._flush_posted:
            self._flush_posted = True
            QTimer.singleShot(0, self, self._posted_flush)  # dropped if the bridge goes

    def _posted_flush(self) -> None:
        self._flush_posted = False
        self.flush()

    def flush(self) -> None:
        """Emit what is queued now (tests call this instead of waiting a frame)."""
        self._timer.stop()
        added, updated, resolved = list(self._added), list(self._updated), list(self._resolved)
        opened, changed, closed = list(self._opened), list(self._changed), list(self._closed)
        rejected, clock, merged = self._rejected, self._clock, self._merged
        self._clear()
        fresh = set(added)
        updated = [fp for fp in updated if fp not in fresh]
        if added or updated or resolved:
            self.sig_alerts_changed.emit(added, updated, resolved)
        if closed:
            self.views.forget(closed)
        merged = self._final_merges(merged)
        if merged:
            self.sig_domains_merged.emit(merged)
        if opened or changed or closed:
            self.sig_domains_changed.emit(opened, changed, closed)
        if rejected:
            self.sig_rejected.emit(rejected)
        if clock is not None:
            self.sig_clock_changed.emit(clock)

    def _final_merges(self, merged: dict[str, str]) -> dict[str, str]:
        """Each merged id -> the open domain it ended up in (A into B, then B into C: C)."""
        engine = self.engine
        final: dict[str, str] = {}
        for gone in merged:
            into, seen = merged[gone], {gone}
            while into in merged and into not in seen:
                seen.add(into)
                into = merged[into]
            if engine.domain_size(into):
                final[gone] = into
        return final

    def shutdown(self) -> None:
        """Stop the domain-view worker (window closing)."""
        self._timer.stop()
        self.views.shutdown()
