"""The risk model: candidate pipelines, choice by measurement, calibration, explanation.

Three scikit-learn candidates, all fed the same table:

- `logistic`: L2-regularised logistic regression on standardised features
  (skewed counts log-scaled first), categories one-hot;
- `additive`: the same regression over cubic spline bases of each numeric
  feature (a generalised additive model: one smooth curve per feature);
- `boosting`: `HistGradientBoostingClassifier` (native missing values and
  categories).

`fit_model(kind="auto")` picks one by measurement: rolling-origin folds over
the training rows (train on the earlier rows, score the next block) and the
lowest mean log loss wins; the figures are kept in the model.

Probabilities are calibrated time-aware with Platt scaling: the chosen
pipeline is fitted on the first 80% of the training rows in time, a sigmoid
`p = 1 / (1 + exp(-(a z + b)))` is fitted to its log-odds `z` on the last
20%, then the pipeline is refitted on all rows. A monotone map of `z` keeps
the explanation exact (below), which isotonic calibration would not.

Explanations decompose the calibrated log-odds of each score exactly:
`logit(p) = baseline + sum(contributions)`.
- Linear candidates: a feature's contribution is `a * w . (t(x) - mean t)`
  over its transformed columns `t`; the baseline is the log-odds of the
  average training deployment.
- Boosting: a per-tree path decomposition (Saabas): each node of a tree
  holds the training-weighted mean of its leaves; along a deployment's path,
  every split credits its feature with the move from the node's mean to the
  child's. Per tree the moves sum to the leaf's value minus the root's mean,
  so the baseline (the model's constant plus every root mean) and the
  contributions add up to the log-odds exactly. (Unlike SHAP values, the
  credit depends on which feature a tree splits on first.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from core.risk.data import HistoryError, Schema
from core.risk.design import Context
from core.risk.explain import Contribution, Explanation, Explanations, Forest

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "KINDS",
    "Contribution",
    "Explanation",
    "Explanations",
    "RiskModel",
    "fit_model",
    "fit_pipeline",
]

KINDS: tuple[str, ...] = ("logistic", "additive", "boosting")
"""Candidate pipelines; `auto` chooses among them by measurement."""

Progress = Callable[[float, str], None]
FloatArray = npt.NDArray[np.float64]

_SELECTION_FOLDS = 3
_SELECTION_ROWS = 25_000  # candidates are compared on at most this many recent rows
_CALIBRATION_SHARE = 0.2
_BANDS = (70.0, 90.0)  # medium / high: percentiles of out-of-time calibrated scores
_MISSING = "(missing)"
OPENMP_THREADS = 1


def _nothing(_fraction: float, _stage: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Columns:
    """How the model table's columns are treated."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    log_scaled: tuple[str, ...]
    binary: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.numeric + self.categorical


def plan_columns(
    table: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]
) -> Columns:
    """Decide, from training data, which numeric columns are binary or log-scaled."""
    log_scaled, binary = [], []
    for name in numeric:
        values = table[name].to_numpy(dtype=np.float64)
        present = values[~np.isnan(values)]
        if present.size and np.isin(present, (0.0, 1.0)).all():
            binary.append(name)
        elif present.size and present.min() >= 0 and present.max() > 10 * (np.median(present) + 1):
            log_scaled.append(name)
    return Columns(tuple(numeric), tuple(categorical), tuple(log_scaled), tuple(binary))


