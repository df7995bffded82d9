"""Time-aware evaluation: train on the past, test on the future.

The headline split trains on the first 80% of the history in time and tests
on the last 20%; rolling-origin folds then cut the last half of the history
into blocks, each tested by a model trained on every row before it (blocks
without both outcomes are skipped). A cut never falls between two
deployments at the same time. Every metric is computed on test rows only.

`top10_capture` / `top20_capture`: the share of the test failures that fall
in the riskiest 10% / 20% of test deployments by score (what a release
manager acts on). The calibration table groups test rows into ten bins of
equal size by score and sets the mean score beside the observed failure rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from core.risk.model import fit_model, rolling_origins, time_cut

if TYPE_CHECKING:
    import pandas as pd

    from core.risk.data import Schema
    from core.risk.design import Context

__all__ = ["Evaluation", "evaluate", "metrics", "render_text", "splits"]

HOLDOUT_SHARE = 0.2
Progress = Callable[[float, str], None]
Scorer = Callable[[int, int], npt.NDArray[np.float64]]
"""Scores of rows [begin, end) of the history."""
Fitter = Callable[[int, Progress], Scorer]
"""Trains on rows [0, train_end) and returns a scorer."""


def capture(labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64], share: float) -> float:
    """Share of all failures among the riskiest `share` of rows (ties broken by row order)."""
    total = int(labels.sum())
    if total == 0:
        return float("nan")
    k = max(1, math.ceil(share * len(labels)))
    riskiest = np.argsort(-scores, kind="stable")[:k]
    return float(labels[riskiest].sum() / total)


def calibration_table(
    labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64], bins: int = 10
) -> list[dict[str, float]]:
    order = np.argsort(scores, kind="stable")
    out = []
    for part in np.array_split(order, min(bins, len(order))):
        if part.size == 0:
            continue
        out.append(
            {
                "low": float(scores[part].min()),
                "high": float(scores[part].max()),
                "n": int(part.size),
                "predicted": float(scores[part].mean()),
                "observed": float(labels[part].mean()),
            }
        )
    return out


def metrics(labels: npt.NDArray[np.int8], scores: npt.NDArray[np.float64]) -> dict[str, Any]:
    """ROC AUC, PR AUC, Brier, log loss, top-10/20% capture and calibration of test scores."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    both = len(np.unique(labels)) == 2
    clipped = np.clip(scores, 1e-12, 1 - 1e-12)
    return {
        "roc_auc": float(roc_auc_score(labels, scores)) if both else float("nan"),
        "pr_auc": float(average_precision_score(labels, scores)) if both else float("nan"),
        "brier": float(np.mean((scores - labels) ** 2)),
        "log_loss": float(-np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))),
        "top10_capture": capture(labels, scores, 0.1),
        "top20_capture": capture(labels, scores, 0.2),
        "n_test": len(labels),
        "failures": int(labels.sum()),
        "base_rate": float(labels.mean()),
        "calibration": calibration_table(labels, scores),
    }


def splits(
    times: npt.NDArray[np.float64], labels: npt.NDArray[np.int8], folds: int
) -> tuple[int, list[tuple[int, int]]]:
    """The headline cut (first test row) and the rolling-origin (train end, test end) folds."""
    return time_cut(times, 1.0 - HOLDOUT_SHARE), rolling_origins(
        times, labels, folds=folds, start=0.5
    )


@dataclass(slots=True)
class Evaluation:
    """Headline metrics on the last 20%, and per rolling-origin fold."""

    headline: dict[str, Any]
    folds: list[dict[str, Any]] = field(default_factory=list)
    kind: str = ""
    chosen: list[str] = field(default_factory=list)
    models: list[Any] = field(default_factory=list)  # the RiskModel of each split
    selection: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.headline)
        out["model"] = self.kind
        out["selection"] = self.selection
        out["rolling"] = {
            "folds": self.folds,
            "mean": {
                key: _mean([f[key] for f in self.folds])
                for key in ("roc_auc", "pr_auc", "brier", "top10_capture", "top20_capture")
            }
            if self.folds
            else {},
        }
        return out


