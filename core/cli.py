"""The `watchfloor` command line: headless commands.

Exit status: 0 when the input was read (rejected records included), 2 for
unusable arguments or unreadable files, with a one-line reason and never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TypeAlias

from core.engine import EngineConfig
from core.graph.loaders import TopologyError, load_topology
from core.ingest.mapping import DEFAULT_COMPONENT_LABELS
from core.ingest.replay import ReplayError
from core.model import parse_time

EXIT_USAGE = 2


# argparse's subparsers action (its class is private).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """An argument or input the command cannot use; reported in one line, exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="watchfloor",
        description="Watchfloor: alert correlation for network operations centres.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    analyze = commands.add_parser(
        "analyze",
        help="correlate a recorded alert stream against a topology and report",
        description=(
            "Read a replay (NDJSON of Alertmanager webhooks, API v2 alerts or recorded "
            "Kafka envelopes, optionally gzip) through the engine and print the failure "
            "domains, their ranked root causes and impact."
        ),
    )
    analyze.add_argument(
        "--topology", required=True, metavar="FILE", help="node-link JSON, GraphML or CSV edge list"
    )
    analyze.add_argument(
        "--replay",
        metavar="FILE",
        help="recorded alert stream (.ndjson or .ndjson.gz); or --kafka/--topic",
    )
    _add_analyze_kafka(analyze)
    analyze.add_argument(
        "--at", metavar="TIME", help="report the state as of this event time (RFC 3339 or epoch)"
    )
    analyze.add_argument(
        "--format", choices=("json", "text"), default="text", help="output format (default: text)"
    )
    analyze.add_argument(
        "--component-labels",
        metavar="L1,L2,...",
        default=",".join(DEFAULT_COMPONENT_LABELS),
        help="labels that name an alert's component, first match wins "
        f"(default: {','.join(DEFAULT_COMPONENT_LABELS)})",
    )
    analyze.add_argument(
        "--undirected",
        action="store_true",
        help="treat the topology as undirected (dependency both ways)",
    )
    analyze.add_argument(
        "--no-bridging",
        action="store_true",
        help="do not join alerting components through a silent shared dependency",
    )
    analyze.set_defaults(handler=_analyze)
    for register in _command_modules():
        register(commands)
    return parser


def _command_modules() -> list[Callable[[Subparsers], None]]:
    """Each headless command group registers its own subparser and handler.

    A handler takes the parsed namespace and returns the exit status; it raises
    UsageError for anything the user can fix. Imports inside handlers stay lazy.
    """
    from core.history.cli import register as history
    from core.record import register as record
    from core.risk.cli import register as risk
    from core.snapshot.cli import register as snapshot
    from core.stores.cli import register as stores

    return [record, snapshot, history, stores, risk]


def _add_analyze_kafka(analyze: argparse.ArgumentParser) -> None:
    """`analyze --kafka B --topic T`: read live topics until idle instead of a replay."""
    from core.ingest.kafka_config import add_kafka_arguments
    from core.record import add_reading_arguments

    group = analyze.add_argument_group("Kafka input (in place of --replay; reads until idle)")
    add_kafka_arguments(group, default_from="earliest")  # type: ignore[arg-type]
    add_reading_arguments(group)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.error(f"unknown command {args.command!r}")
    try:
        return handler(args)
    except UsageError as exc:
        print(f"watchfloor {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def time_option(text: str | None, option: str) -> float | None:
    """A command-line time (RFC 3339 or epoch s/ms), None if not given; UsageError names it."""
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def _analyze(args: argparse.Namespace) -> int:
    from core.analysis import analyze_replay, render_text

    at = time_option(args.at, "--at")
    labels = tuple(label.strip() for label in args.component_labels.split(",") if label.strip())
    if not labels:
        raise UsageError("--component-labels: give at least one label name")
    config = EngineConfig(component_labels=labels, bridging=not args.no_bridging)
    try:
        topology = load_topology(args.topology, directed=False if args.undirected else None)
    except TopologyError as exc:
        raise UsageError(str(exc)) from None
    if args.kafka:
        from core.record import analyze_kafka

        if args.replay:
            raise UsageError("give --replay or --kafka, not both")
        analysis = analyze_kafka(args, topology, at=at, config=config)
    elif not args.replay:
        raise UsageError("give --replay FILE (or --kafka BOOTSTRAP --topic T)")
    else:
        try:
            analysis = analyze_replay(topology, args.replay, at=at, config=config)
        except ReplayError as exc:
            raise UsageError(str(exc)) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(analysis.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(analysis))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    # Run the imported `core.cli`, not this `__main__` copy: command modules raise
    # `core.cli.UsageError`, which a second copy of the class would not catch.
    from core.cli import main as _main

    raise SystemExit(_main())
