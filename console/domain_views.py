"""Domain views for the console: small ones built on the spot, large ones off the GUI thread.

A domain's view (root-cause ranking, blast radius) costs well under a
millisecond for a handful of members but tens of milliseconds for the
hundreds a large incident gathers, and a large incident changes with almost
every batch. The GUI thread never pays that: a large domain's view is built
in a worker from `Engine.domain_inputs` (an immutable snapshot) by
`build_domain_view`, the function the engine itself uses, so it is exactly
the view `Engine.domain` (and `watchfloor analyze`) gives for that moment.
Until it lands, `view` returns the newest view built for the domain (at most
a rebuild interval and one build behind) and `sig_ready` tells the views to
repaint. Each large domain is rebuilt at most every `interval_s`.
"""

from __future__ import annotations

import logging
import math
import time

from PySide6.QtCore import QObject, QTimer, Signal

from console.background import Background
from core.engine import DomainInputs, DomainView, Engine, build_domain_view
from core.graph.blast import VECTORISE_AFTER
from core.graph.blast import prepare as prepare_blast_search

log = logging.getLogger(__name__)

SYNC_MEMBERS = 64
"""Domains up to this many members are built on the GUI thread (about a millisecond)."""
REBUILD_INTERVAL_S = 0.25
"""At most one rebuild of the same large domain started per this many seconds."""


