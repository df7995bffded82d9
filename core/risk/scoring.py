"""Train on a history file, score a plan file: what the commands and the console call.

Both take paths and a progress callback `(fraction, stage)` and raise
`HistoryError` / `ModelError` (one line) for anything the user can fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core.graph.loaders import TopologyError, load_topology
from core.ingest.mapping import DEFAULT_COMPONENT_LABELS
from core.ingest.replay import ReplayError
from core.risk.data import ColumnRoles, History, HistoryError, load_history, load_plan
from core.risk.design import Context, build_context, design_matrix
from core.risk.evaluate import Evaluation, evaluate
from core.risk.explain import Explanation, no_gc_pauses
from core.risk.features import Activity, GraphTable
from core.risk.model import RiskModel, fit_model
from core.timeline import load_records

if TYPE_CHECKING:
    from core.graph.topology import Topology

__all__ = [
    "Prepared",
    "ScoredDeployment",
    "TrainingCancelled",
    "prepare_history",
    "score_plan",
    "train",
]

Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _stage: str) -> None:
    return None


class TrainingCancelled(Exception):  # noqa: N818 (an outcome, not an error)
    """Raised by a progress callback to stop training at the next step (the console's Close)."""


@dataclass(slots=True)
class Prepared:
    """A history read, its derived-feature sources built, and its design table."""

    history: History
    context: Context
    table: Any  # pandas DataFrame
    notes: list[str] = field(default_factory=list)


def read_topology(path: str | Path | Topology | None) -> Topology | None:
    """A topology file read (or a topology already loaded, as the console has it)."""
    if path is None or not isinstance(path, str | Path):
        return path
    try:
        return load_topology(path)
    except TopologyError as exc:
        raise HistoryError(str(exc)) from None


def read_activity(
    topology: Topology | None,
    replay: str | Path | None,
    labels: Sequence[str] = DEFAULT_COMPONENT_LABELS,
) -> Activity | None:
    if replay is None:
        return None
    if topology is None:
        raise HistoryError("--replay needs --topology (alerts are placed on its components)")
    try:
        return Activity.from_records(topology, load_records(replay), labels)
    except ReplayError as exc:
        raise HistoryError(str(exc)) from None


def prepare_history(
    history_path: str | Path,
    *,
    roles: ColumnRoles | None = None,
    topology: str | Path | Topology | None = None,
    replay: str | Path | None = None,
    outcome_delay_hours: float = 0.0,
) -> Prepared:
    """Read the history and build every feature it allows (no look-ahead: features.py)."""
    history = load_history(history_path, roles)
    graph = read_topology(topology)
    activity = read_activity(graph, replay)
    context = build_context(
        history, topology=graph, activity=activity, outcome_delay=outcome_delay_hours * 3600.0
    )
    table = design_matrix(history, context)
    return Prepared(history, context, table, [*history.notes, *context.notes])


def train(prepared: Prepared, *, kind: str = "auto", progress: Progress = _quiet) -> RiskModel:
    """Choose, calibrate and fit on the whole history; metrics from a time-aware holdout.

    The kind is chosen (when `auto`) on the first 80% of the history in time,
    and the stored metrics are that model's on the last 20%, which it had not
    seen; the model saved is the same kind refitted on every row, keeping the
    holdout model's calibration and band thresholds.
    """
    history = prepared.history
    assert history.labels is not None
    evaluation = evaluate(
        prepared.table,
        history.labels,
        history.times,
        history.schema,
        prepared.context,
        kind=kind,
        folds=0,
        progress=lambda f, s: progress(0.6 * f, f"holdout: {s}"),
    )
    model = fit_model(
        prepared.table,
        history.labels,
        history.times,
        history.schema,
        prepared.context,
        kind=evaluation.kind,
        progress=lambda f, s: progress(0.6 + 0.4 * f, s),
        calibrated_like=evaluation.models[0],
    )
    model.metrics = evaluation.to_json()
    model.selection = evaluation.selection
    model.training["source"] = Path(history.source).name
    return model


def run_evaluation(
    prepared: Prepared, *, kind: str = "auto", folds: int = 3, progress: Progress = _quiet
) -> Evaluation:
    history = prepared.history
    assert history.labels is not None
    return evaluate(
        prepared.table,
        history.labels,
        history.times,
        history.schema,
        prepared.context,
        kind=kind,
        folds=folds,
        progress=progress,
    )


@dataclass(frozen=True, slots=True)
class ScoredDeployment:
    """One planned deployment's risk."""

    id: str
    service: str
    time: float
    score: float
    band: str
    explanation: Explanation

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "time": self.time,
            "score": round(self.score, 6),
            "band": self.band,
            "explanation": self.explanation.text(),
            "baseline_log_odds": round(self.explanation.baseline, 6),
            "contributions": [
                {"feature": c.feature, "value": c.value, "log_odds": round(c.log_odds, 6)}
                for c in self.explanation.contributions()
            ],
        }


def score_history(
    model: RiskModel,
    plan: History,
    *,
    topology: Topology | None = None,
    activity: Activity | None = None,
) -> tuple[list[ScoredDeployment], list[str]]:
    """Scores and explanations of planned rows already read against the model's schema."""
    notes = list(plan.notes)
    saved = model.context
    graph = saved.graph
    if topology is not None and saved.graph is not None and plan.services is not None:
        graph = GraphTable.build(topology, plan.services)
    if graph is not None and plan.services is not None:
        unknown = sorted({s for s in plan.services if s not in graph.rows})
        if unknown:
            notes.append(f"not in the topology (features imputed): {', '.join(unknown[:8])}")
    if saved.uses_activity and activity is None:
        notes.append("no --replay: recent alert activity unknown (imputed)")
    context = Context(
        graph=graph,
        activity=activity if saved.uses_activity else None,
        outcomes=saved.outcomes,
        uses_activity=saved.uses_activity,
    )
    table = design_matrix(plan, context)
    with no_gc_pauses():
        explanations = model.explain(table)
        services = plan.services or [""] * len(plan)
        scores = explanations.scores.tolist()
        bands = model.bands(explanations.scores)
        times = np.asarray(plan.times, dtype=np.float64).tolist()
        scored = [
            ScoredDeployment(
                plan.ids[i], services[i], times[i], scores[i], bands[i], explanations[i]
            )
            for i in range(len(scores))
        ]
    return scored, notes


def score_plan(
    model: RiskModel,
    plan_path: str | Path,
    *,
    topology: str | Path | Topology | None = None,
    replay: str | Path | None = None,
) -> tuple[list[ScoredDeployment], list[str]]:
    """Read a plan file against the model's schema and score every row."""
    plan = load_plan(plan_path, model.schema)
    graph = read_topology(topology)
    activity = read_activity(graph, replay) if model.context.uses_activity else None
    return score_history(model, plan, topology=graph, activity=activity)


def band_text(model: RiskModel) -> str:
    medium, high = model.thresholds
    return f"low < {medium:.3f} \u2264 medium < {high:.3f} \u2264 high"
