"""The console's history writer is a process: if it dies, one line, and the console goes on."""

from __future__ import annotations

import math
import os
import signal
from pathlib import Path

from pytestqt.qtbot import QtBot

from console.source import SourceState
from core.history.reader import HistoryReader
from tests.console.test_history_link import Console


def test_a_killed_writer_process_is_one_line_and_the_console_goes_on(
    qtbot: QtBot, settings_path: Path, tmp_path: Path
) -> None:
    console = Console(qtbot, settings_path, tmp_path / "history.sqlite")
    try:
        writer = console.link.writer
        assert writer is not None
        pid = writer.pid
        assert pid is not None and pid != os.getpid()  # recording runs in its own process
        console.open_demo(speed=math.inf, autoplay=False)
        replay = console.session.replay
        assert replay is not None
        for _ in range(40):
            replay.step()
        console.session.bridge.flush()
        assert console.link.flush()
        with HistoryReader(console.link.path) as reader:
            recorded = reader.stats()["events"]
        assert recorded > 0
        os.kill(pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: len(console.errors) == 1, timeout=10_000)
        assert "history writer stopped" in console.errors[0] and "\n" not in console.errors[0]
        assert not writer.alive
        replay.set_speed(math.inf)
        replay.play()  # the replay plays on, the link queues nothing more
        qtbot.waitUntil(lambda: replay.state is SourceState.FINISHED, timeout=30_000)
        console.session.bridge.flush()
        assert not console.link.flush()
        assert len(console.errors) == 1  # one line, not one per batch
        assert console.session.bridge.engine.events_total > recorded
        with HistoryReader(console.link.path) as reader:  # what it committed is still there
            assert reader.stats()["events"] == recorded
    finally:
        console.close()
