"""Deployment risk: our model against a plain random forest, and training/scoring speed.

For the two real change histories (tests/data/deployments, gzip of the shared
files) and the demo history (with its topology), both models are evaluated
on the same time-aware splits (`core.risk.evaluate.evaluate_with`: train on
the first 80% in time and test on the rest, plus rolling-origin folds over
the last half); the baseline is scikit-learn's RandomForestClassifier with
its defaults on the same design table (missing values at the median,
categories as ordinal codes), outside the product.

Then: training (`risk train`'s work: model choice, calibration, holdout,
final fit) on 100k rows resampled from the demo history with its topology,
and scoring 10k planned rows (features, calibrated scores and explanations).

    .venv/bin/python benchmarks/bench_risk.py [--repeats N] [--skip-quality]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.graph.loaders import load_topology
from core.risk.data import ColumnRoles, History, history_from_frame, load_plan
from core.risk.design import build_context, design_matrix
from core.risk.evaluate import Evaluation, evaluate_with
from core.risk.scoring import Prepared, prepare_history, run_evaluation, score_history, train

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "deployments"
DEMO = ROOT / "resources" / "demo"
KEYS = ("roc_auc", "pr_auc", "brier", "top10_capture", "top20_capture")


def baseline(prepared: Prepared, folds: int) -> Evaluation:
    """A plain random forest, measured exactly like our model."""
    from sklearn.ensemble import RandomForestClassifier

    history = prepared.history
    assert history.labels is not None
    table = prepared.table.copy()
    for name in table.columns:
        values = table[name]
        if values.dtype == object or str(values.dtype) in ("str", "string"):
            table[name] = values.astype("category").cat.codes.astype(float)
    labels = history.labels

    def fitter(end: int, _report: Callable[[float, str], None]) -> Any:
        train_rows = table.iloc[:end]
        medians = train_rows.median(numeric_only=True)
        forest = RandomForestClassifier(random_state=0, n_jobs=1)
        forest.fit(train_rows.fillna(medians), labels[:end])
        return lambda begin, stop: forest.predict_proba(table.iloc[begin:stop].fillna(medians))[
            :, 1
        ]

    return evaluate_with(history.times, labels, fitter, folds=folds)


def report(name: str, ours: Evaluation, theirs: Evaluation, seconds: float) -> None:
    a, b = ours.to_json(), theirs.to_json()
    print(
        f"\n{name}: n_train {a['n_train']:,}, n_test {a['n_test']:,} "
        f"(test failures {a['failures']:,}, base rate {a['base_rate']:.3f}); "
        f"our model: {ours.kind} (folds chose {', '.join(ours.chosen[1:]) or '-'}); "
        f"evaluated in {seconds:.0f} s"
    )
    print(f"  {'metric':<15}{'ours':>9}{'forest':>9}   {'ours (rolling)':>15}{'forest':>9}")
    for key in KEYS:
        ra, rb = a["rolling"].get("mean", {}), b["rolling"].get("mean", {})
        print(
            f"  {key:<15}{a[key]:>9.4f}{b[key]:>9.4f}   "
            f"{ra.get(key, float('nan')):>15.4f}{rb.get(key, float('nan')):>9.4f}"
        )


def resampled(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """`rows` deployments drawn with replacement, spread over a year, new ids."""
    rng = np.random.default_rng(seed)
    out = frame.sample(rows, replace=True, random_state=seed).reset_index(drop=True)
    start = pd.Timestamp("2025-11-26", tz="UTC").timestamp()
    out["time"] = np.sort(start + rng.uniform(0, 365 * 86400, rows)).round()
    out["deploy_id"] = [f"R{i:06d}" for i in range(rows)]
    return out


def timing(repeats: int) -> None:
    topology = load_topology(DEMO / "topology.json")
    demo = pd.read_csv(DEMO / "deployments.csv")
    big = resampled(demo, 100_000, 1)
    seconds = []
    model = None
    for _ in range(repeats):
        started = time.perf_counter()
        history = history_from_frame(big, ColumnRoles(), source="resampled")
        context = build_context(history, topology=topology)
        prepared = Prepared(history, context, design_matrix(history, context))
        model = train(prepared)
        seconds.append(time.perf_counter() - started)
    assert model is not None
    print(
        f"\ntraining on 100,000 rows (demo resampled, with topology; auto choice, "
        f"calibration, holdout, final fit): median {statistics.median(seconds):.1f} s "
        f"over {repeats} (chose {model.kind}; {', '.join(f'{s:.1f}' for s in seconds)})"
    )

    plan_frame = resampled(demo.drop(columns=["failed"]), 10_000, 2)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.csv"
        plan_frame.to_csv(path, index=False)
        plan: History = load_plan(path, model.schema)
    score_times, predict_times = [], []
    for _ in range(max(5, repeats)):
        started = time.perf_counter()
        scored, _notes = score_history(model, plan)
        texts = [s.explanation.text() for s in scored]
        score_times.append(time.perf_counter() - started)
        table = design_matrix(plan, model.context)
        started = time.perf_counter()
        model.predict(table)
        predict_times.append(time.perf_counter() - started)
    assert len(texts) == 10_000
    print(
        f"scoring 10,000 planned rows (features + scores + explanations in words, "
        f"load {os.getloadavg()[0]:.2f}): "
        f"median {statistics.median(score_times) * 1000:.0f} ms; "
        f"calibrated scores alone {statistics.median(predict_times) * 1000:.0f} ms "
        f"({model.kind})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    if not args.skip_quality:
        datasets = [
            ("gerrit", DATA / "gerrit_k_feature.csv.gz", None),
            ("go", DATA / "go_k_feature.csv.gz", None),
            ("demo (with topology)", DEMO / "deployments.csv", DEMO / "topology.json"),
        ]
        for name, path, topology in datasets:
            started = time.perf_counter()
            prepared = prepare_history(path, topology=topology)
            ours = run_evaluation(prepared, folds=args.folds)
            seconds = time.perf_counter() - started
            report(name, ours, baseline(prepared, args.folds), seconds)
    timing(args.repeats)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
