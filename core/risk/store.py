"""Model files: skops, never pickle (DESIGN.md 6).

A model file is a skops archive of `{"format", "version", "meta", "pipeline"}`:
the fitted scikit-learn pipeline, and as JSON text everything else a
colleague may want to read without running it (the training schema, the
column treatment, calibration, band thresholds, metrics, the topology
features and the recent outcomes per service). Loading refuses any type
that is not scikit-learn's, numpy's or a builtin, so a model file from a
user cannot run code. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from core.risk.data import Schema
from core.risk.design import Context
from core.risk.features import GraphTable, OutcomeLog
from core.risk.model import Columns, RiskModel

__all__ = ["FORMAT", "VERSION", "ModelError", "finite_json", "load_model", "save_model"]

FORMAT = "watchfloor-risk-model"
VERSION = 1
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.")
_TRUSTED_NAMES = frozenset(
    {
        # What SplineTransformer (the additive model) holds.
        "scipy.interpolate._bsplines.BSpline",
        "scipy._lib.array_api_compat.numpy._aliases.asarray",
    }
)


class ModelError(ValueError):
    """A model file that cannot be used; one line, for the operator."""


def finite_json(value: Any) -> Any:
    """JSON has no NaN: None instead, recursively."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


def _nan(value: Any) -> Any:
    return float("nan") if value is None else value


def model_meta(model: RiskModel) -> dict[str, Any]:
    """Everything but the pipeline, as JSON-ready data."""
    context = model.context
    outcomes = context.outcomes
    if outcomes is not None and "last" in model.training:
        # Scoring needs only the outcomes of the last 90 days (the longest window).
        outcomes = outcomes.since(model.training["last"] - 90 * 86400)
    return finite_json(
        {
            "kind": model.kind,
            "calibration": list(model.calibration),
            "schema": model.schema.to_json(),
            "columns": {
                "numeric": list(model.columns.numeric),
                "categorical": list(model.columns.categorical),
                "log_scaled": list(model.columns.log_scaled),
                "binary": list(model.columns.binary),
            },
            "context": {
                "graph": context.graph.to_json() if context.graph is not None else None,
                "outcomes": outcomes.to_json() if outcomes is not None else None,
                "uses_activity": context.uses_activity,
            },
            "reference": model.reference,
            "centre": model.centre.tolist(),
            "thresholds": list(model.thresholds),
            "base_rate": model.base_rate,
            "metrics": model.metrics,
            "selection": model.selection,
            "training": model.training,
        }
    )


def save_model(model: RiskModel, path: str | Path) -> None:
    """Write the model atomically as a skops file."""
    import skops.io

    target = Path(path)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "meta": json.dumps(model_meta(model), separators=(",", ":")),
        "pipeline": model.pipeline,
    }
    directory = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    except OSError as exc:
        raise ModelError(f"{target}: cannot write ({exc.strerror})") from None
    os.close(handle)
    try:
        skops.io.dump(payload, temp)
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ModelError(f"{target}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_model(path: str | Path) -> RiskModel:
    """Read a model file written by `save_model` (raises ModelError)."""
    import skops.io

    file = Path(path)
    if not file.is_file():
        raise ModelError(f"{file}: no such model file")
    try:
        untrusted = skops.io.get_untrusted_types(file=file)
    except Exception:  # skops raises many kinds on a file that is not its own
        raise ModelError(f"{file}: not a Watchfloor risk model (not a skops file)") from None
    foreign = [t for t in untrusted if not (t.startswith(_TRUSTED_PREFIXES) or t in _TRUSTED_NAMES)]
    if foreign:
        raise ModelError(
            f"{file}: refusing to load types that are not scikit-learn's: {', '.join(foreign[:5])}"
        )
    try:
        payload = skops.io.load(file, trusted=untrusted)
    except Exception as exc:
        raise ModelError(f"{file}: unreadable model file ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{file}: not a Watchfloor risk model")
    if payload.get("version") != VERSION:
        raise ModelError(
            f"{file}: model format version {payload.get('version')} (this Watchfloor reads "
            f"{VERSION}); train it again"
        )
    try:
        meta = json.loads(payload["meta"])
        return _model(meta, payload["pipeline"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{file}: damaged model metadata ({exc})") from None


def _model(meta: dict[str, Any], pipeline: Any) -> RiskModel:
    columns = meta["columns"]
    context_data = meta["context"]
    context = Context(
        graph=GraphTable.from_json(context_data["graph"]) if context_data["graph"] else None,
        outcomes=OutcomeLog.from_json(context_data["outcomes"])
        if context_data["outcomes"]
        else None,
        uses_activity=bool(context_data["uses_activity"]),
    )
    reference = {k: _nan(v) if k in columns["numeric"] else v for k, v in meta["reference"].items()}
    a, b = meta["calibration"]
    medium, high = meta["thresholds"]
    return RiskModel(
        kind=str(meta["kind"]),
        pipeline=pipeline,
        calibration=(float(a), float(b)),
        schema=Schema.from_json(meta["schema"]),
        columns=Columns(
            numeric=tuple(columns["numeric"]),
            categorical=tuple(columns["categorical"]),
            log_scaled=tuple(columns["log_scaled"]),
            binary=tuple(columns["binary"]),
        ),
        context=context,
        reference=reference,
        centre=np.asarray(meta["centre"], dtype=np.float64),
        thresholds=(float(medium), float(high)),
        base_rate=float(meta["base_rate"]),
        metrics=meta["metrics"],
        selection=meta["selection"],
        training=meta["training"],
    )
