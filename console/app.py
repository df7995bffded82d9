"""`watchfloor`: the console, and the headless subcommands without loading Qt.

`watchfloor analyze ...` goes straight to core.cli (no PySide6 import, so it
runs on servers without a display). Everything else opens the console:

    watchfloor                         the last files, paused (or empty)
    watchfloor --demo                  the bundled demo, playing
    watchfloor --topology T --replay R [--speed X] [--at TIME]
    watchfloor --demo --screenshot out.png --exit-after 3   render, save, exit 0
    watchfloor open incident.wfsnap    a snapshot, read-only (checked before the window opens)

Bad arguments and unreadable files are one line on stderr and exit status 2,
before any window opens; never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from core.ingest.kafka_config import KafkaOptions
    from core.snapshot.content import SnapshotContent
    from core.stores.influx import InfluxConfig
    from core.stores.neo4j_store import Neo4jConfig

# Subcommands that never open a window (core.cli): no PySide6 import.
HEADLESS_COMMANDS = frozenset({"analyze", "record", "risk", "snapshot", "topology", "history"})
EXIT_USAGE = 2
DEMO_SPEED = 50.0  # the demo's alert hour in 72 seconds


class UsageError(Exception):
    """An argument the console cannot use: one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    """The console's command line, checked."""

    topology: Path | None = None
    replay: Path | None = None
    demo: bool = False
    theme: str | None = None
    speed: float | None = None
    at: float | None = None
    screenshot: Path | None = None
    exit_after: float | None = None
    settings: Path | None = None
    size: tuple[int, int] | None = None
    kafka: KafkaOptions | None = None
    history: Path | None = None
    no_history: bool = False
    retention_days: float | None = None
    snapshot: Path | None = None  # `watchfloor open FILE`: a snapshot, read-only
    neo4j: Neo4jConfig | None = None  # topology from Neo4j in place of --topology
    influx: InfluxConfig | None = None  # alert events and counts to InfluxDB

    @property
    def time_travel(self) -> bool:
        """`--history DB --at TIME` alone: open the history as of that time."""
        return (
            self.history is not None
            and self.at is not None
            and not (self.demo or self.replay or self.kafka or self.snapshot)
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="watchfloor",
        description="Watchfloor operator console. Headless commands: `watchfloor analyze --help`.",
    )
    parser.add_argument("--demo", action="store_true", help="open the bundled demo and play it")
    parser.add_argument("--topology", metavar="FILE", help="topology file (JSON, GraphML, CSV)")
    parser.add_argument("--replay", metavar="FILE", help="recorded alert stream (.ndjson[.gz])")
    parser.add_argument("--theme", choices=("dark", "light"), help="colour theme")
    parser.add_argument(
        "--speed",
        metavar="X",
        help=f"replay speed: 1 to 100, or 'max' (default 1; {DEMO_SPEED:g} for --demo)",
    )
    parser.add_argument(
        "--at", metavar="TIME", help="open the replay at this event time (RFC 3339 or epoch)"
    )
    parser.add_argument(
        "--screenshot", metavar="PATH", help="save the window as PNG, then exit (see --exit-after)"
    )
    parser.add_argument(
        "--exit-after",
        metavar="SECONDS",
        type=float,
        help="run this long after loading (replay playing), then exit 0",
    )
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1600x1000")
    parser.add_argument(
        "--settings", metavar="FILE", help="INI settings file instead of the user's settings"
    )
    _add_kafka_options(parser)
    _add_history_options(parser)
    from core.stores.options import add_store_arguments

    add_store_arguments(parser)
    return parser


def _add_history_options(parser: argparse.ArgumentParser) -> None:
    """The embedded history: where it is, whether to record, how long to keep it."""
    history = parser.add_argument_group("history (embedded SQLite; `watchfloor history --help`)")
    history.add_argument(
        "--history",
        metavar="DB",
        help="history file (default: the settings, else $XDG_DATA_HOME/watchfloor/history.sqlite);"
        " with --at and no replay: open the history as of that time",
    )
    history.add_argument(
        "--no-history", action="store_true", help="do not record this session into the history"
    )
    history.add_argument(
        "--retention-days",
        metavar="DAYS",
        type=float,
        help="keep this many days of history (0: forever; default: the settings, else 30)",
    )


def _add_kafka_options(parser: argparse.ArgumentParser) -> None:
    """Live from Kafka: `watchfloor --kafka BOOTSTRAP --topic T [--topology FILE] ...`."""
    from core.ingest.kafka_config import add_kafka_arguments

    live = parser.add_argument_group("live from Kafka (in place of --replay)")
    add_kafka_arguments(live)  # type: ignore[arg-type]
    live.add_argument(
        "--dead-letter", metavar="TOPIC", help="also send rejected messages to this topic"
    )


def _kafka_options(args: argparse.Namespace) -> KafkaOptions | None:
    from core.ingest.kafka_config import KafkaConfigError, default_group, options_from_args

    if not args.kafka:
        if args.topic or args.kafka_properties or args.kafka_config or args.dead_letter:
            raise UsageError("--topic, -X, --kafka-config and --dead-letter need --kafka")
        return None
    if args.demo or args.replay:
        raise UsageError("--kafka reads live; leave out --demo/--replay")
    try:
        return options_from_args(args, default_group_id=default_group())
    except KafkaConfigError as exc:
        raise UsageError(str(exc)) from None