def prepare(table: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """The table the pipeline sees: log-scaled counts, categories as text with a missing marker."""
    import pandas as pd

    out: dict[str, Any] = {}
    for name in columns.numeric:
        values = table[name].to_numpy(dtype=np.float64)
        out[name] = np.log1p(np.maximum(values, 0.0)) if name in columns.log_scaled else values
    for name in columns.categorical:
        values = table[name].to_numpy(dtype=object)
        out[name] = np.array([_MISSING if _absent(v) else str(v) for v in values], dtype=object)
    return pd.DataFrame(out)


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _spline_knots(values: FloatArray) -> FloatArray | None:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return None
    knots = np.unique(np.quantile(present, np.linspace(0.0, 1.0, 6)))
    return knots if knots.size >= 3 else None


def build_pipeline(kind: str, prepared: pd.DataFrame, columns: Columns) -> Any:
    """An unfitted pipeline of the given kind for this table."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (
        OneHotEncoder,
        OrdinalEncoder,
        SplineTransformer,
        StandardScaler,
    )

    if kind == "boosting":
        steps: list[tuple[str, Any, list[str]]] = []
        if columns.numeric:
            steps.append(("numeric", "passthrough", list(columns.numeric)))
        if columns.categorical:
            encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=60
            )
            steps.append(("categorical", encoder, list(columns.categorical)))
        pre = ColumnTransformer(steps, verbose_feature_names_out=False)
        classifier = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=150,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            # Categories as ordinal codes with plain threshold splits (no native
            # categorical splits): every split is `x <= t`, which the exact
            # per-tree explanation below walks.
            categorical_features=None,
            early_stopping=False,
            random_state=0,
        )
        return Pipeline([("features", pre), ("classifier", classifier)])

    # Linear kinds: one transformer per feature, so each output column belongs to
    # exactly one input feature (the explanation sums over them).
    parts: list[tuple[str, Any, list[str]]] = []
    for name in columns.numeric:
        impute = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        knots = None
        if kind == "additive" and name not in columns.binary:
            knots = _spline_knots(prepared[name].to_numpy(dtype=np.float64))
        if knots is not None:
            spline = SplineTransformer(
                knots=knots.reshape(-1, 1), degree=3, extrapolation="constant"
            )
            steps_n = [("impute", impute), ("spline", spline), ("scale", StandardScaler())]
        else:
            steps_n = [("impute", impute), ("scale", StandardScaler())]
        parts.append((name, Pipeline(steps_n), [name]))
    for name in columns.categorical:
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist", min_frequency=5, sparse_output=False
        )
        parts.append((name, encoder, [name]))
    pre = ColumnTransformer(parts, verbose_feature_names_out=False, sparse_threshold=0.0)
    strength = 0.5 if kind == "logistic" else 0.1
    classifier = LogisticRegression(C=strength, solver="newton-cholesky", max_iter=200)
    return Pipeline([("features", pre), ("classifier", classifier)])


def _one_thread() -> Any:
    """OpenMP limited to one thread while fitting and predicting.

    Measured on this project's shared 2-core machine (load ~5): boosting on
    the 5,000-row demo took 17.7 s with OpenMP's default threads (spin-waiting
    against other processes) and 1.4 s with one.
    """
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    return threadpool_limits(limits=OPENMP_THREADS)


def fit_pipeline(
    kind: str, prepared: pd.DataFrame, labels: npt.NDArray[np.int8], columns: Columns
) -> Any:
    """Build and fit one candidate (raises HistoryError when the rows hold one outcome only)."""
    if len(np.unique(labels)) < 2:
        raise HistoryError("the training rows hold only one outcome: nothing to learn")
    pipeline = build_pipeline(kind, prepared, columns)
    with _one_thread():
        pipeline.fit(prepared, labels)
    return pipeline


def log_odds(pipeline: Any, prepared: pd.DataFrame) -> FloatArray:
    with _one_thread():
        return np.asarray(pipeline.decision_function(prepared), dtype=np.float64).ravel()


def _sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0))), dtype=np.float64)


def _platt(z: FloatArray, labels: npt.NDArray[np.int8]) -> tuple[float, float]:
    """Slope and intercept of a sigmoid fitted to out-of-time log-odds."""
    from sklearn.linear_model import LogisticRegression

    if len(np.unique(labels)) < 2:
        return 1.0, 0.0
    fit = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), labels)
    a, b = float(fit.coef_[0, 0]), float(fit.intercept_[0])
    return (a, b) if a > 0 else (1.0, 0.0)


def time_cut(times: FloatArray, share: float) -> int:
    """A row position near `share` of the (time-sorted) rows, never inside a tie."""
    n = len(times)
    cut = min(max(round(n * share), 1), n - 1)
    while 0 < cut < n and times[cut] == times[cut - 1]:
        cut += 1
    return cut


def rolling_origins(
    times: FloatArray,
    labels: npt.NDArray[np.int8],
    *,
    folds: int,
    start: float,
    min_test: int = 30,
) -> list[tuple[int, int]]:
    """(train end, test end) row positions: each block trains on all rows before it.

    The last `1 - start` of the rows is cut into `folds` blocks in time; a
    block is kept only when it and its training rows hold both outcomes.
    """
    n = len(times)
    bounds = [time_cut(times, start + (1.0 - start) * k / folds) for k in range(folds)] + [n]
    out = []
    for begin, end in pairwise(bounds):
        if end - begin < min_test:
            continue
        if len(np.unique(labels[:begin])) < 2 or len(np.unique(labels[begin:end])) < 2:
            continue
        out.append((begin, end))
    return out


def _log_loss(labels: npt.NDArray[np.int8], p: FloatArray) -> float:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(labels * np.log(q) + (1 - labels) * np.log(1 - q)))


def select_kind(
    prepared: pd.DataFrame,
    labels: npt.NDArray[np.int8],
    times: FloatArray,
    columns: Columns,
    progress: Progress,
) -> tuple[str, dict[str, dict[str, float]]]:
    """The candidate with the lowest mean rolling-origin log loss, and every candidate's figures."""
    from sklearn.metrics import average_precision_score

    offset = max(0, len(labels) - _SELECTION_ROWS)
    prepared = prepared.iloc[offset:].reset_index(drop=True)
    labels, times = labels[offset:], times[offset:]
    origins = rolling_origins(times, labels, folds=_SELECTION_FOLDS, start=0.55)
    if not origins:
        return "logistic", {}
    figures: dict[str, dict[str, float]] = {}
    steps = len(KINDS) * len(origins)
    done = 0
    for kind in KINDS:
        losses, precisions = [], []
        for begin, end in origins:
            progress(done / steps, f"comparing {kind}")
            fitted = fit_pipeline(kind, prepared.iloc[:begin], labels[:begin], columns)
            p = _sigmoid(log_odds(fitted, prepared.iloc[begin:end]))
            losses.append(_log_loss(labels[begin:end], p))
            precisions.append(float(average_precision_score(labels[begin:end], p)))
            done += 1
        figures[kind] = {"log_loss": float(np.mean(losses)), "pr_auc": float(np.mean(precisions))}
    best = min(KINDS, key=lambda k: (round(figures[k]["log_loss"], 4), KINDS.index(k)))
    return best, figures


