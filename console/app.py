"""`watchfloor`: the console, and the headless subcommands without loading Qt."""

from __future__ import annotations

import sys
from collections.abc import Sequence

HEADLESS_COMMANDS = frozenset({"analyze"})


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in HEADLESS_COMMANDS | {"-h", "--help"}:
        from core.cli import main as headless_main

        return headless_main(args)
    from core.cli import main as headless_main

    return headless_main(args)
