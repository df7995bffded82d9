"""`watchfloor risk train | evaluate | score`: deployment risk from the command line."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from core.risk.data import DEFAULT_ROLE_NAMES, ColumnRoles, HistoryError

if TYPE_CHECKING:
    from core.cli import Subparsers

__all__ = ["ProgressBar", "register"]


class ProgressBar:
    """A one-line progress bar on stderr (a line per stage when stderr is not a terminal)."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = self.stream.isatty()
        self.stage = ""
        self.started = time.perf_counter()

    def __call__(self, fraction: float, stage: str) -> None:
        if not self.enabled:
            return
        fraction = min(max(fraction, 0.0), 1.0)
        elapsed = time.perf_counter() - self.started
        if self.tty:
            filled = round(fraction * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {fraction:4.0%} {elapsed:5.1f}s {stage[:40]:<40}")
            if fraction >= 1.0:
                self.stream.write("\n")
        elif stage != self.stage:
            self.stream.write(f"[{fraction:4.0%}] {elapsed:5.1f}s {stage}\n")
        self.stage = stage
        self.stream.flush()


def _roles(args: argparse.Namespace) -> ColumnRoles:
    exclude = tuple(c.strip() for c in (args.exclude or "").split(",") if c.strip())
    return ColumnRoles(
        label=args.label, time=args.time, id=args.id, service=args.service, exclude=exclude
    )


def _add_history_options(parser: argparse.ArgumentParser) -> None:
    def default(role: str) -> str:
        return "first of " + ", ".join(DEFAULT_ROLE_NAMES[role])

    parser.add_argument(
        "--history", required=True, metavar="FILE", help="deployment history (CSV or Parquet)"
    )
    parser.add_argument(
        "--topology",
        metavar="FILE",
        help="topology: adds blast radius, fan-in/out, tier and depth of each row's service",
    )
    parser.add_argument(
        "--replay",
        metavar="FILE",
        help="recorded alerts (needs --topology): alert activity before each deployment",
    )
    parser.add_argument("--label", metavar="COLUMN", help=f"outcome column ({default('label')})")
    parser.add_argument("--time", metavar="COLUMN", help=f"time column ({default('time')})")
    parser.add_argument("--id", metavar="COLUMN", help=f"id column ({default('id')})")
    parser.add_argument(
        "--service", metavar="COLUMN", help=f"service/component column ({default('service')})"
    )
    parser.add_argument("--exclude", metavar="C1,C2", help="columns not to use as features")
    parser.add_argument(
        "--kind",
        choices=("auto", "logistic", "additive", "boosting"),
        default="auto",
        help="model: auto chooses by time-aware measurement (default: auto)",
    )
    parser.add_argument(
        "--outcome-delay",
        type=float,
        default=0.0,
        metavar="HOURS",
        help="hours after a deployment before its outcome is known (default: 0)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def register(commands: Subparsers) -> None:
    risk = commands.add_parser(
        "risk",
        help="deployment risk: train, evaluate, score planned deployments",
        description="Score planned deployments for risk from deployment history.",
    )
    sub = risk.add_subparsers(dest="risk_command", metavar="ACTION", required=True)

    train = sub.add_parser("train", help="train a model on a history and save it (skops)")
    _add_history_options(train)
    train.add_argument("--model", required=True, metavar="FILE", help="model file to write")
    train.set_defaults(handler=_train)

    evaluate = sub.add_parser(
        "evaluate", help="time-aware evaluation: train on the past, test on the future"
    )
    _add_history_options(evaluate)
    evaluate.add_argument(
        "--folds", type=int, default=3, metavar="N", help="rolling-origin folds (default: 3)"
    )
    evaluate.add_argument(
        "--format", choices=("text", "json"), default="text", help="output (default: text)"
    )
    evaluate.set_defaults(handler=_evaluate)

    score = sub.add_parser("score", help="score planned deployments with a saved model")
    score.add_argument("--model", required=True, metavar="FILE", help="model file (skops)")
    score.add_argument("--plan", required=True, metavar="FILE", help="planned deployments (CSV)")
    score.add_argument(
        "--topology", metavar="FILE", help="a newer topology than the one trained with"
    )
    score.add_argument(
        "--replay", metavar="FILE", help="current alerts (needs --topology), if the model uses them"
    )
    score.add_argument(
        "--format", choices=("csv", "json"), default="csv", help="output (default: csv)"
    )
    score.set_defaults(handler=_score)


def _usage(exc: Exception) -> Exception:
    from core.cli import UsageError

    return UsageError(str(exc))


def _notes(notes: list[str], quiet: bool) -> None:
    if not quiet:
        for note in notes:
            print(f"note: {note}", file=sys.stderr)


def _prepare(args: argparse.Namespace) -> Any:
    from core.risk.scoring import prepare_history

    if args.outcome_delay < 0:
        raise _usage(ValueError("--outcome-delay: must be >= 0"))
    try:
        prepared = prepare_history(
            args.history,
            roles=_roles(args),
            topology=args.topology,
            replay=args.replay,
            outcome_delay_hours=args.outcome_delay,
        )
    except HistoryError as exc:
        raise _usage(exc) from None
    _notes(prepared.notes, args.quiet)
    return prepared


def _train(args: argparse.Namespace) -> int:
    from core.risk.scoring import band_text, train
    from core.risk.store import ModelError, save_model

    prepared = _prepare(args)
    try:
        model = train(prepared, kind=args.kind, progress=ProgressBar(enabled=not args.quiet))
        save_model(model, args.model)
    except (HistoryError, ModelError) as exc:
        raise _usage(exc) from None
    m = model.metrics
    print(
        f"Trained {model.kind} on {len(prepared.history):,} deployments "
        f"({model.training['failures']:,} failed); saved {args.model}\n"
        f"Holdout (last 20% in time): ROC AUC {m['roc_auc']:.3f}, PR AUC {m['pr_auc']:.3f}, "
        f"Brier {m['brier']:.4f}, top 10% holds {m['top10_capture']:.0%} of failures\n"
        f"Bands: {band_text(model)}"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from core.risk.evaluate import render_text
    from core.risk.scoring import run_evaluation

    if args.folds < 0:
        raise _usage(ValueError("--folds: must be >= 0"))
    prepared = _prepare(args)
    try:
        result = run_evaluation(
            prepared,
            kind=args.kind,
            folds=args.folds,
            progress=ProgressBar(enabled=not args.quiet),
        ).to_json()
    except HistoryError as exc:
        raise _usage(exc) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(_json_safe(result), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(result, args.history))
    return 0


def _json_safe(value: Any) -> Any:
    from core.risk.store import finite_json

    return finite_json(value)


def _score(args: argparse.Namespace) -> int:
    from core.export import csv_safe_cell
    from core.model import format_time
    from core.risk.scoring import score_plan
    from core.risk.store import ModelError, load_model
    from core.textsafe import safe_text

    try:
        model = load_model(args.model)
        scored, notes = score_plan(model, args.plan, topology=args.topology, replay=args.replay)
    except (HistoryError, ModelError) as exc:
        raise _usage(exc) from None
    _notes(notes, False)
    if args.format == "json":
        body = {
            "model": model.kind,
            "thresholds": {"medium": model.thresholds[0], "high": model.thresholds[1]},
            "deployments": [s.to_json() for s in scored],
        }
        sys.stdout.write(json.dumps(_json_safe(body), indent=2) + "\n")
        return 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "service", "time", "score", "band", "explanation"])
    for s in scored:
        when = format_time(s.time) if model.schema.time is not None else ""
        cells = [s.id, s.service, when, f"{s.score:.4f}", s.band, s.explanation.text()]
        writer.writerow([csv_safe_cell(safe_text(cell)) for cell in cells])
    sys.stdout.write(out.getvalue())
    return 0