def parse_options(argv: Sequence[str]) -> ConsoleOptions:
    """Parse and check the console's arguments (raises UsageError); imports no Qt."""
    args = build_parser().parse_args(list(argv))
    from core.model import parse_time

    if args.demo and (args.topology or args.replay):
        raise UsageError("--demo opens the bundled files; leave out --topology/--replay")
    if args.replay and not (args.topology or args.neo4j):
        raise UsageError("--replay needs --topology (or --neo4j)")
    if args.neo4j and (args.topology or args.demo):
        raise UsageError("--neo4j is the topology; leave out --topology/--demo")
    topology = _readable(args.topology, "--topology")
    replay = _readable(args.replay, "--replay")
    speed = None if args.speed is None else _speed(args.speed)
    at = None
    if args.at is not None:
        if not (args.demo or replay or args.history):
            raise UsageError("--at needs a replay (--replay or --demo) or --history")
        try:
            at = parse_time(args.at)
        except ValueError as exc:
            raise UsageError(f"--at: {exc}") from None
    exit_after = args.exit_after
    if exit_after is not None and not (math.isfinite(exit_after) and exit_after >= 0):
        raise UsageError(f"--exit-after: expected seconds >= 0, got {exit_after:g}")
    screenshot = Path(args.screenshot) if args.screenshot else None
    if screenshot is not None:
        if exit_after is None:
            raise UsageError("--screenshot needs --exit-after SECONDS")
        folder = screenshot.parent if str(screenshot.parent) else Path(".")
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise UsageError(f"--screenshot: cannot write to folder {str(folder)!r}")
    settings = Path(args.settings) if args.settings else None
    if settings is not None and settings.exists() and not os.access(settings, os.R_OK | os.W_OK):
        raise UsageError(f"--settings: cannot read and write {str(settings)!r}")
    neo4j, influx = _store_options(args)
    return ConsoleOptions(
        topology=topology,
        replay=replay,
        demo=args.demo,
        theme=args.theme,
        speed=speed,
        at=at,
        screenshot=screenshot,
        exit_after=exit_after,
        settings=settings,
        size=_size(args.size) if args.size else None,
        kafka=_kafka_options(args),
        history=_history_path(args, time_travel=at is not None and not (args.demo or replay)),
        no_history=args.no_history,
        retention_days=_retention(args.retention_days),
        neo4j=neo4j,
        influx=influx,
    )


def _store_options(args: argparse.Namespace) -> tuple[Neo4jConfig | None, InfluxConfig | None]:
    from core.stores.options import store_configs

    try:
        return store_configs(args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _history_path(args: argparse.Namespace, *, time_travel: bool) -> Path | None:
    history = Path(args.history).expanduser() if args.history else None
    if time_travel and history is not None and not history.is_file():
        raise UsageError(f"--history: no such file: {args.history!r}")
    if history is not None and history.is_dir():
        raise UsageError(f"--history: {args.history!r} is a folder; name the history file")
    return history


def _retention(days: float | None) -> float | None:
    if days is not None and not (math.isfinite(days) and days >= 0):
        raise UsageError(f"--retention-days: expected days >= 0, got {days:g}")
    return days


def parse_open(argv: Sequence[str]) -> ConsoleOptions:
    """`watchfloor open FILE [--theme ...]`: check the snapshot before any window opens."""
    import dataclasses

    if not argv or argv[0].startswith("-"):
        if "-h" in argv or "--help" in argv:
            print("usage: watchfloor open FILE.wfsnap [console options: --theme, --size, ...]")
            raise SystemExit(0)
        raise UsageError("open: name a snapshot file (.wfsnap)")
    path = _readable(argv[0], "open")
    assert path is not None
    options = parse_options(argv[1:])
    if options.demo or options.topology or options.replay or options.kafka or options.at:
        raise UsageError("open shows a snapshot as it is: no --demo/--topology/--replay/--at")
    from core.snapshot.archive import SnapshotError, read_snapshot

    try:
        read_snapshot(path)  # a damaged or tampered file: one line now, no window
    except SnapshotError as exc:
        raise UsageError(str(exc)) from None
    return dataclasses.replace(options, snapshot=path)


def _readable(value: str | None, option: str) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        raise UsageError(f"{option}: no such file: {value!r}")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise UsageError(f"{option}: cannot read {value!r}: {exc.strerror or exc}") from None
    return path


def _speed(text: str) -> float:
    if text.strip().lower() in ("max", "inf", "fastest"):
        return math.inf
    try:
        speed = float(text.rstrip("xX\u00d7"))
    except ValueError:
        raise UsageError(f"--speed: expected a number or 'max', got {text!r}") from None
    if not (math.isfinite(speed) and speed > 0):
        raise UsageError(f"--speed: expected a positive number or 'max', got {text!r}")
    return speed


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size: expected WIDTHxHEIGHT, got {text!r}") from None
    if not (320 <= width <= 10_000 and 240 <= height <= 10_000):
        raise UsageError(f"--size: {text!r} is out of range")
    return width, height


def _snapshot_renderer() -> Callable[[SnapshotContent], Mapping[str, bytes]]:
    """The offscreen Qt renderer of snapshot images, loaded only when images are drawn."""
    from console.snapshot_images import render_images

    return render_images


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in HEADLESS_COMMANDS:
        from core.cli import main as headless_main

        if args[0] == "snapshot":
            from core.snapshot.cli import use_image_renderer

            use_image_renderer(_snapshot_renderer)
        return headless_main(args)
    try:
        options = parse_open(args[1:]) if args and args[0] == "open" else parse_options(args)
    except UsageError as exc:
        print(f"watchfloor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    from console.shell import run

    return run(options)


if __name__ == "__main__":
    raise SystemExit(main())
