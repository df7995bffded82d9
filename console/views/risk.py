"""Risk: planned deployments scored for risk, with bands, explanations and what they touch.

The operator loads a model (or trains one from a history file, off the GUI
thread with progress) and a plan file; every planned deployment gets a
calibrated score, a band (the thresholds are shown) and the features that
pushed it up or down. Selecting one selects its service in the shared
`Selection`, so the canvas highlights the service and its blast radius, and
the detail pane lists the open incidents it would touch: the failure domains
whose alerting members fall in that blast radius.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from console.background import Background
from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_store import short_time
from console.views.keyed_model import KeyedTableModel
from console.widgets.plain import plain_label, plain_view, set_plain
from console.widgets.tables import list_table
from core.engine import Engine
from core.graph.blast import blast_radius
from core.model import Severity
from core.risk.data import HistoryError
from core.risk.model import RiskModel
from core.risk.scoring import (
    ScoredDeployment,
    TrainingCancelled,
    band_text,
    prepare_history,
    score_plan,
    train,
)
from core.risk.store import ModelError, load_model, save_model
from core.textsafe import safe_text

BAND_SEVERITY = {"high": Severity.CRITICAL, "medium": Severity.WARNING}
BAND_GLYPHS = {"high": "\u25b2", "medium": "\u25c6", "low": "\u25bd"}  # ▲ ◆ ▽
_USER_ERRORS = (HistoryError, ModelError, OSError)
_TABLES = "Tables (*.csv *.csv.gz *.parquet);;All files (*)"


class TouchedIncidents:
    """Which open failure domains a service's blast radius reaches (cached per engine state)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._members: dict[str, set[int]] | None = None
        self._radius: dict[int, set[int]] = {}

    def reset(self, engine: Engine) -> None:
        self.engine = engine
        self._members = None
        self._radius.clear()

    def domains_changed(self) -> None:
        self._members = None

    def radius(self, service: str) -> set[int]:
        topology = self.engine.topology
        node = topology.resolve(service) if service else None
        if node is None:
            return set()
        if node not in self._radius:
            self._radius[node] = set(blast_radius(topology, [node]).nodes.tolist())
        return self._radius[node]

    def of(self, service: str) -> list[str]:
        """Open domain ids whose alerting members are in the service's blast radius."""
        reach = self.radius(service)
        if not reach:
            return []
        if self._members is None:
            engine = self.engine
            self._members = {d: set(engine.domain_members(d)) for d in engine.domain_ids()}
        return sorted(d for d, members in self._members.items() if members & reach)


class RiskModelTable(KeyedTableModel):
    """Scored planned deployments, riskiest first."""

    headers = ("Score", "Band", "Deployment", "Service", "Time", "Incidents", "Explanation")
    SCORE, BAND, ID, SERVICE, TIME, INCIDENTS, EXPLANATION = range(7)

    def __init__(self, theme: Theme, touched: TouchedIncidents) -> None:
        super().__init__()
        self.theme, self.touched = theme, touched
        self.rows: dict[str, ScoredDeployment] = {}

    def set_scored(self, scored: list[ScoredDeployment]) -> None:
        ordered = sorted(scored, key=lambda s: (-s.score, s.id))
        self.rows = {}
        keys: list[str] = []
        for s in ordered:
            key = s.id if s.id not in self.rows else f"{s.id}#{len(keys)}"
            self.rows[key] = s
            keys.append(key)
        self.replace(keys)

    def refresh_incidents(self) -> None:
        if self.keys:
            column = self.INCIDENTS
            last = len(self.keys) - 1
            self.dataChanged.emit(self.index(0, column), self.index(last, column))

    def cell(self, key: str, column: int, role: int) -> Any:
        s = self.rows.get(key)
        if s is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(s, column)
        severity = BAND_SEVERITY.get(s.band)
        if column == self.BAND and severity is not None:
            if role == Qt.ItemDataRole.BackgroundRole:
                return self.theme.severity_color(severity)
            if role == Qt.ItemDataRole.ForegroundRole:
                return self.theme.severity_text_color(severity)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.SCORE, self.INCIDENTS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.EXPLANATION:
            return safe_text(s.explanation.text(limit=6))
        return None

    def _text(self, s: ScoredDeployment, column: int) -> str:
        if column == self.SCORE:
            return f"{s.score:.3f}"
        if column == self.BAND:
            return f"{BAND_GLYPHS[s.band]} {s.band}"
        if column == self.ID:
            return safe_text(s.id)
        if column == self.SERVICE:
            return safe_text(s.service)
        if column == self.TIME:
            return short_time(s.time) if s.time else ""
        if column == self.INCIDENTS:
            return str(len(self.touched.of(s.service)))
        return safe_text(s.explanation.text())


