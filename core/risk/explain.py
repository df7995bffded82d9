"""Explanations: which features pushed a deployment's risk up or down, exactly.

An `Explanation` is a decomposition of a score's calibrated log-odds:
`logit(score) = baseline + sum(parts)`, one part per model column, with the
words for each part made only when shown. How the parts are computed for
each kind of model is described in core/risk/model.py; `Forest` holds a
fitted gradient-boosting model's trees as flat arrays for the boosting one.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Contribution", "Explanation", "Explanations", "Forest", "no_gc_pauses", "node_means"]

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


Describe = Callable[[str, npt.NDArray[Any]], list[str]]
"""Words for one feature's values, many rows at once: `describe(name, values)`."""


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Hold the cyclic garbage collector while a batch makes many small acyclic objects.

    Scoring 10k rows makes ~100k short strings, lists and row objects, none in
    a cycle; with a large heap (a trained model, pandas frames) each automatic
    collection walks it again: measured 480 ms -> 307 ms for 10k rows.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_QUIET = 0.01  # pushes smaller than this (log-odds) are not worth words


class Explanations:
    """Why each deployment of a batch got its score: one row of `parts` per deployment.

    `baseline + parts[i].sum()` is row i's calibrated log-odds. Everything is
    kept as arrays; words are made only when asked for, a feature column at a
    time (`describe` is vectorized), and `texts` words only each row's
    strongest pushes, so explaining 10k rows costs a few numpy passes.
    """

    __slots__ = (
        "_column_words",
        "_texts",
        "baseline",
        "columns",
        "describe",
        "names",
        "parts",
        "scores",
    )

    def __init__(
        self,
        scores: FloatArray,
        baseline: float,
        names: tuple[str, ...],
        parts: FloatArray,
        columns: list[npt.NDArray[Any]],
        describe: Describe,
    ) -> None:
        self.scores = scores
        self.baseline = baseline
        self.names = names
        self.parts = parts
        self.columns = columns  # columns[j]: feature names[j]'s value in every row
        self.describe = describe
        self._column_words: dict[int, list[str]] = {}
        self._texts: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, row: int) -> Explanation:
        return Explanation(self, row)

    def __iter__(self) -> Iterator[Explanation]:
        return (Explanation(self, i) for i in range(len(self)))

    def column_words(self, j: int) -> list[str]:
        """Feature j's value in words for every row (made once, then kept)."""
        words = self._column_words.get(j)
        if words is None:
            words = self._column_words[j] = self.describe(self.names[j], self.columns[j])
        return words

    def text(self, row: int, limit: int = 3) -> str:
        """Row `row`'s `Explanation.text`; the whole batch is worded at once, then kept."""
        texts = self._texts.get(limit)
        if texts is None:
            texts = self._texts[limit] = self.texts(limit)
        return texts[row]

    def texts(self, limit: int = 3, rows: npt.NDArray[np.intp] | None = None) -> list[str]:
        """`Explanation.text` for many rows at once (all rows when `rows` is None)."""
        with no_gc_pauses():
            return self._texts_of(limit, rows)

    def _texts_of(self, limit: int, rows: npt.NDArray[np.intp] | None) -> list[str]:
        parts = self.parts if rows is None else self.parts[rows]
        n = len(parts)
        if n == 0:
            return []
        order = np.argsort(-np.abs(parts), axis=1, kind="stable")
        ranked = np.take_along_axis(parts, order, axis=1)
        up = ranked > _QUIET
        down = ranked < -_QUIET
        up &= np.cumsum(up, axis=1) <= limit
        down &= np.cumsum(down, axis=1) <= limit
        keep = up | down  # row-major: each row's picks, strongest first
        where, rank = np.nonzero(keep)
        column = order[where, rank]
        pushes = ranked[where, rank]
        source = where if rows is None else np.asarray(rows)[where]
        words = np.empty(where.size, dtype=object)
        for j in np.unique(column).tolist():
            picked = np.flatnonzero(column == j)
            words[picked] = self.describe(self.names[j], self.columns[j][source[picked]])
        cells = [
            f"{w} (+{p:.2f})" if p >= 0 else f"{w} (\u2212{-p:.2f})"
            for w, p in zip(words.tolist(), pushes.tolist(), strict=True)
        ]
        rising = up[where, rank].tolist()
        bounds = np.searchsorted(where, np.arange(n + 1)).tolist()
        out = []
        for i in range(n):
            picks = range(bounds[i], bounds[i + 1])
            raised = [cells[k] for k in picks if rising[k]]
            lowered = [cells[k] for k in picks if not rising[k]]
            said = []
            if raised:
                said.append("raises: " + ", ".join(raised))
            if lowered:
                said.append("lowers: " + ", ".join(lowered))
            out.append("; ".join(said) if said else "close to a typical deployment")
        return out


class Explanation:
    """Why one deployment got its score: baseline + sum of contributions = its log-odds.

    A view of one row of an `Explanations` batch; `parts[j]` is the push of
    feature `names[j]`. Words are made only for the contributions asked for.
    """

    __slots__ = ("batch", "row")

    def __init__(self, batch: Explanations, row: int) -> None:
        self.batch = batch
        self.row = row

    @property
    def score(self) -> float:
        return float(self.batch.scores[self.row])

    @property
    def baseline(self) -> float:
        return self.batch.baseline

    @property
    def names(self) -> tuple[str, ...]:
        return self.batch.names

    @property
    def parts(self) -> FloatArray:
        return self.batch.parts[self.row]

    @property
    def values(self) -> tuple[Any, ...]:
        return tuple(column[self.row] for column in self.batch.columns)

    @property
    def log_odds(self) -> float:
        return self.baseline + float(self.parts.sum())

    def contributions(self, limit: int | None = None) -> list[Contribution]:
        """The strongest pushes first (all of them when `limit` is None)."""
        parts = self.parts
        order = np.argsort(-np.abs(parts), kind="stable")
        if limit is not None:
            order = order[:limit]
        return [
            Contribution(self.names[j], self.batch.column_words(j)[self.row], float(parts[j]))
            for j in order.tolist()
        ]

    def text(self, limit: int = 3) -> str:
        """'raises: change_size 640 (typical 70) (+0.62), ...; lowers: canary yes (−0.55)'."""
        return self.batch.text(self.row, limit)


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
