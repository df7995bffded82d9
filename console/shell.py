"""Running the console: QApplication, qasync event loop, settings, scripted exit.

asyncio runs inside the Qt event loop (qasync), so the live Kafka source of
a later issue can be a coroutine next to the replay's QTimer. Unexpected
exceptions at run time are logged and shown in the status bar; they never
open a traceback dialog or end the process.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import qasync
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication

from console import gc_policy
from console.app import DEMO_SPEED, EXIT_USAGE, ConsoleOptions
from console.history_link import start_history
from console.main_window import MainWindow
from console.selection import Selection
from console.session import Session
from console.theme import PALETTES, Theme

log = logging.getLogger("watchfloor")


def open_settings(path: Path | None) -> QSettings:
    """An INI file when given (tests, scripts), else the user's settings."""
    if path is not None:
        return QSettings(str(path), QSettings.Format.IniFormat)
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Watchfloor", "watchfloor"
    )


def theme_from_settings(settings: QSettings, name: str | None = None) -> Theme:
    saved = str(settings.value("theme/name", "dark"))
    try:
        scale = float(str(settings.value("theme/font_scale", 1.0)))
    except ValueError:
        scale = 1.0
    chosen = name or (saved if saved in PALETTES else "dark")
    return Theme(chosen, font_scale=scale)


def install_excepthook(report: Callable[[str], None]) -> None:
    """Log unexpected exceptions and report them in one line; never crash, never a dialog."""

    def hook(kind: type[BaseException], exc: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, trace)
            return
        log.error("unexpected error", exc_info=(kind, exc, trace))
        first = (str(exc).strip().splitlines() or [kind.__name__])[0]
        try:
            report(f"Unexpected error: {first} (details in the log)")
        except Exception:  # the report itself must never raise from the hook
            log.exception("could not report an error in the status bar")

    sys.excepthook = hook


def open_initial(session: Session, options: ConsoleOptions, settings: QSettings) -> None:
    """Open what the command line asks for, else the last files (paused)."""
    if options.snapshot is not None:
        session.open_snapshot(options.snapshot)
    elif options.kafka is not None:
        from core.ingest.kafka_live import LiveConsumer

        session.open_live(options.topology, LiveConsumer(options.kafka))
    elif options.demo:
        speed = options.speed if options.speed is not None else DEMO_SPEED
        session.open_demo(speed=speed, at=options.at, autoplay=True)
    elif options.neo4j is not None:
        from console.stores_link import stores_link

        link = stores_link(session)
        if link is not None:
            link.refresh_topology(
                replay=options.replay,
                at=options.at,
                speed=options.speed or 1.0,
                autoplay=options.replay is not None,
            )
    elif options.topology is not None:
        session.open(
            options.topology,
            options.replay,
            speed=options.speed or 1.0,
            at=options.at,
            autoplay=options.replay is not None,
        )
    else:
        topology = Path(str(settings.value("files/topology", "")))
        replay_value = str(settings.value("files/replay", ""))
        replay = Path(replay_value) if replay_value else None
        if topology.is_file() and (replay is None or replay.is_file()):
            session.open(topology, replay, speed=options.speed or 1.0, autoplay=False)


@dataclass(slots=True)
class _Outcome:
    """What a scripted run (--exit-after) ends with."""

    code: int = 0
    error: str = ""


def run(options: ConsoleOptions) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication([sys.argv[0] if sys.argv else "watchfloor"])
    app.setApplicationName("Watchfloor")
    app.setOrganizationName("Watchfloor")
    settings = open_settings(options.settings)
    theme = theme_from_settings(settings, options.theme)
    theme.apply(app)
    session = Session()
    gc_policy.install(session.bridge)  # no ~100 ms collector pauses over the engine's heap
    window = MainWindow(session, theme, Selection(), settings)
    if options.size is not None:
        window.resize(*options.size)
    install_excepthook(window.show_error)
    if options.neo4j is not None or options.influx is not None:
        from console.stores_link import attach_stores

        attach_stores(
            session, neo4j=options.neo4j, influx=options.influx, report=window.show_message
        )
    outcome = _Outcome()

    def failed(message: str) -> None:
        outcome.error = message

    session.sig_error.connect(failed)
    history = start_history(window, session, settings, options)
    if not options.time_travel:  # else the history opens itself as of --at
        open_initial(session, options, settings)
    window.show()

    if options.exit_after is not None:
        exit_after = options.exit_after

        def finish() -> None:
            if options.screenshot is not None and not window.save_screenshot(options.screenshot):
                print(f"watchfloor: error: cannot write {options.screenshot}", file=sys.stderr)
                outcome.code = EXIT_USAGE
            if outcome.error:
                print(f"watchfloor: error: {outcome.error}", file=sys.stderr)
                outcome.code = EXIT_USAGE
            window.close()
            app.exit(outcome.code)

        def countdown() -> None:
            QTimer.singleShot(round(exit_after * 1000), finish)

        # The countdown runs from when the files are loaded: "N seconds of playing".
        if session.loading:
            session.sig_loaded.connect(countdown, type=Qt.ConnectionType.SingleShotConnection)
        else:
            countdown()

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code = loop.run_forever()
    history.close()  # commit what is still queued
    return outcome.code if options.exit_after is not None else int(code or 0)
