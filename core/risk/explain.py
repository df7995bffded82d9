"""Explanations: which features pushed a deployment's risk up or down, exactly.

An `Explanation` is a decomposition of a score's calibrated log-odds:
`logit(score) = baseline + sum(parts)`, one part per model column, with the
words for each part made only when shown. How the parts are computed for
each kind of model is described in core/risk/model.py; `Forest` holds a
fitted gradient-boosting model's trees as flat arrays for the boosting one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Contribution", "Explanation", "Forest", "node_means"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature's push on a score, in log-odds (positive: riskier)."""

    feature: str
    value: str
    log_odds: float

    def words(self) -> str:
        sign = "+" if self.log_odds >= 0 else "\u2212"
        return f"{self.value} ({sign}{abs(self.log_odds):.2f})"


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why one deployment got its score: baseline + sum of contributions = its log-odds.

    `parts[j]` is the push of feature `names[j]`; `values[j]` its value as
    read. Words are made only for the contributions asked for.
    """

    score: float
    baseline: float
    names: tuple[str, ...]
    parts: FloatArray
    values: tuple[Any, ...]
    describe: Callable[[str, Any], str]

    @property
    def log_odds(self) -> float:
        return self.baseline + float(self.parts.sum())

    def contributions(self, limit: int | None = None) -> list[Contribution]:
        """The strongest pushes first (all of them when `limit` is None)."""
        order = np.argsort(-np.abs(self.parts), kind="stable")
        if limit is not None:
            order = order[:limit]
        return [
            Contribution(
                self.names[j], self.describe(self.names[j], self.values[j]), float(self.parts[j])
            )
            for j in order.tolist()
        ]

    def text(self, limit: int = 3) -> str:
        """'raises: change_size 640 (typical 70) (+0.62), ...; lowers: canary yes (−0.55)'."""
        pushes = self.parts
        order = np.argsort(-np.abs(pushes), kind="stable")
        ranked = pushes[order]
        up = order[ranked > 0.01][:limit].tolist()
        down = order[ranked < -0.01][:limit].tolist()

        def words(j: int) -> str:
            value = float(pushes[j])
            sign = "+" if value >= 0 else "\u2212"
            return f"{self.describe(self.names[j], self.values[j])} ({sign}{abs(value):.2f})"

        parts = []
        if up:
            parts.append("raises: " + ", ".join(words(j) for j in up))
        if down:
            parts.append("lowers: " + ", ".join(words(j) for j in down))
        return "; ".join(parts) if parts else "close to a typical deployment"


class Forest:
    """A fitted HistGradientBoostingClassifier's trees as flat arrays, for explanations.

    Reads the classifier's predictor node arrays (scikit-learn internals;
    tests/core/risk/test_model.py checks the decomposition against
    `decision_function`, so a change there fails loudly). Leaves point to
    themselves.
    """

    def __init__(self, classifier: Any, owner: npt.NDArray[np.intp]) -> None:
        trees = [predictors[0].nodes for predictors in classifier._predictors]
        sizes = np.array([len(t) for t in trees], dtype=np.intp)
        offsets = np.concatenate(([0], np.cumsum(sizes)))
        self.roots = offsets[:-1]
        nodes = np.concatenate(trees)
        total = len(nodes)
        leaf = nodes["is_leaf"] == 1
        own = np.arange(total, dtype=np.intp)
        shift = np.repeat(offsets[:-1], sizes)
        self.left = np.where(leaf, own, nodes["left"].astype(np.intp) + shift)
        self.right = np.where(leaf, own, nodes["right"].astype(np.intp) + shift)
        self.feature = np.where(leaf, 0, nodes["feature_idx"]).astype(np.intp)
        self.threshold = nodes["num_threshold"].astype(np.float64)
        self.missing_left = nodes["missing_go_to_left"] == 1
        self.leaf = leaf
        mean = np.concatenate([node_means(t) for t in trees])
        self.bias = float(np.ravel(classifier._baseline_prediction)[0]) + float(
            mean[self.roots].sum()
        )
        # The moves along the path from the root to every node (parents come first).
        path = np.zeros((total, int(owner.max()) + 1 if owner.size else 1))
        for i in np.flatnonzero(~leaf).tolist():
            column = owner[self.feature[i]]
            for child in (self.left[i], self.right[i]):
                path[child] = path[i]
                path[child, column] += mean[child] - mean[i]
        self.path = path


def node_means(nodes: Any) -> FloatArray:
    """Training-weighted mean leaf value under each node (children come after parents)."""
    count = nodes["count"].astype(np.float64)
    total = np.where(nodes["is_leaf"] == 1, nodes["value"] * count, 0.0)
    weight = np.where(nodes["is_leaf"] == 1, count, 0.0)
    for i in range(len(nodes) - 1, -1, -1):
        if not nodes["is_leaf"][i]:
            left, right = nodes["left"][i], nodes["right"][i]
            total[i] = total[left] + total[right]
            weight[i] = weight[left] + weight[right]
    return np.asarray(total / np.maximum(weight, 1e-12), dtype=np.float64)