class RiskView(QWidget):
    """Planned deployments with risk scores; selecting one shows what it would touch."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("RiskView")
        self.bridge, self.theme, self.selection = bridge, theme, selection
        self.model: RiskModel | None = None
        self.plan_path: Path | None = None
        self.model_path: Path | None = None
        self.notes: list[str] = []
        self.background = Background(self)
        self.touched = TouchedIncidents(bridge.engine)
        self.table_model = RiskModelTable(theme, self.touched)
        self._syncing = False
        self._closed = False
        self._cancel = threading.Event()
        self.training_thread: threading.Thread | None = None

        self.model_button = QPushButton("Load model\u2026", self)
        self.model_button.clicked.connect(self._ask_model)
        self.train_button = QPushButton("Train from history\u2026", self)
        self.train_button.clicked.connect(self._ask_history)
        self.plan_button = QPushButton("Open plan\u2026", self)
        self.plan_button.clicked.connect(self._ask_plan)
        self.save_button = QPushButton("Save model\u2026", self)
        self.save_button.setToolTip("Save the model (skops) to score plans later or elsewhere")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self._ask_save)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.progress.setObjectName("RiskProgress")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for widget in (self.model_button, self.train_button, self.save_button, self.plan_button):
            buttons.addWidget(widget)
        buttons.addWidget(self.progress, 1)

        self.summary = plain_label("No model: load one, or train from a history file", self)
        self.summary.setObjectName("RiskSummary")
        self.bands = plain_label("", self)
        self.bands.setObjectName("RiskBands")
        self.status = plain_label("", self, wrap=True)
        self.status.setObjectName("RiskStatus")

        self.table = list_table(self.table_model, self, "RiskTable", single=True)
        self._size_columns()

        self.detail = plain_view(self)
        self.detail.setObjectName("RiskDetail")
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        layout.addWidget(self.bands)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)
        # Shown once a plan is scored: an empty table squeezed into a small dock
        # drew its scroll bar over its header (and said nothing the status line does not).
        # Until then a stretch keeps the lines above at the top.
        self.plan_pane = splitter
        splitter.setVisible(False)
        layout.addStretch(1)
        self._layout = layout

        self.setFocusProxy(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._row_selected)
        theme.sig_changed.connect(self._size_columns)
        bridge.sig_engine_reset.connect(self._engine_reset)
        bridge.sig_domains_changed.connect(self._domains_changed)

    def _size_columns(self) -> None:
        """Fixed widths from the current font (no per-row measuring: plans can be long)."""
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        titles = header.fontMetrics()
        samples = ("0.000", "\u25c6 medium", "P000000", "notifications-api", "11-26 19:23:02")
        for column, sample in enumerate((*samples, "00")):
            title = RiskModelTable.headers[column]
            width = max(metrics.horizontalAdvance(sample), titles.horizontalAdvance(title))
            header.resizeSection(column, width + 3 * metrics.horizontalAdvance("M"))

    # -- what the operator does -------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.background.pending > 0 or self.training_thread is not None

    def open_model(self, path: str | Path) -> None:
        """Load a model file in the background, then rescore the open plan."""
        self._start(f"Loading {Path(path).name}\u2026")
        self.model_path = Path(path)
        self.background.submit(lambda: (load_model(path), []), self._trained, self._failed)

    def train_from(
        self, history: str | Path, save_to: str | Path | None = None, *, kind: str = "auto"
    ) -> None:
        """Train on a history file off the GUI thread (progress shown), on the open topology."""
        topology = self.bridge.engine.topology
        use_topology = topology if len(topology) else None

        cancel = self._cancel = threading.Event()

        def report(fraction: float, stage: str) -> None:
            if cancel.is_set():
                raise TrainingCancelled  # between two fits: the model is dropped
            self._deliver(lambda: self._progress(fraction, stage))

        def work() -> None:
            try:
                prepared = prepare_history(history, topology=use_topology)
                model = train(prepared, kind=kind, progress=report)
                if cancel.is_set():
                    raise TrainingCancelled
                if save_to is not None:
                    save_model(model, save_to)
            except TrainingCancelled:
                self._deliver(lambda: self._training_done(None))
            except BaseException as exc:
                error = exc  # `exc` is unbound after the except block
                self._deliver(lambda: self._training_done(error))
            else:
                result = (model, prepared.notes)
                self._deliver(lambda: self._training_done(result))

        self.model_path = Path(save_to) if save_to is not None else None
        self._start(f"Training on {Path(history).name}\u2026")
        # A daemon thread: a fit in progress never holds up leaving the console.
        self.training_thread = threading.Thread(target=work, name="risk-training", daemon=True)
        self.training_thread.start()

    def save_model_to(self, path: str | Path) -> None:
        """Write the current model (trained here or loaded) as a skops file, off the GUI thread."""
        model = self.model
        if model is None:
            self._show_status("No model to save: load or train one first")
            return
        target = Path(path)
        self._start(f"Saving {target.name}\u2026")

        def saved(_result: None) -> None:
            self.model_path = target
            self._finish()
            self._show_status(f"Saved the model to {target}")

        self.background.submit(lambda: save_model(model, target), saved, self._failed)

    def shutdown(self) -> None:
        """The window closes: stop training at its next step, drop every late result."""
        self._closed = True
        self._cancel.set()

    def open_plan(self, path: str | Path) -> None:
        """Read and score a plan file with the current model."""
        self.plan_path = Path(path)
        if self.model is None:
            self._show_status("Load or train a model first, then the plan is scored")
            return
        self._score()

    def selected_deployment(self) -> ScoredDeployment | None:
        index = self.table.selectionModel().currentIndex()
        key = self.table_model.key_at(index.row()) if index.isValid() else None
        return self.table_model.rows.get(key) if key is not None else None

    def select_deployment(self, deployment_id: str) -> None:
        row = self.table_model.row_of(deployment_id)
        if row is not None:
            self.table.selectRow(row)

    def detail_text(self) -> str:
        return self.detail.toPlainText()

    def state(self) -> dict[str, Any]:
        """The model and plan files open, for the shell to persist (JSON-able)."""
        return {
            "model": str(self.model_path) if self.model_path is not None else None,
            "plan": str(self.plan_path) if self.plan_path is not None else None,
        }

    def restore_state(self, state: dict[str, Any]) -> None:
        """Reopen the last model and plan (files that are gone are skipped)."""
        if not isinstance(state, dict):
            return
        plan = state.get("plan")
        if isinstance(plan, str) and Path(plan).is_file():
            self.plan_path = Path(plan)
        model = state.get("model")
        if isinstance(model, str) and Path(model).is_file():
            self.open_model(model)

    def _ask_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open risk model", "", "Risk models (*.skops);;All files (*)"
        )
        if path:
            self.open_model(path)

    def _ask_plan(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open planned deployments", "", _TABLES)
        if path:
            self.open_plan(path)

    def _ask_save(self) -> None:
        start = str(self.model_path) if self.model_path is not None else "risk.skops"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save risk model", start, "Risk models (*.skops);;All files (*)"
        )
        if path:
            self.save_model_to(path if Path(path).suffix else f"{path}.skops")

    def _ask_history(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Train on deployment history", "", _TABLES)
        if path:
            self.train_from(path)

    # -- background results -------------------------------------------------------

    def _deliver(self, thunk: Any) -> None:
        """From the training thread: run `thunk` on the GUI thread, unless the view closed."""
        if self._closed:
            return
        self.background.call_soon(lambda: None if self._closed else thunk())

    def _training_done(self, outcome: tuple[RiskModel, list[str]] | BaseException | None) -> None:
        self.training_thread = None
        if outcome is None:  # cancelled
            self._finish()
            self._show_status("Training stopped")
        elif isinstance(outcome, BaseException):
            self._failed(outcome)
        else:
            self._trained(outcome)

    def _start(self, text: str) -> None:
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.progress.setFormat(text)
        for button in (self.model_button, self.train_button, self.save_button, self.plan_button):
            button.setEnabled(False)
        self._show_status("")

    def _progress(self, fraction: float, stage: str) -> None:
        self.progress.setValue(round(100 * fraction))
        self.progress.setFormat(f"{safe_text(stage)} %p%")

    def _finish(self) -> None:
        if self.busy:
            return
        self.progress.setVisible(False)
        for button in (self.model_button, self.train_button, self.plan_button):
            button.setEnabled(True)
        self.save_button.setEnabled(self.model is not None)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        if isinstance(exc, _USER_ERRORS):
            self._show_status(f"\u26a0 {exc}")
        else:
            self._show_status(f"\u26a0 {type(exc).__name__}: {exc}")

    def _trained(self, result: tuple[RiskModel, list[str]]) -> None:
        model, self.notes = result
        self.model = model
        self._finish()
        m = model.metrics
        figures = ""
        if all(isinstance(m.get(k), float) for k in ("roc_auc", "pr_auc", "top10_capture")):
            figures = (
                f"; holdout ROC AUC {m['roc_auc']:.3f}, PR AUC {m['pr_auc']:.3f}, "
                f"top 10% holds {m['top10_capture']:.0%} of failures"
            )
        rows = model.training.get("rows", 0)
        set_plain(self.summary, f"Model: {model.kind}, {rows:,} deployments{figures}")
        set_plain(self.bands, f"Bands: {band_text(model)}")
        if self.notes:
            self._show_status("; ".join(self.notes))
        if self.plan_path is not None:
            self._score()

    def _score(self) -> None:
        model, path = self.model, self.plan_path
        assert model is not None and path is not None
        topology = self.bridge.engine.topology if len(self.bridge.engine.topology) else None
        self._start(f"Scoring {path.name}\u2026")
        self.background.submit(
            lambda: score_plan(model, path, topology=topology), self._scored, self._failed
        )

    def _scored(self, result: tuple[list[ScoredDeployment], list[str]]) -> None:
        scored, notes = result
        self._finish()
        self.table_model.set_scored(scored)
        if not self.plan_pane.isVisibleTo(self):
            self.plan_pane.setVisible(True)
            self._layout.setStretch(self._layout.count() - 1, 0)  # the plan takes the room
        high = sum(1 for s in scored if s.band == "high")
        name = self.plan_path.name if self.plan_path else "plan"
        message = f"{len(scored)} planned deployments from {name}, {high} high risk"
        self._show_status("; ".join([message, *notes]))
        self._show_detail(self.selected_deployment())

    def _show_status(self, text: str) -> None:
        set_plain(self.status, text)

    # -- following the engine and the selection --------------------------------------

    def _engine_reset(self, engine: Engine) -> None:
        self.touched.reset(engine)
        self.table_model.refresh_incidents()
        self._show_detail(self.selected_deployment())

    def _domains_changed(self, _opened: list[str], _changed: list[str], _closed: list[str]) -> None:
        self.touched.domains_changed()
        self.table_model.refresh_incidents()
        self._show_detail(self.selected_deployment())

    def _row_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing:
            return
        key = self.table_model.key_at(current.row()) if current.isValid() else None
        deployment = self.table_model.rows.get(key) if key is not None else None
        self._show_detail(deployment)
        if deployment is None:
            return
        topology = self.bridge.engine.topology
        node = topology.resolve(deployment.service) if deployment.service else None
        if node is not None:
            self._syncing = True
            try:
                self.selection.set_component(topology.ids[node])
            finally:
                self._syncing = False

    def _show_detail(self, deployment: ScoredDeployment | None) -> None:
        if deployment is None or self.model is None:
            self.detail.setPlainText("")
            return
        self.detail.setPlainText(
            deployment_detail_text(deployment, self.model, self.bridge.engine, self.touched)
        )


def deployment_detail_text(
    deployment: ScoredDeployment, model: RiskModel, engine: Engine, touched: TouchedIncidents
) -> str:
    """The detail pane as plain text (escaped): score, band, why, and what it would touch."""
    lines = [
        f"{deployment.id} \u00b7 {deployment.service or 'no service'} \u00b7 "
        f"risk {deployment.score:.3f} ({deployment.band})",
        f"Bands: {band_text(model)}",
    ]
    if deployment.time:
        lines.append(f"Planned for {short_time(deployment.time)}")
    explanation = deployment.explanation
    lines.append("")
    lines.append(
        f"Why (log-odds; a typical deployment is {explanation.baseline:+.2f}, "
        f"this one {explanation.log_odds:+.2f}):"
    )
    pushes = explanation.contributions()
    up = [c for c in pushes if c.log_odds > 0.01][:6]
    down = [c for c in pushes if c.log_odds < -0.01][:6]
    for label, group in (("raises the risk", up), ("lowers the risk", down)):
        if group:
            lines.append(f"  {label}:")
            lines.extend(f"    {c.words()}" for c in group)
    lines.append("")
    topology = engine.topology
    radius = touched.radius(deployment.service)
    if not radius:
        lines.append("Not in the open topology: blast radius unknown")
        return safe_text("\n".join(lines), keep_newlines=True)
    lines.append(f"Blast radius: {len(radius) - 1} components depend on it")
    domains = touched.of(deployment.service)
    if not domains:
        lines.append("Open incidents it would touch: none")
    else:
        lines.append(f"Open incidents it would touch: {len(domains)}")
        for domain_id in domains:
            members = engine.domain_members(domain_id)
            inside = [topology.ids[m] for m in members if m in radius]
            view = engine.domain(domain_id)
            severity = view.severity if view is not None else Severity.INFO
            lines.append(
                f"  {SEVERITY_GLYPHS[severity]} {domain_id} ({severity.label}, "
                f"{len(members)} alerting): {', '.join(inside[:6])}"
                + (" \u2026" if len(inside) > 6 else "")
            )
    return safe_text("\n".join(lines), keep_newlines=True)
