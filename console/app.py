"""`watchfloor`: the console, and the headless subcommands without loading Qt.

`watchfloor analyze ...` goes straight to core.cli (no PySide6 import, so it
runs on servers without a display). Everything else opens the console:

    watchfloor                         the last files, paused (or empty)
    watchfloor --demo                  the bundled demo, playing
    watchfloor --topology T --replay R [--speed X] [--at TIME]
    watchfloor --demo --screenshot out.png --exit-after 3   render, save, exit 0

Bad arguments and unreadable files are one line on stderr and exit status 2,
before any window opens; never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

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
    return parser


def parse_options(argv: Sequence[str]) -> ConsoleOptions:
    """Parse and check the console's arguments (raises UsageError); imports no Qt."""
    args = build_parser().parse_args(list(argv))
    from core.model import parse_time

    if args.demo and (args.topology or args.replay):
        raise UsageError("--demo opens the bundled files; leave out --topology/--replay")
    if args.replay and not args.topology:
        raise UsageError("--replay needs --topology")
    topology = _readable(args.topology, "--topology")
    replay = _readable(args.replay, "--replay")
    speed = None if args.speed is None else _speed(args.speed)
    at = None
    if args.at is not None:
        if not (args.demo or replay):
            raise UsageError("--at needs a replay (--replay or --demo)")
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
    )


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


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in HEADLESS_COMMANDS:
        from core.cli import main as headless_main

        return headless_main(args)
    try:
        options = parse_options(args)
    except UsageError as exc:
        print(f"watchfloor: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    from console.shell import run

    return run(options)


if __name__ == "__main__":
    raise SystemExit(main())