def _mean(values: list[float]) -> float:
    """Mean of the defined values (a fold without failures has no capture)."""
    defined = [v for v in values if not math.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")


def evaluate_with(
    times: npt.NDArray[np.float64],
    labels: npt.NDArray[np.int8],
    fitter: Fitter,
    *,
    folds: int = 3,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate any fitter on the standard splits (the benchmark's baseline uses this too).

    `fitter(train_end, progress)` trains on rows [0, train_end) and returns a
    scorer of row ranges.
    """
    report = progress or (lambda _f, _s: None)
    cut, origins = splits(times, labels, folds)
    steps = 1 + len(origins)

    def part(k: int) -> Progress:
        return lambda f, s: report((k + f) / steps, s)

    scorer = fitter(cut, part(0))
    headline = metrics(labels[cut:], scorer(cut, len(labels)))
    headline["n_train"] = cut
    evaluation = Evaluation(headline)
    for k, (begin, end) in enumerate(origins, start=1):
        score = fitter(begin, part(k))
        fold = metrics(labels[begin:end], score(begin, end))
        fold["n_train"] = begin
        fold.pop("calibration")
        evaluation.folds.append(fold)
    report(1.0, "done")
    return evaluation


def evaluate(
    table: pd.DataFrame,
    labels: npt.NDArray[np.int8],
    times: npt.NDArray[np.float64],
    schema: Schema,
    context: Context,
    *,
    kind: str = "auto",
    folds: int = 3,
    progress: Progress | None = None,
) -> Evaluation:
    """Our model (chosen and calibrated on each training part alone) on the standard splits."""
    chosen: list[str] = []
    selections: list[dict[str, dict[str, float]]] = []
    models: list[Any] = []

    def fitter(end: int, report: Progress) -> Scorer:
        model = fit_model(
            table.iloc[:end].reset_index(drop=True),
            labels[:end],
            times[:end],
            schema,
            context,
            kind=kind,
            progress=report,
        )
        chosen.append(model.kind)
        models.append(model)
        selections.append(model.selection)
        return lambda begin, stop: model.predict(table.iloc[begin:stop].reset_index(drop=True))

    evaluation = evaluate_with(times, labels, fitter, folds=folds, progress=progress)
    evaluation.kind = chosen[0] if chosen else kind
    evaluation.chosen = chosen
    evaluation.models = models
    evaluation.selection = selections[0] if selections else {}
    return evaluation


def render_text(result: dict[str, Any], source: str = "") -> str:
    """The evaluation as an engineer reads it in a terminal."""
    lines = [
        f"Risk model evaluation{f' of {source}' if source else ''} "
        f"(time-aware: trained on the past, tested on the future)",
        f"Model: {result.get('model', '?')}; trained on {result['n_train']:,} rows, "
        f"tested on the next {result['n_test']:,} ({result['failures']:,} failures, "
        f"base rate {result['base_rate']:.1%})",
        "",
        f"  ROC AUC        {result['roc_auc']:.3f}",
        f"  PR AUC         {result['pr_auc']:.3f}   (base rate {result['base_rate']:.3f})",
        f"  Brier          {result['brier']:.4f}",
        f"  Top 10% holds  {result['top10_capture']:.1%} of the failures",
        f"  Top 20% holds  {result['top20_capture']:.1%} of the failures",
        "",
        "Calibration (test rows in ten equal bins by score):",
        "  score range        rows   predicted  observed",
    ]
    for row in result["calibration"]:
        lines.append(
            f"  {row['low']:.3f}-{row['high']:.3f}   {row['n']:>7,}   "
            f"{row['predicted']:>8.3f}  {row['observed']:>8.3f}"
        )
    rolling = result.get("rolling", {})
    if rolling.get("folds"):
        lines.append("")
        lines.append("Rolling origin (each block scored by a model trained on all rows before it):")
        lines.append("  train     test   ROC AUC  PR AUC  Brier   top10  top20")
        for fold in rolling["folds"]:
            lines.append(
                f"  {fold['n_train']:>6,}  {fold['n_test']:>6,}   {fold['roc_auc']:.3f}   "
                f"{fold['pr_auc']:.3f}  {fold['brier']:.4f}  {fold['top10_capture']:.1%}  "
                f"{fold['top20_capture']:.1%}"
            )
        mean = rolling["mean"]
        lines.append(
            f"  mean             {mean['roc_auc']:.3f}   {mean['pr_auc']:.3f}  "
            f"{mean['brier']:.4f}  {mean['top10_capture']:.1%}  {mean['top20_capture']:.1%}"
        )
    return "\n".join(lines) + "\n"