@dataclass(slots=True)
class RiskModel:
    """A fitted, calibrated pipeline and everything needed to score and explain a plan."""

    kind: str
    pipeline: Any
    calibration: tuple[float, float]
    schema: Schema
    columns: Columns
    context: Context
    reference: dict[str, Any]  # medians / most common values of the training table
    centre: FloatArray  # mean transformed training row (linear kinds)
    thresholds: tuple[float, float]  # medium, high
    base_rate: float
    metrics: dict[str, Any] = field(default_factory=dict)
    selection: dict[str, dict[str, float]] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    _forest: Forest | None = field(default=None, repr=False)

    # -- scoring --------------------------------------------------------------

    def log_odds(self, table: pd.DataFrame) -> FloatArray:
        """Calibrated log-odds of failure for each row of a design table."""
        a, b = self.calibration
        return a * log_odds(self.pipeline, prepare(table, self.columns)) + b

    def predict(self, table: pd.DataFrame) -> FloatArray:
        """Calibrated probability of failure for each row."""
        return _sigmoid(self.log_odds(table))

    def band(self, score: float) -> str:
        medium, high = self.thresholds
        return "high" if score >= high else "medium" if score >= medium else "low"

    def bands(self, scores: FloatArray) -> list[str]:
        """`band` of many scores at once."""
        names = np.array(["low", "medium", "high"], dtype=object)
        level = (scores >= self.thresholds[0]).astype(np.intp) + (scores >= self.thresholds[1])
        return list(names[level])

    # -- explaining -------------------------------------------------------------

    def explain(self, table: pd.DataFrame) -> Explanations:
        """One exact decomposition per row (see the module doc)."""
        prepared = prepare(table, self.columns)
        if self.kind == "boosting":
            baseline, parts = self._tree_paths(prepared)
        else:
            baseline, parts = self._linear(prepared)
        total = baseline + parts.sum(axis=1)
        columns = [table[name].to_numpy() for name in self.columns.all]
        return Explanations(
            _sigmoid(total), baseline, self.columns.all, parts, columns, self._describe_many
        )

    def _linear(self, prepared: pd.DataFrame) -> tuple[float, FloatArray]:
        features = self.pipeline.named_steps["features"]
        classifier = self.pipeline.named_steps["classifier"]
        transformed = np.asarray(features.transform(prepared), dtype=np.float64)
        weights = classifier.coef_[0]
        a, b = self.calibration
        centred = (transformed - self.centre) * weights * a
        parts = np.zeros((len(prepared), len(self.columns.all)))
        for j, name in enumerate(self.columns.all):
            block = features.output_indices_[name]
            parts[:, j] = centred[:, block].sum(axis=1)
        baseline = a * (float(classifier.intercept_[0]) + float(self.centre @ weights)) + b
        return baseline, parts

    def _tree_paths(self, prepared: pd.DataFrame) -> tuple[float, FloatArray]:
        """Boosting: per-tree path decomposition (Saabas), exact by telescoping.

        Every node gets the training-weighted mean of its leaves' values (what
        the tree predicts on average for deployments reaching it); along a
        row's path from the root to its leaf, each split credits its feature
        with the move from the node's mean to the child's. Per tree the moves
        sum to leaf value - root mean, so the bias (baseline + root means) plus
        all contributions is the model's log-odds exactly. The moves along the
        path to each leaf are summed once per model (`_Forest`); a row then
        needs only its leaf in every tree, found for all trees at once, one
        numpy step per tree level.
        """
        from scipy.sparse import csr_array

        features = self.pipeline.named_steps["features"]
        if self._forest is None:
            names = list(features.get_feature_names_out())
            owner = np.array([self.columns.all.index(c) for c in names], dtype=np.intp)
            self._forest = Forest(self.pipeline.named_steps["classifier"], owner)
        forest = self._forest
        matrix = np.asarray(features.transform(prepared), dtype=np.float64)
        n, trees = len(matrix), forest.roots.size
        # One tree at a time over all rows: arrays of n stay in cache (measured
        # 175 -> ~105 ms for 150 trees x 10k rows against all pairs at once).
        columns = np.ascontiguousarray(matrix.T)
        leaves = np.empty((n, trees), dtype=np.intp)
        everyone = np.arange(n, dtype=np.intp)
        for k, root in enumerate(forest.roots.tolist()):
            node = np.full(n, root, dtype=np.intp)
            moving = everyone if not forest.leaf[root] else everyone[:0]
            while moving.size:  # rows not at a leaf of this tree yet
                step = node[moving]
                x = columns[forest.feature[step], moving]
                left = x <= forest.threshold[step]
                missing = np.isnan(x)
                if missing.any():
                    left[missing] = forest.missing_left[step[missing]]
                step = np.where(left, forest.left[step], forest.right[step])
                node[moving] = step
                moving = moving[~forest.leaf[step]]
            leaves[:, k] = node
        at = leaves.ravel()
        reached = csr_array(
            (np.ones(at.size), at, np.arange(0, at.size + 1, trees)),
            shape=(n, forest.path.shape[0]),
        )
        a, b = self.calibration
        return a * forest.bias + b, a * np.asarray(reached @ forest.path)

    def _describe_many(self, name: str, values: npt.NDArray[Any]) -> list[str]:
        """A feature's values in words, e.g. 'change_size 640 (typical 70)'.

        Each distinct value is worded once (plans repeat values a lot).
        """
        if name in self.columns.categorical:
            said: dict[Any, str] = {}
            out = []
            for value in values.tolist():
                words = said.get(value)
                if words is None:
                    words = f"{name} unknown" if _absent(value) else f"{name} = {value}"
                    said[value] = words
                out.append(words)
            return out
        numbers = np.asarray(values, dtype=np.float64)
        if numbers.size == 0:
            return []
        if name in self.columns.binary:
            choices = np.array([f"{name} no", f"{name} yes", f"{name} unknown"], dtype=object)
            pick = np.where(np.isnan(numbers), 2, (numbers >= 0.5).astype(np.intp))
            return list(choices[pick])
        typical = self.reference.get(name)
        suffix = ""
        if isinstance(typical, float) and not math.isnan(typical):
            suffix = f" (typical {typical:g})"
        distinct, where = np.unique(numbers, return_inverse=True)
        worded = np.array(
            [
                f"{name} unknown" if math.isnan(v) else f"{name} {v:g}{suffix}"
                for v in distinct.tolist()
            ],
            dtype=object,
        )
        return list(worded[where.reshape(-1)])


