"""Going live from the menus (File > Connect to Kafka…) and the replay bar while live."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from console.actions import ACTIONS, ACTIONS_BY_ID
from console.kafka_dialog import KafkaDialog, connect_kafka
from console.session import Session
from console.source import SourceState
from console.theme import Theme
from console.views.replay_bar import ReplayBar
from core.model import format_time
from tests.kafka.conftest import BASE_TIME_MS, FAST_GROUP, Broker, alert_stream, topology_file

SECRET = "s3cret-pa55word"  # noqa: S105 - a test value that must never be saved or shown


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def session(qapp: QApplication) -> Iterator[Session]:
    session = Session()
    yield session
    session.shutdown()
    shiboken6.delete(session)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def properties_file(folder: Path) -> Path:
    """The test broker's fast group settings, as an operator would keep them in a file."""
    path = folder / "client.properties"
    lines = ["# librdkafka properties", *(f"{k}={v}" for k, v in FAST_GROUP.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def fill(dialog: KafkaDialog, bootstrap: str, topic: str, group: str, folder: Path) -> None:
    dialog.bootstrap.setText(bootstrap)
    dialog.topics.setText(topic)
    dialog.group.setText(group)
    dialog.start.setCurrentText("earliest")
    dialog.properties_file.setText(str(properties_file(folder)))
    dialog.topology.setText(str(topology_file(folder)))


def test_connect_to_kafka_has_a_shortcut_of_its_own() -> None:
    spec = ACTIONS_BY_ID["file.connect_kafka"]
    assert spec.menu == "File" and spec.shortcuts == ("Ctrl+K",)
    keys = [key for action in ACTIONS for key in action.shortcuts]
    assert len(keys) == len(set(keys)), "two actions share a shortcut"


def test_filling_the_dialog_goes_live_and_the_replay_bar_shows_it(
    qtbot: QtBot, session: Session, settings: QSettings, broker: Broker, tmp_path: Path
) -> None:
    count = 24
    broker.create_topic("menu", partitions=2)
    broker.produce("menu", alert_stream(count))
    bar = ReplayBar(session, Theme("dark"))
    qtbot.addWidget(bar)
    bar.show()
    assert bar.clock.text() == "no replay"
    parent = QWidget()
    qtbot.addWidget(parent)
    messages: list[str] = []
    seen_password: list[str] = []

    def operate() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, KafkaDialog)
        fill(dialog, broker.bootstrap, "menu", "from-the-menu", tmp_path)
        dialog.password.setText(SECRET)
        seen_password.append(dialog.password.displayText())
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, operate)
    with qtbot.waitSignal(session.sig_loaded, timeout=20_000):
        connect_kafka(session, parent, settings, messages.append)
    live = session.live
    assert live is not None
    assert messages and "from-the-menu" in messages[0] and SECRET not in messages[0]
    assert seen_password and SECRET not in seen_password[0]  # masked while typed
    assert live.feed.options.properties["sasl.password"] == SECRET  # used, never saved

    qtbot.waitUntil(lambda: live.applied_total == count, timeout=30_000)
    qtbot.waitUntil(lambda: live.state is SourceState.LIVE, timeout=5_000)
    qtbot.waitUntil(lambda: bar.position.text() == "\u25cf live \u00b7 lag 0", timeout=5_000)
    # The transport means nothing live: hidden and disabled; the clock is the newest event.
    for widget in (bar.play_button, bar.step_button, bar.speed_combo, bar.slider):
        assert not widget.isVisible() and not widget.isEnabled()
    clock = session.bridge.engine.clock
    assert clock is not None and clock >= BASE_TIME_MS / 1000
    assert bar.clock.text() == f"newest event {format_time(int(clock))}"
    assert "menu/0: 0" in bar.position.toolTip() and "menu/1: 0" in bar.position.toolTip()

    # Only the non-secret fields are remembered.
    settings.sync()
    saved = {key: str(settings.value(key)) for key in settings.allKeys()}
    assert saved["kafka/bootstrap"] == broker.bootstrap
    assert saved["kafka/topics"] == "menu" and saved["kafka/group"] == "from-the-menu"
    assert not any(SECRET in value for value in saved.values())
    assert SECRET not in (tmp_path / "settings.ini").read_text()

    # The broker goes away: the bar says so and for how long, and keeps the newest time.
    broker.stop()
    try:
        qtbot.waitUntil(lambda: "broker down" in bar.position.text(), timeout=30_000)
        assert bar.clock.text() == f"newest event {format_time(int(clock))}"
    finally:
        broker.start()
        broker.create_topic("menu", partitions=2)  # tansu keeps topics in memory only

    session.close_source()
    assert bar.clock.text() == "no replay"
    assert bar.play_button.isVisible() and not bar.play_button.isEnabled()


def test_the_dialog_remembers_fields_but_never_the_password(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    dialog = KafkaDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.password.echoMode() is QLineEdit.EchoMode.Password
    fill(dialog, "127.0.0.1:1", "a, b", "g", tmp_path)
    dialog.password.setText(SECRET)
    dialog.accept()
    options = dialog.options()
    assert options is not None and options.topics == ("a", "b")
    assert options.properties["sasl.password"] == SECRET
    assert SECRET not in options.describe()
    assert dialog.password.text() == ""  # not left in the form

    again = KafkaDialog(settings)
    qtbot.addWidget(again)
    assert again.bootstrap.text() == "127.0.0.1:1" and again.topics.text() == "a, b"
    assert again.group.text() == "g" and again.start.currentText() == "earliest"
    assert again.properties_file.text() == str(tmp_path / "client.properties")
    assert again.password.text() == ""
    settings.sync()
    assert SECRET not in (tmp_path / "settings.ini").read_text()


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("topics", "", "--topic: give at least one topic"),
        ("bootstrap", " ", "--kafka: give the bootstrap servers"),
        ("start", "next tuesday", "expected committed, earliest, latest or a time"),
        ("properties_file", "/nonexistent/client.properties", "cannot read"),
        ("topology", "/nonexistent/topology.json", "topology file not found"),
    ],
)
def test_bad_fields_say_what_is_wrong_and_keep_the_dialog_open(
    qtbot: QtBot, settings: QSettings, tmp_path: Path, field: str, value: str, expected: str
) -> None:
    dialog = KafkaDialog(settings)
    qtbot.addWidget(dialog)
    fill(dialog, "127.0.0.1:1", "alerts", "g", tmp_path)
    widget = getattr(dialog, field)
    if field == "start":
        widget.setCurrentText(value)
    else:
        widget.setText(value)
    dialog.accept()
    assert dialog.options() is None
    assert expected in dialog.error.text() and "\n" not in dialog.error.text()
    assert not settings.allKeys()  # nothing remembered from a form that was refused
