"""Details: everything known about the selected alert or component.

Shows whichever the operator selected last (an alert row, or a node on the
canvas). All alert text is untrusted: labels, annotations and links are shown
as escaped plain text; a link is opened only by its own "Open link" button,
only for http/https, never automatically and never as a clickable anchor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.bridge import EngineBridge
from console.selection import Selection
from console.theme import SEVERITY_GLYPHS, Theme
from console.views.alert_store import short_time
from console.widgets.plain import plain_label, plain_view, set_plain
from core.engine import AlertState, Engine
from core.ingest.mapping import ComponentMapper
from core.model import format_time
from core.textsafe import safe_text

SAFE_SCHEMES = frozenset({"http", "https"})
_SHOWN_COMPONENT_FIELDS = frozenset({"name", "kind", "tier"})


def is_openable(url: str) -> bool:
    """Only absolute http(s) URLs with a host are ever handed to the desktop."""
    parsed = QUrl(url.strip(), QUrl.ParsingMode.StrictMode)
    return parsed.isValid() and parsed.scheme().lower() in SAFE_SCHEMES and bool(parsed.host())


class DetailsView(QWidget):
    """The selected alert's or component's details."""

    def __init__(
        self,
        bridge: EngineBridge,
        theme: Theme,
        selection: Selection,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("DetailsView")
        self.bridge, self.theme, self.selection = bridge, theme, selection
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl
        self.shown: tuple[str, str] | None = None  # ("alert", fp) or ("component", id)

        self.title = plain_label("Nothing selected", self, wrap=True)
        self.title.setObjectName("DetailsTitle")
        font = theme.font(1.15)
        font.setBold(True)
        self.title.setFont(font)
        self.facts = plain_label("", self, wrap=True)
        self.facts.setObjectName("DetailsFacts")
        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("DetailsTable")
        self.table.setHorizontalHeaderLabels(["Label", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.text_title = plain_label("", self)
        self.text = plain_view(self)
        self.text.setObjectName("DetailsText")
        self.links = QWidget(self)
        self._links_layout = QGridLayout(self.links)
        self._links_layout.setContentsMargins(0, 0, 0, 0)
        self.link_buttons: list[tuple[str, QPushButton]] = []

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.facts)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.text_title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.links)

        selection.sig_alert_changed.connect(self._alert_selected)
        selection.sig_component_changed.connect(self._component_selected)
        bridge.sig_alerts_changed.connect(self._alerts_changed)
        bridge.sig_domains_changed.connect(lambda *_args: self.refresh())
        bridge.sig_engine_reset.connect(lambda _engine: self.refresh())
        self.clear()

    # -- what to show -----------------------------------------------------------

    def _alert_selected(self, fingerprint: str | None) -> None:
        if fingerprint is not None:
            self.show_alert(fingerprint)
        elif self.shown is not None and self.shown[0] == "alert":
            self._fall_back()

    def _component_selected(self, component: str | None) -> None:
        if component is not None:
            self.show_component(component)
        elif self.shown is not None and self.shown[0] == "component":
            self._fall_back()

    def _fall_back(self) -> None:
        if self.selection.alert is not None:
            self.show_alert(self.selection.alert)
        elif self.selection.component is not None:
            self.show_component(self.selection.component)
        else:
            self.clear()

    def _alerts_changed(self, added: list[str], updated: list[str], resolved: list[str]) -> None:
        if self.shown is None:
            return
        kind, key = self.shown
        if kind == "component" or key in added or key in updated or key in resolved:
            self.refresh()

    def refresh(self) -> None:
        if self.shown is None:
            return
        kind, key = self.shown
        if kind == "alert":
            self.show_alert(key)
        else:
            self.show_component(key)

    def clear(self) -> None:
        self.shown = None
        set_plain(self.title, "Nothing selected")
        set_plain(self.facts, "Select an alert, a domain member or a node.")
        self._fill_table([], ("Label", "Value"))
        set_plain(self.text_title, "")
        self.text.setPlainText("")
        self._set_links([])

    # -- alert -------------------------------------------------------------------

    def show_alert(self, fingerprint: str) -> None:
        engine = self.bridge.engine
        alert = engine.alerts.get(fingerprint)
        self.shown = ("alert", fingerprint)
        if alert is None:
            set_plain(self.title, f"Alert {fingerprint}")
            set_plain(self.facts, "Not known to the current engine (before this replay time?).")
            self._fill_table([], ("Label", "Value"))
            self.text.setPlainText("")
            self._set_links([])
            return
        glyph = SEVERITY_GLYPHS[alert.severity]
        set_plain(
            self.title, f"{glyph} {alert.alertname or '(no alertname)'} · {alert.severity.label}"
        )
        set_plain(self.facts, alert_facts(engine, alert), keep_newlines=True)
        self._fill_table(sorted(alert.labels.items()), ("Label", "Value"))
        set_plain(self.text_title, "Annotations")
        self.text.setPlainText(
            safe_text(
                "\n\n".join(f"{k}:\n{v}" for k, v in annotation_order(alert.annotations)),
                keep_newlines=True,
            )
        )
        links = []
        if alert.generator_url:
            links.append(("generatorURL", alert.generator_url))
        for name in ("runbook_url", "runbook", "dashboard_url"):
            if alert.annotations.get(name):
                links.append((name, alert.annotations[name]))
        self._set_links(links)

    # -- component -----------------------------------------------------------------

    def show_component(self, component_id: str) -> None:
        engine = self.bridge.engine
        topology = engine.topology
        node = topology.index.get(component_id)
        self.shown = ("component", component_id)
        if node is None:
            set_plain(self.title, f"Component {component_id}")
            set_plain(self.facts, "Not in the topology.")
            self._fill_table([], ("Attribute", "Value"))
            self.text.setPlainText("")
            self._set_links([])
            return
        component = topology.component(node)
        firing = sorted(
            (engine.alerts[fp] for fp in engine.firing_on(node) if fp in engine.alerts),
            key=lambda a: (-a.severity, a.starts_at),
        )
        domain = engine.domain_of(node)
        set_plain(self.title, f"{component.id} · {component.kind or 'component'}")
        facts = [
            f"name {component.name} · kind {component.kind or '-'} · tier {component.tier or '-'}",
            f"{'alerting' if firing else 'not alerting'} · domain {domain or '-'}",
            f"depends on {len(topology.dependencies[node])} · "
            f"{len(topology.dependents[node])} depend on it",
        ]
        set_plain(self.facts, "\n".join(safe_text(f) for f in facts), keep_newlines=True)
        attrs = [("id", component.id)] + [
            (str(k), str(v)) for k, v in sorted(component.attrs.items(), key=lambda kv: str(kv[0]))
        ]
        self._fill_table(attrs, ("Attribute", "Value"))
        set_plain(self.text_title, f"Firing alerts ({len(firing)})")
        self.text.setPlainText(
            safe_text(
                "\n".join(
                    f"{SEVERITY_GLYPHS[a.severity]} {a.severity.label:<8} {a.alertname}  "
                    f"since {short_time(a.starts_at)}  {a.annotations.get('summary', '')}"
                    for a in firing
                ),
                keep_newlines=True,
            )
        )
        self._set_links([])

    # -- widgets -----------------------------------------------------------------------

    def _fill_table(self, rows: Sequence[tuple[str, str]], headers: tuple[str, str]) -> None:
        self.table.setHorizontalHeaderLabels(list(headers))
        self.table.setRowCount(len(rows))
        for r, (name, value) in enumerate(rows):
            for c, text in enumerate((name, value)):
                item = QTableWidgetItem(safe_text(text))
                item.setToolTip(safe_text(text))
                self.table.setItem(r, c, item)

    def _set_links(self, links: Sequence[tuple[str, str]]) -> None:
        while self._links_layout.count():
            item = self._links_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.link_buttons = []
        for row, (name, url) in enumerate(links):
            label = plain_label(f"{name}: {url}", self.links)
            # A long URL must not widen the dock: elide by letting the label shrink.
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setToolTip(safe_text(url))
            button = QPushButton("Open link", self.links)
            openable = is_openable(url)
            button.setEnabled(openable)
            button.setToolTip(
                "Open in the browser" if openable else "Only http and https links can be opened"
            )
            button.clicked.connect(lambda _checked=False, u=url: self.open_link(u))
            self._links_layout.addWidget(label, row, 0)
            self._links_layout.addWidget(button, row, 1)
            self.link_buttons.append((url, button))
        self._links_layout.setColumnStretch(0, 1)
        self.links.setVisible(bool(links))

    def open_link(self, url: str) -> bool:
        """Open an http(s) link in the browser; anything else is refused."""
        if not is_openable(url):
            return False
        self.open_url(QUrl(url.strip(), QUrl.ParsingMode.StrictMode))
        return True

    def visible_text(self) -> str:
        """Everything the panel shows as text (tests and accessibility)."""
        parts = [self.title.text(), self.facts.text(), self.text_title.text()]
        for r in range(self.table.rowCount()):
            for c in range(2):
                item = self.table.item(r, c)
                if item is not None:
                    parts.append(item.text())
        parts.append(self.text.toPlainText())
        for url, _button in self.link_buttons:
            parts.append(url)
        return "\n".join(parts)


def annotation_order(annotations: dict[str, str]) -> list[tuple[str, str]]:
    """Summary and description first (what an operator reads), then the rest by name."""
    first = ("summary", "description")
    head = [(k, annotations[k]) for k in first if k in annotations]
    return head + sorted((k, v) for k, v in annotations.items() if k not in first)


def alert_facts(engine: Engine, alert: AlertState) -> str:
    """Status, times, repeats and how the alert was mapped, as lines of plain text."""
    lines = [f"{alert.status.value} · starts {format_time(alert.starts_at)}"]
    if alert.ends_at is not None:
        lines[0] += f" · ends {format_time(alert.ends_at)}"
    lines.append(
        f"repeats {alert.repeats} · episodes {alert.episodes} · "
        f"last seen {format_time(alert.last_event_time)}"
    )
    mapper = ComponentMapper(engine.topology, engine.config.component_labels)
    match = mapper.match(alert.labels)
    if match is None:
        tried = ", ".join(engine.config.component_labels)
        lines.append(f"unmapped: no label of {tried} names a topology component")
    else:
        node, label, value = match
        component = engine.topology.ids[node]
        domain = engine.domain_of(node) if alert.firing else None
        lines.append(
            f"component {component} (label {label}={safe_text(value)})"
            + (f" · domain {domain}" if domain else "")
        )
    lines.append(f"fingerprint {alert.fingerprint} · from {safe_text(alert.origin) or '-'}")
    return "\n".join(lines)