def _reference(table: pd.DataFrame, columns: Columns) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in columns.numeric:
        values = table[name].to_numpy(dtype=np.float64)
        present = values[~np.isnan(values)]
        out[name] = float(np.median(present)) if present.size else float("nan")
    for name in columns.categorical:
        counts: dict[str, int] = {}
        for v in table[name].tolist():
            if not _absent(v):
                counts[str(v)] = counts.get(str(v), 0) + 1
        out[name] = max(sorted(counts), key=lambda k: counts[k]) if counts else None
    return out


def fit_model(
    table: pd.DataFrame,
    labels: npt.NDArray[np.int8],
    times: FloatArray,
    schema: Schema,
    context: Context,
    *,
    kind: str = "auto",
    progress: Progress = _nothing,
    calibrated_like: RiskModel | None = None,
) -> RiskModel:
    """Choose (when `auto`), calibrate and fit a model on a time-sorted design table.

    `calibrated_like`: take the Platt map and band thresholds of that model
    (same kind, trained on an earlier part of these rows) instead of fitting
    them again; `risk train` refits its holdout model on every row this way
    (as scikit-learn's CalibratedClassifierCV(ensemble=False) refits its base
    estimator after calibrating on held-out predictions).
    """
    if kind != "auto" and kind not in KINDS:
        raise HistoryError(f"unknown model kind {kind!r} (auto, {', '.join(KINDS)})")
    if len(labels) < 20:
        raise HistoryError(f"{len(labels)} rows are too few to train on (need at least 20)")
    if len(np.unique(labels)) < 2:
        raise HistoryError("every training row has the same outcome: nothing to learn")
    clash = sorted(set(schema.features) & set(context.numeric + context.categorical))
    if clash:
        raise HistoryError(
            f"column(s) {', '.join(clash)} clash with derived features: rename or --exclude them"
        )
    columns = plan_columns(
        table, schema.numeric + context.numeric, schema.categorical + context.categorical
    )
    prepared = prepare(table, columns)
    selection: dict[str, dict[str, float]] = {}
    if kind == "auto":
        kind, selection = select_kind(
            prepared, labels, times, columns, lambda f, s: progress(0.7 * f, s)
        )
    if calibrated_like is None:
        progress(0.7, f"calibrating {kind}")
        cut = time_cut(times, 1.0 - _CALIBRATION_SHARE)
        early = fit_pipeline(kind, prepared.iloc[:cut], labels[:cut], columns)
        z_late = log_odds(early, prepared.iloc[cut:])
        a, b = _platt(z_late, labels[cut:])
        late_scores = _sigmoid(a * z_late + b)
        thresholds = (
            float(np.percentile(late_scores, _BANDS[0])),
            float(np.percentile(late_scores, _BANDS[1])),
        )
    else:
        (a, b), thresholds = calibrated_like.calibration, calibrated_like.thresholds
    progress(0.85, f"fitting {kind} on all rows")
    pipeline = fit_pipeline(kind, prepared, labels, columns)
    centre = np.zeros(0)
    if kind != "boosting":
        transformed = pipeline.named_steps["features"].transform(prepared)
        centre = np.asarray(transformed, dtype=np.float64).mean(axis=0)
    progress(1.0, "done")
    return RiskModel(
        kind=kind,
        pipeline=pipeline,
        calibration=(a, b),
        schema=schema,
        columns=columns,
        context=context,
        reference=_reference(table, columns),
        centre=centre,
        thresholds=thresholds,
        base_rate=float(labels.mean()),
        selection=selection,
        training={
            "rows": len(labels),
            "failures": int(labels.sum()),
            "first": float(times[0]),
            "last": float(times[-1]),
        },
    )