class DomainViews(QObject):
    """The console's access to domain views: current when cheap, never a long wait."""

    sig_ready = Signal(list)
    """Ids of domains whose view was just built off the GUI thread (read it with `view`)."""

    def __init__(
        self,
        engine: Engine,
        parent: QObject | None = None,
        *,
        sync_members: int = SYNC_MEMBERS,
        interval_s: float = REBUILD_INTERVAL_S,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.sync_members = sync_members
        self.interval_s = interval_s
        self._background = Background(self)
        self._latest: dict[str, DomainView] = {}  # newest view built off-thread, per domain
        self._queued: dict[str, None] = {}
        self._building: str | None = None
        self._started: dict[str, float] = {}  # when the last build of a domain started
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start_next)
        self._small: dict[str, tuple[float, DomainView]] = {}  # listed: when built, the view
        self._outdated: dict[str, None] = {}  # listed showed an older view of these
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.timeout.connect(self._outdated_ready)
        self._warm_up(engine)

    # -- reading ------------------------------------------------------------------

    def view(self, domain_id: str) -> DomainView | None:
        """The open domain's view; for a large one that changed, the newest built so far.

        None when the domain is not open, or is large and has no view built
        yet (one is on its way: `sig_ready` follows).
        """
        engine = self.engine
        view = engine.cached_domain(domain_id)
        if view is not None:
            return view
        size = engine.domain_size(domain_id)
        if not size:
            return None
        if size <= self.sync_members:
            return engine.domain(domain_id)
        self._request(domain_id)
        return self._latest.get(domain_id)

    def listed(self, domain_id: str) -> DomainView | None:
        """`view` for a list row that repaints whenever its domain changes.

        A small domain that keeps changing (an incident gathering members)
        would be ranked again at every repaint, up to 20 times a second: here
        it is rebuilt at most every `interval_s`, like a large one, and
        meanwhile its previous view is shown; `sig_ready` names it once the
        interval has passed, so the row repaints with its current view.
        """
        engine = self.engine
        view = engine.cached_domain(domain_id)
        if view is not None:
            return view
        size = engine.domain_size(domain_id)
        if not size or size > self.sync_members:
            return self.view(domain_id)
        now = time.perf_counter()
        built = self._small.get(domain_id)
        if built is not None and now - built[0] < self.interval_s:
            self._outdated[domain_id] = None
            if not self._refresh.isActive():
                self._refresh.start(max(1, math.ceil((built[0] + self.interval_s - now) * 1000)))
            return built[1]
        view = engine.domain(domain_id)
        if view is not None:
            self._small[domain_id] = (now, view)
        return view

    def _outdated_ready(self) -> None:
        outdated = [d for d in self._outdated if self.engine.domain_size(d)]
        self._outdated.clear()
        for domain_id in outdated:
            self._small.pop(domain_id, None)  # the next `listed` ranks it (timers may fire early)
        if outdated:
            self.sig_ready.emit(outdated)

    def is_current(self, domain_id: str) -> bool:
        """Whether `view` gives the domain's view as of the engine's current state."""
        engine = self.engine
        if engine.cached_domain(domain_id) is not None:
            return True
        return 0 < engine.domain_size(domain_id) <= self.sync_members

    @property
    def busy(self) -> bool:
        """A build is running or waiting."""
        return self._building is not None or bool(self._queued)

    # -- following the engine -----------------------------------------------------

    def reset(self, engine: Engine) -> None:
        """A new engine: what was built for the old one is dropped (results in flight too)."""
        topology_changed = engine.topology is not self.engine.topology
        self.engine = engine
        self._latest.clear()
        self._queued.clear()
        self._started.clear()
        self._small.clear()
        self._outdated.clear()
        self._timer.stop()
        self._refresh.stop()
        if topology_changed:
            self._warm_up(engine)

    def forget(self, domain_ids: list[str]) -> None:
        """These domains closed."""
        for domain_id in domain_ids:
            self._latest.pop(domain_id, None)
            self._queued.pop(domain_id, None)
            self._started.pop(domain_id, None)
            self._small.pop(domain_id, None)
            self._outdated.pop(domain_id, None)

    def shutdown(self) -> None:
        """Stop the worker (waits for a build in progress)."""
        self._timer.stop()
        self._refresh.stop()
        self._queued.clear()
        self._background.shutdown()

    # -- building -----------------------------------------------------------------

    def _warm_up(self, engine: Engine) -> None:
        """Ready the blast-radius search for a new topology in the worker, not in a frame."""
        topology = engine.topology
        if len(topology) > VECTORISE_AFTER:
            self._background.submit(
                lambda: prepare_blast_search(topology),
                lambda _: None,
                lambda exc: log.error("preparing the blast-radius search failed: %s", exc),
            )

    def _request(self, domain_id: str) -> None:
        if domain_id == self._building or domain_id in self._queued:
            return
        self._queued[domain_id] = None
        if self._building is None and not self._timer.isActive():
            self._start_next()

    def _start_next(self) -> None:
        """Start the first queued build whose interval has passed, or wait for one."""
        if self._building is not None or not self._queued:
            return
        now = time.perf_counter()
        soonest = math.inf
        for domain_id in list(self._queued):
            due = self._started.get(domain_id, -math.inf) + self.interval_s
            if due <= now:
                del self._queued[domain_id]
                if self._start(domain_id, now):
                    return
            else:
                soonest = min(soonest, due)
        if soonest < math.inf:
            self._timer.start(max(1, math.ceil((soonest - now) * 1000)))

    def _start(self, domain_id: str, now: float) -> bool:
        engine = self.engine
        if engine.cached_domain(domain_id) is not None:
            return False  # built meanwhile (someone asked the engine directly)
        inputs = engine.domain_inputs(domain_id)
        if inputs is None:
            return False
        self._building = domain_id
        self._started[domain_id] = now
        topology, limit = engine.topology, engine.config.root_cause_limit
        self._background.submit(
            lambda: build_domain_view(topology, inputs, limit),
            lambda view: self._built(engine, inputs, view),
            lambda exc: self._failed(engine, inputs, exc),
        )
        return True

    def _built(self, engine: Engine, inputs: DomainInputs, view: DomainView) -> None:
        self._building = None
        if engine is self.engine and engine.domain_size(inputs.id):
            engine.adopt_view(inputs, view)  # kept only if the domain did not change since
            self._latest[inputs.id] = view
            self.sig_ready.emit([inputs.id])
        self._start_next()

    def _failed(self, engine: Engine, inputs: DomainInputs, exc: BaseException) -> None:
        self._building = None
        if engine is self.engine:
            log.error("building the view of domain %s failed: %s", inputs.id, exc)
        self._start_next()
