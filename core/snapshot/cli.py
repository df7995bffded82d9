"""`watchfloor snapshot`: export an incident snapshot headless.

    watchfloor snapshot --topology T --replay R [--at TIME] [--window 1h]
        [--domain ID] [--redact PATTERN ...] [--risk FILE] [--no-images] --out FILE

Images are drawn by the console's offscreen Qt renderer. core never imports
Qt or the console: `watchfloor` (console/app.py) hands this module a factory
with `use_image_renderer` before it runs the command, and the factory loads
Qt only when images are drawn. Where Qt is missing the command says so and
exits 2 (`--no-images` skips them).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.cli import Subparsers, UsageError, time_option
from core.ingest.mapping import DEFAULT_COMPONENT_LABELS

if TYPE_CHECKING:
    from core.snapshot.content import SnapshotContent

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd]?)", re.IGNORECASE)
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def register(commands: Subparsers) -> None:
    parser = commands.add_parser(
        "snapshot",
        help="export an incident snapshot (.wfsnap) to hand over or share",
        description=(
            "Run a replay through the engine up to --at and write one .wfsnap file: the "
            "analysis, the alerts (JSON and CSV), the domain timeline, the relevant topology, "
            "images and a self-contained HTML report. The same input gives a byte-identical file."
        ),
    )
    parser.add_argument("--topology", required=True, metavar="FILE", help="topology file")
    parser.add_argument("--replay", required=True, metavar="FILE", help="recorded alert stream")
    parser.add_argument("--out", required=True, metavar="FILE", help="snapshot file to write")
    parser.add_argument(
        "--at", metavar="TIME", help="the analysis time (default: the last observation)"
    )
    parser.add_argument(
        "--window", metavar="DURATION", default="1h", help="how far back from --at (default 1h)"
    )
    parser.add_argument("--domain", metavar="ID", help="only this failure domain (e.g. D3)")
    parser.add_argument(
        "--redact",
        metavar="PATTERN",
        nargs="+",
        action="extend",
        default=[],
        help="replace by stable pseudonyms: ip, hostnames, label:NAME, text:VALUE, "
        "re:REGEX (or a bare REGEX); the key comes from $WATCHFLOOR_REDACT_KEY or the inputs",
    )
    parser.add_argument(
        "--risk", metavar="FILE", help="scored deployments (JSON list of objects, or CSV)"
    )
    parser.add_argument("--no-images", action="store_true", help="skip the PNG images (no Qt)")
    parser.add_argument(
        "--component-labels",
        metavar="L1,L2,...",
        default=",".join(DEFAULT_COMPONENT_LABELS),
        help="labels that name an alert's component, first match wins",
    )
    parser.add_argument("--undirected", action="store_true", help="topology is undirected")
    parser.add_argument("--no-bridging", action="store_true", help="no silent bridging")
    parser.set_defaults(handler=_snapshot)


def parse_duration(text: str) -> float:
    """'1h', '90m', '2h30m', '45s' or plain seconds; raises ValueError."""
    value = text.strip()
    position = 0
    total = 0.0
    for match in _DURATION.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2).lower()]
        position = match.end()
    if not value or position != len(value):
        raise ValueError(f"not a duration: {text!r} (e.g. 1h, 30m, 2h30m, 900)")
    if total <= 0:
        raise ValueError(f"the duration must be positive: {text!r}")
    return total


def _snapshot(args: argparse.Namespace) -> int:
    from core.engine import EngineConfig
    from core.graph.loaders import TopologyError, load_topology
    from core.ingest.replay import ReplayError
    from core.snapshot.archive import SnapshotError
    from core.snapshot.content import SnapshotOptions
    from core.snapshot.export import export_snapshot, redaction_key
    from core.snapshot.redact import RedactionError, parse_patterns
    from core.timeline import load_records

    at = time_option(args.at, "--at")
    try:
        window = parse_duration(args.window)
    except ValueError as exc:
        raise UsageError(f"--window: {exc}") from None
    try:
        patterns = parse_patterns(args.redact)
    except RedactionError as exc:
        raise UsageError(str(exc)) from None
    labels = tuple(label.strip() for label in args.component_labels.split(",") if label.strip())
    if not labels:
        raise UsageError("--component-labels: give at least one label name")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise UsageError(f"--out: no such folder: {str(out.parent)!r}")
    risk = _read_risk(Path(args.risk)) if args.risk else None
    render = None if args.no_images else _renderer()
    config = EngineConfig(component_labels=labels, bridging=not args.no_bridging)
    try:
        topology = load_topology(args.topology, directed=False if args.undirected else None)
        records = load_records(args.replay)
    except (TopologyError, ReplayError) as exc:
        raise UsageError(str(exc)) from None
    key = b""
    if patterns:
        key = redaction_key([Path(args.topology).read_bytes(), Path(args.replay).read_bytes()])
    options = SnapshotOptions(
        at=at,
        window=window,
        domain=args.domain,
        config=config,
        topology_name=Path(args.topology).name,
        replay_name=Path(args.replay).name,
        risk_rows=None if risk is None else tuple(risk),
    )
    try:
        size = export_snapshot(
            out, topology, records, options, patterns=patterns, key=key, render=render
        )
    except (ValueError, SnapshotError) as exc:
        raise UsageError(str(exc)) from None
    print(f"wrote {out} ({size:,} bytes)", file=sys.stderr)
    return 0


Renderer = Callable[["SnapshotContent"], Mapping[str, bytes]]
_renderer_factory: Callable[[], Renderer] | None = None


def use_image_renderer(factory: Callable[[], Renderer]) -> None:
    """Where snapshot images come from: `factory()` returns the renderer.

    The factory is called only when images are drawn; it may raise ImportError
    (Qt missing), which the command reports in one line.
    """
    global _renderer_factory
    _renderer_factory = factory


def _renderer() -> Renderer:
    """The registered image renderer, or a UsageError saying why there is none."""
    if _renderer_factory is None:
        raise UsageError(
            "images are drawn by the console: run `watchfloor snapshot`, or pass --no-images"
        )
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # never needs a display
    try:
        return _renderer_factory()
    except ImportError as exc:
        raise UsageError(
            f"images need Qt (PySide6), which cannot be loaded here ({exc}); "
            "install it or pass --no-images"
        ) from None


def _read_risk(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--risk: cannot read {str(path)!r}: {exc}") from None
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"--risk: {path}: not JSON: {exc}") from None
        rows = data.get("rows", data.get("deployments")) if isinstance(data, dict) else data
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise UsageError(f"--risk: {path}: expected a list of objects")
        return rows
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise UsageError(f"--risk: {path}: no CSV header")
    return [dict(row) for row in reader]
