"""The model: it learns, explanations add up exactly, files round-trip and refuse mismatches."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import skops.io

from core.risk.data import HistoryError, load_plan
from core.risk.design import design_matrix
from core.risk.evaluate import capture, metrics, splits
from core.risk.model import RiskModel, fit_model
from core.risk.scoring import Prepared, score_plan
from core.risk.store import ModelError, load_model, save_model
from tests.core.risk.conftest import DEMO


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


@pytest.fixture(scope="module")
def models(demo_prepared: Prepared) -> dict[str, RiskModel]:
    history = demo_prepared.history
    assert history.labels is not None
    cut = 2500
    return {
        kind: fit_model(
            demo_prepared.table.iloc[:cut],
            history.labels[:cut],
            history.times[:cut],
            history.schema,
            demo_prepared.context,
            kind=kind,
        )
        for kind in ("logistic", "additive", "boosting")
    }


def test_every_kind_ranks_future_failures_better_than_chance(
    models: dict[str, RiskModel], demo_prepared: Prepared
) -> None:
    history = demo_prepared.history
    assert history.labels is not None
    future = demo_prepared.table.iloc[2500:]
    for kind, model in models.items():
        result = metrics(history.labels[2500:], model.predict(future))
        assert result["roc_auc"] > 0.62, kind
        assert result["top20_capture"] > 0.3, kind
        assert 0.0 < model.thresholds[0] < model.thresholds[1] < 1.0


@pytest.mark.parametrize("kind", ["logistic", "additive", "boosting"])
def test_explanations_sum_exactly_to_the_score(
    kind: str, models: dict[str, RiskModel], demo_prepared: Prepared
) -> None:
    model = models[kind]
    rows = demo_prepared.table.iloc[2500:2700].reset_index(drop=True)
    scores = model.predict(rows)
    explanations = model.explain(rows)
    for score, explanation in zip(scores, explanations, strict=True):
        assert explanation.score == pytest.approx(score, rel=1e-9, abs=1e-12)
        assert explanation.log_odds == pytest.approx(_logit(np.array(score)), abs=1e-8)
        listed = explanation.contributions()
        assert sum(c.log_odds for c in listed) + explanation.baseline == pytest.approx(
            explanation.log_odds, abs=1e-9
        )
        assert [abs(c.log_odds) for c in listed] == sorted(
            (abs(c.log_odds) for c in listed), reverse=True
        )


def test_explanations_say_what_pushed_the_risk_in_words(models: dict[str, RiskModel]) -> None:
    model = models["logistic"]
    plan = load_plan(DEMO / "planned.csv", model.schema)
    table = design_matrix(plan, model.context)
    table.loc[0, "has_migration"] = 1.0
    table.loc[1, "has_migration"] = 0.0
    with_migration, without = model.explain(table.iloc[:2])
    push = {c.feature: c for c in with_migration.contributions()}["has_migration"]
    assert push.value == "has_migration yes" and push.log_odds > 0
    assert "has_migration yes (+" in with_migration.text(limit=len(model.columns.all))
    other = {c.feature: c for c in without.contributions()}["has_migration"]
    assert other.log_odds < push.log_odds
    sized = {c.feature: c for c in with_migration.contributions()}["change_size"]
    assert sized.value.startswith("change_size ") and "(typical " in sized.value


def test_saved_model_round_trips_and_scores_the_plan_alike(
    tmp_path: Path, demo_model: RiskModel
) -> None:
    path = tmp_path / "risk.skops"
    save_model(demo_model, path)
    loaded = load_model(path)
    assert loaded.schema == demo_model.schema
    assert loaded.columns == demo_model.columns
    assert loaded.metrics["n_test"] == demo_model.metrics["n_test"]
    untrusted = skops.io.get_untrusted_types(file=path)
    assert untrusted and all(t.startswith(("sklearn.", "numpy.", "builtins.")) for t in untrusted)
    before, _ = score_plan(demo_model, DEMO / "planned.csv")
    after, notes = score_plan(loaded, DEMO / "planned.csv")
    assert [s.score for s in before] == pytest.approx([s.score for s in after], abs=1e-12)
    assert [s.band for s in before] == [s.band for s in after]
    assert [s.explanation.text() for s in before] == [s.explanation.text() for s in after]
    assert len(after) == 40 and not notes
    assert {s.band for s in after} <= {"low", "medium", "high"}


def test_loading_refuses_foreign_and_damaged_files(tmp_path: Path) -> None:
    not_a_model = tmp_path / "x.skops"
    not_a_model.write_bytes(b"not a zip at all")
    with pytest.raises(ModelError, match="not a Watchfloor risk model"):
        load_model(not_a_model)
    with pytest.raises(ModelError, match="no such model file"):
        load_model(tmp_path / "absent.skops")
    other = tmp_path / "other.skops"
    skops.io.dump({"format": "something-else", "version": 1}, other)
    with pytest.raises(ModelError, match="not a Watchfloor risk model"):
        load_model(other)
    evil = tmp_path / "evil.skops"
    skops.io.dump({"format": "watchfloor-risk-model", "payload": Path("x")}, evil)
    with pytest.raises(ModelError, match="refusing to load types"):
        load_model(evil)


def test_a_plan_that_does_not_match_the_model_is_a_clear_error(
    tmp_path: Path, demo_model: RiskModel
) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("deploy_id,time,service,team\nP1,2026-11-27T00:00:00Z,orders-api,t\n")
    with pytest.raises(HistoryError, match="the plan does not match the model"):
        score_plan(demo_model, plan)


def test_too_little_or_one_sided_history_is_refused(demo_prepared: Prepared) -> None:
    history = demo_prepared.history
    assert history.labels is not None
    table = demo_prepared.table
    with pytest.raises(HistoryError, match="too few"):
        fit_model(table.iloc[:5], history.labels[:5], history.times[:5], history.schema,
                  demo_prepared.context)  # fmt: skip
    ones = np.ones(100, dtype=np.int8)
    with pytest.raises(HistoryError, match="same outcome"):
        fit_model(table.iloc[:100], ones, history.times[:100], history.schema,
                  demo_prepared.context)  # fmt: skip


def test_capture_and_splits() -> None:
    labels = np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 1], dtype=np.int8)
    scores = np.array([0.1, 0.9, 0.2, 0.3, 0.4, 0.5, 0.05, 0.0, 0.01, 0.02])
    assert capture(labels, scores, 0.1) == pytest.approx(1 / 3)  # the top 1 row: a failure
    assert capture(labels, scores, 0.2) == pytest.approx(1 / 3)  # 0.9, 0.5
    times = np.repeat(np.arange(50.0), 4)  # ties everywhere
    rng = np.random.default_rng(1)
    y = (rng.random(200) < 0.3).astype(np.int8)
    cut, folds = splits(times, y, 3)
    assert times[cut - 1] < times[cut]
    assert folds and all(times[b - 1] < times[b] for b, _ in folds)
    assert all(b < e for b, e in folds) and folds[-1][1] == 200
    result = metrics(y, rng.random(200))
    assert set(result) >= {"roc_auc", "pr_auc", "brier", "top10_capture", "top20_capture"}
    assert sum(row["n"] for row in result["calibration"]) == 200
    assert not math.isnan(result["roc_auc"])


@pytest.mark.parametrize("kind", ["logistic", "boosting"])
def test_batch_words_say_the_strongest_pushes_of_each_row(
    kind: str, models: dict[str, RiskModel], demo_prepared: Prepared
) -> None:
    """The vectorized words equal a plain per-row reading of the contributions."""
    model = models[kind]
    rows = demo_prepared.table.iloc[3000:3300].reset_index(drop=True)
    rows.loc[0, "change_size"] = float("nan")  # a missing value is said as unknown
    explanations = model.explain(rows)
    for limit in (1, 3):
        texts = explanations.texts(limit)
        for i, explanation in enumerate(explanations):
            pushes = explanation.contributions()
            up = [c.words() for c in pushes if c.log_odds > 0.01][:limit]
            down = [c.words() for c in pushes if c.log_odds < -0.01][:limit]
            said = ([f"raises: {', '.join(up)}"] if up else []) + (
                [f"lowers: {', '.join(down)}"] if down else []
            )
            expected = "; ".join(said) or "close to a typical deployment"
            assert texts[i] == expected == explanation.text(limit)
    missing = {c.feature: c for c in explanations[0].contributions()}["change_size"]
    assert missing.value == "change_size unknown"
