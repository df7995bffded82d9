"""File > Connect to Kafka…: ask for the cluster, topics and group, then go live.

The dialog checks its fields with the same rules as `watchfloor --kafka ...`
(core.ingest.kafka_config.options_from_args), so an error reads the same in
both places. Only non-secret fields are remembered in QSettings (bootstrap,
topics, group, start, the *path* of a properties file, the topology path);
the SASL password field is masked, never saved, and a properties file's
contents are never shown.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.session import Session
from core.ingest.kafka_config import (
    KafkaConfigError,
    KafkaOptions,
    default_group,
    options_from_args,
)

__all__ = ["KafkaDialog", "connect_kafka"]

SETTINGS_GROUP = "kafka"
# What is remembered between runs: never a secret.
REMEMBERED = ("bootstrap", "topics", "group", "start", "properties_file", "topology")
SASL_LOGIN_PROPERTY = "sasl.password"


class KafkaDialog(QDialog):
    """The connection form; `options()` is the checked result after Connect."""

    def __init__(
        self, settings: QSettings, topology: Path | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("kafkaDialog")
        self.setWindowTitle("Connect to Kafka")
        self.settings = settings
        self._options: KafkaOptions | None = None

        self.bootstrap = QLineEdit(self)
        self.bootstrap.setPlaceholderText("host:port[,host:port]")
        self.topics = QLineEdit(self)
        self.topics.setPlaceholderText("alerts[,more-alerts]")
        self.group = QLineEdit(self)
        self.group.setPlaceholderText(default_group())
        self.start = QComboBox(self)
        self.start.setEditable(True)
        self.start.addItems(["committed", "earliest", "latest"])
        self.start.setToolTip("committed, earliest, latest, or a time (RFC 3339 or epoch)")
        self.properties_file = QLineEdit(self)
        self.properties_file.setPlaceholderText("optional librdkafka properties file")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("optional; never saved")
        self.password.setToolTip(f"Sets {SASL_LOGIN_PROPERTY}; kept only while connected")
        self.topology = QLineEdit(self)
        self.topology.setPlaceholderText("optional: none maps no alert to a component")
        for field, name in (
            (self.bootstrap, "Bootstrap servers"),
            (self.topics, "Topics"),
            (self.group, "Consumer group"),
            (self.start, "Start from"),
            (self.properties_file, "Properties file"),
            (self.password, "SASL password"),
            (self.topology, "Topology file"),
        ):
            field.setAccessibleName(name)

        form = QFormLayout()
        form.addRow("&Bootstrap servers:", self.bootstrap)
        form.addRow("&Topics:", self.topics)
        form.addRow("Consumer &group:", self.group)
        form.addRow("&Start from:", self.start)
        form.addRow("&Properties file:", self._with_browse(self.properties_file, "properties"))
        form.addRow("SASL pass&word:", self.password)
        form.addRow("Topo&logy file:", self._with_browse(self.topology, "topology"))

        self.error = QLabel(self)
        self.error.setObjectName("kafkaDialogError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Connect")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._restore(topology)

    # -- fields ------------------------------------------------------------

    def _with_browse(self, line: QLineEdit, what: str) -> QWidget:
        holder = QWidget(self)
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(line, 1)
        browse = QToolButton(holder)
        browse.setText("\u2026")
        browse.setAccessibleName(f"Choose the {what} file")
        browse.clicked.connect(lambda: self._browse(line, what))
        row.addWidget(browse)
        return holder

    def _browse(self, line: QLineEdit, what: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Choose the {what} file", line.text())
        if path:
            line.setText(path)

    def _restore(self, topology: Path | None) -> None:
        settings = self.settings
        settings.beginGroup(SETTINGS_GROUP)
        try:
            self.bootstrap.setText(str(settings.value("bootstrap", "") or ""))
            self.topics.setText(str(settings.value("topics", "") or ""))
            self.group.setText(str(settings.value("group", "") or ""))
            self.start.setCurrentText(str(settings.value("start", "committed") or "committed"))
            self.properties_file.setText(str(settings.value("properties_file", "") or ""))
            saved_topology = str(settings.value("topology", "") or "")
        finally:
            settings.endGroup()
        self.topology.setText(str(topology) if topology is not None else saved_topology)

    def _remember(self) -> None:
        values = {
            "bootstrap": self.bootstrap.text().strip(),
            "topics": self.topics.text().strip(),
            "group": self.group.text().strip(),
            "start": self.start.currentText().strip(),
            "properties_file": self.properties_file.text().strip(),
            "topology": self.topology.text().strip(),
        }
        self.settings.beginGroup(SETTINGS_GROUP)
        try:
            for key in REMEMBERED:
                self.settings.setValue(key, values[key])
        finally:
            self.settings.endGroup()

    # -- result ------------------------------------------------------------

    def read_options(self) -> KafkaOptions:
        """The fields checked like the command line (raises KafkaConfigError)."""
        args = argparse.Namespace(
            kafka=self.bootstrap.text(),
            topic=[self.topics.text()],
            group=self.group.text().strip() or None,
            kafka_from=self.start.currentText().strip() or "committed",
            kafka_properties=[],
            kafka_config=self.properties_file.text().strip() or None,
        )
        options = options_from_args(args, default_group_id=default_group())
        topology = self.topology_path()
        if topology is not None and not topology.is_file():
            raise KafkaConfigError(f"topology file not found: {str(topology)!r}")
        if self.password.text():
            properties = {**options.properties, SASL_LOGIN_PROPERTY: self.password.text()}
            options = KafkaOptions(
                options.bootstrap,
                options.topics,
                options.group,
                options.start,
                properties,
                options.dead_letter,
            )
        return options

    def topology_path(self) -> Path | None:
        text = self.topology.text().strip()
        return Path(text) if text else None

    def options(self) -> KafkaOptions | None:
        """What Connect accepted (None before, or after Cancel)."""
        return self._options

    def accept(self) -> None:
        try:
            options = self.read_options()
        except KafkaConfigError as exc:
            self.error.setText(f"\u26a0 {exc}")
            self.error.show()
            return
        self._options = options
        self._remember()
        self.password.clear()  # the options hold it while connected; the form does not
        super().accept()


def go_live(
    session: Session,
    options: KafkaOptions,
    topology: Path | None,
    config: dict[str, object] | None = None,
) -> None:
    """Start consuming `options` in `session` (the topology loads off the GUI thread)."""
    from core.ingest.kafka_live import LiveConsumer

    session.open_live(topology, LiveConsumer(options, config=config))


def connect_kafka(
    session: Session,
    parent: QWidget,
    settings: QSettings,
    show_message: Callable[[str], None],
) -> None:
    """Ask for the connection and go live (File > Connect to Kafka…)."""
    dialog = KafkaDialog(settings, session.topology_path, parent)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        options = dialog.options()
        if options is None:
            return
        go_live(session, options, dialog.topology_path())
        show_message(f"Connecting to {options.describe()}\u2026")
    finally:
        dialog.deleteLater()
