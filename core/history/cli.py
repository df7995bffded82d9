"""`watchfloor history ...`: the embedded history from the command line.

    history import --topology T --replay R     record a replay into the history
    history show [--at TIME] [--format json]    the analysis as of a time, rebuilt from history
    history shift [--from T1] [--to T2]         domains, time to acknowledge/resolve, noisiest
    history stats                               what the store holds
    history prune (--retention-days N | --before TIME)

Every subcommand takes `--db PATH` (default: the user's data directory).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.history.paths import default_history_path
from core.model import duration_text

if TYPE_CHECKING:
    from core.cli import Subparsers
    from core.history.reader import DomainOutcome, ShiftReport


def register(commands: Subparsers) -> None:
    history = commands.add_parser(
        "history",
        help="the embedded alert history: import, time travel, shift report, stats, prune",
        description="The embedded history (SQLite): what the console recorded.",
    )
    sub = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text, description=help_text)
        parser.add_argument(
            "--db",
            metavar="PATH",
            default=None,
            help=f"the history file (default: {default_history_path()})",
        )
        return parser

    imported = add("import", "record a replay into the history, as the console would")
    imported.add_argument("--topology", required=True, metavar="FILE")
    imported.add_argument("--replay", required=True, metavar="FILE")
    imported.set_defaults(handler=_import)

    show = add("show", "the analysis as of a time, rebuilt from the history (like analyze)")
    show.add_argument("--at", metavar="TIME", help="event time (RFC 3339 or epoch); default: end")
    show.add_argument(
        "--topology", metavar="FILE", help="topology file (default: the one the source recorded)"
    )
    show.add_argument("--format", choices=("json", "text"), default="text")
    show.set_defaults(handler=_show)

    shift = add("shift", "domains opened in a span, time to acknowledge and resolve, noisiest")
    shift.add_argument("--from", dest="start", metavar="TIME", help="default: 12 h before --to")
    shift.add_argument("--to", dest="end", metavar="TIME", help="default: the newest event")
    shift.add_argument("--format", choices=("json", "text"), default="text")
    shift.set_defaults(handler=_shift)

    stats = add("stats", "what the history holds")
    stats.add_argument("--format", choices=("json", "text"), default="text")
    stats.set_defaults(handler=_stats)

    prune = add("prune", "forget history older than a retention (alerts still firing stay)")
    group = prune.add_mutually_exclusive_group(required=True)
    group.add_argument("--retention-days", type=float, metavar="DAYS")
    group.add_argument("--before", metavar="TIME")
    prune.set_defaults(handler=_prune)


# -- handlers ------------------------------------------------------------------


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if args.db else default_history_path()


def _import(args: argparse.Namespace) -> int:
    from core.cli import UsageError
    from core.graph.loaders import TopologyError, load_topology
    from core.history.recorder import import_records, replay_source
    from core.history.store import HistoryError
    from core.history.writer import HistoryWriter
    from core.ingest.replay import ReplayError
    from core.timeline import load_records

    try:
        topology = load_topology(args.topology)
        records = load_records(args.replay)
        info = replay_source(args.replay, args.topology, len(records))
        writer = HistoryWriter(_db(args))
    except (TopologyError, ReplayError, HistoryError) as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:
        raise UsageError(f"cannot read {args.replay!r}: {exc.strerror or exc}") from None
    try:
        import_records(writer, info, topology, records)
        ok = writer.flush(timeout=None)
    finally:
        writer.close()
    if not ok:
        raise UsageError(writer.error or "history write failed")
    print(f"Recorded {len(records):,} records of {info.name} into {writer.path}")
    return 0


def _reader(args: argparse.Namespace) -> Any:
    from core.cli import UsageError
    from core.history.reader import HistoryReader
    from core.history.store import HistoryError

    try:
        return HistoryReader(_db(args))
    except HistoryError as exc:
        raise UsageError(str(exc)) from None


def _show(args: argparse.Namespace) -> int:
    from core.analysis import render_text
    from core.cli import UsageError, time_option
    from core.graph.loaders import TopologyError, load_topology
    from core.history.store import HistoryError
    from core.history.timetravel import analysis_from_history

    at = time_option(args.at, "--at")
    with _reader(args) as reader:
        topology_path = args.topology
        if topology_path is None:
            topology_path = _latest_topology(reader)
            if not topology_path:
                raise UsageError("the history names no topology file: give --topology")
        try:
            topology = load_topology(topology_path)
            analysis = analysis_from_history(reader, topology, at)
        except (TopologyError, HistoryError) as exc:
            raise UsageError(str(exc)) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(analysis.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(analysis))
    return 0


def _latest_topology(reader: Any) -> str:
    sources = [s for s in reader.sources() if s["topology"]]
    sources.sort(key=lambda s: s["last"] or 0.0)
    return str(sources[-1]["topology"]) if sources else ""


def _shift(args: argparse.Namespace) -> int:
    from core.cli import UsageError, time_option

    end = time_option(args.end, "--to")
    start = time_option(args.start, "--from")
    with _reader(args) as reader:
        if end is None:
            span = reader.time_span()
            end = (span[1] if span is not None else 0.0) + 1.0
        if start is None:
            start = end - 12 * 3600.0
        if start >= end:
            raise UsageError("--from must be before --to")
        report = reader.shift_report(start, end)
    if args.format == "json":
        sys.stdout.write(json.dumps(shift_json(report), indent=2) + "\n")
    else:
        sys.stdout.write(shift_text(report))
    return 0


def _stats(args: argparse.Namespace) -> int:
    from core.model import format_time

    with _reader(args) as reader:
        stats = reader.stats()
    if args.format == "json":
        sys.stdout.write(json.dumps(stats, indent=2) + "\n")
        return 0
    for key, value in stats.items():
        if key in ("first", "last", "pruned_before") and value is not None:
            value = format_time(value)
        elif isinstance(value, int):
            value = f"{value:,}"
        print(f"{key.replace('_', ' '):<18} {value if value is not None else '-'}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    from core.cli import UsageError, time_option
    from core.history.retention import prune, retention_cutoff
    from core.history.store import HistoryError, connect
    from core.model import format_time

    if args.retention_days is not None and not args.retention_days > 0:
        raise UsageError("--retention-days: expected a positive number of days")
    try:
        conn = connect(_db(args), create=False)
    except HistoryError as exc:
        raise UsageError(str(exc)) from None
    try:
        if args.before is not None:
            cutoff = time_option(args.before, "--before")
        else:
            cutoff = retention_cutoff(conn, args.retention_days)
        if cutoff is None:
            print("Nothing to prune.")
            return 0
        removed = prune(conn, cutoff)
    finally:
        conn.close()
    print(f"Pruned {removed:,} rows from before {format_time(cutoff)}")
    return 0


# -- shift report output ---------------------------------------------------------


def shift_json(report: ShiftReport) -> dict[str, Any]:
    from core.model import format_time

    return {
        "from": format_time(report.start),
        "to": format_time(report.end),
        "mean_time_to_acknowledge": report.mean_time_to_acknowledge,
        "mean_time_to_resolve": report.mean_time_to_resolve,
        "domains": [
            {
                "source": d.source,
                "domain": d.domain,
                "severity": d.severity.label,
                "opened": format_time(d.opened),
                "time_to_acknowledge": d.time_to_acknowledge,
                "time_to_resolve": d.time_to_resolve,
                "merged_into": d.merged_into,
                "top_cause": d.top_cause,
                "members": d.members,
            }
            for d in report.domains
        ],
        "noisiest": [
            {
                "component": n.component,
                "firings": n.firings,
                "alerts": n.alerts,
                "firing_seconds": round(n.firing_seconds, 3),
            }
            for n in report.noisiest
        ],
    }


def resolve_text(outcome: DomainOutcome) -> str:
    """How long a domain took to resolve, or the domain it merged into."""
    if outcome.merged_into is not None:
        return f"\u2192 {outcome.merged_into}"  # it went on as that domain
    return duration_text(outcome.time_to_resolve)


def shift_text(report: ShiftReport) -> str:
    from core.model import format_time
    from core.textsafe import safe_text

    lines = [
        f"Shift {format_time(report.start)} .. {format_time(report.end)}: "
        f"{len(report.domains)} failure domains opened",
        f"Mean time to acknowledge {duration_text(report.mean_time_to_acknowledge)}, "
        f"to resolve {duration_text(report.mean_time_to_resolve)}",
        "",
    ]
    for d in report.domains:
        lines.append(
            f"  {d.domain:<6} {d.severity.label:<8} {format_time(d.opened)}  "
            f"ack {duration_text(d.time_to_acknowledge):>7}  "
            f"resolve {resolve_text(d):>7}  "
            f"{safe_text(d.top_cause)}  ({safe_text(d.source)})"
        )
    lines.append("")
    lines.append("Noisiest components:")
    for n in report.noisiest:
        name = safe_text(n.component) if n.component else "(unmapped)"
        lines.append(f"  {name:<32} {n.firings:>6} firings  {n.alerts:>5} alerts")
    return "\n".join(lines) + "\n"
