"""Every command of the window, declared as data (napari's action manager idea).

`ACTIONS` says what exists, where it sits in the menus and which keys reach
it; `Commands` (console/commands.py) holds what each one does. The window
only turns these specs into QActions and menus, and the shortcut overview
(F1, ?) lists them from here, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.commands import Commands

MENUS: tuple[str, ...] = ("File", "View", "Replay", "Incident", "Help")
MENU_TITLES: dict[str, str] = {menu: f"&{menu}" for menu in MENUS}


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One command: its id, label, menu, keys and behaviour."""

    id: str
    text: str
    menu: str
    shortcuts: tuple[str, ...]
    callback: Callable[[Commands], None]
    checkable: bool = False
    checked: Callable[[Commands], bool] | None = None  # current state of a checkable action
    separator_before: bool = False
    tip: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    # File
    ActionSpec("file.open_topology", "Open &topology\u2026", "File", ("Ctrl+Shift+O",),
               lambda c: c.open_topology(), tip="Open a topology file"),
    ActionSpec("file.open_replay", "&Open replay\u2026", "File", ("Ctrl+O",),
               lambda c: c.open_replay(), tip="Open a recorded alert stream"),
    ActionSpec("file.open_demo", "Open &demo", "File", ("Ctrl+D",),
               lambda c: c.open_demo(), tip="Open the bundled demo and play it"),
    ActionSpec("file.connect_kafka", "Connect to &Kafka\u2026", "File", ("Ctrl+K",),
               lambda c: _connect_kafka(c), tip="Consume alerts live from a Kafka cluster"),
    ActionSpec("file.close", "&Close source", "File", ("Ctrl+W",),
               lambda c: c.close_source()),
    ActionSpec("file.refresh_neo4j", "&Refresh topology from Neo4j", "File", ("F5",),
               lambda c: _refresh_neo4j(c),
               tip="Reload the topology with the Neo4j query (--neo4j); the replay stays"),
    ActionSpec("file.open_history", "Open &history as of\u2026", "File", ("Ctrl+H",),
               lambda c: _open_history(c),
               tip="Rebuild the state at a past time from the recorded history"),
    ActionSpec("file.open_snapshot", "Open s&napshot\u2026", "File", ("Ctrl+Alt+O",),
               lambda c: _snapshot_commands().open_snapshot(c), separator_before=True,
               tip="Open an incident snapshot (.wfsnap) read-only"),
    ActionSpec("file.export_snapshot", "&Export snapshot\u2026", "File", ("Ctrl+E",),
               lambda c: _snapshot_commands().export_snapshot(c),
               tip="Export everything shown, as of the replay time, to one .wfsnap file"),
    ActionSpec("file.export_domain_snapshot", "Export snapshot of selected &domain\u2026", "File",
               ("Ctrl+Shift+E",),
               lambda c: _snapshot_commands().export_snapshot(c, domain_only=True),
               tip="Export the selected failure domain only"),
    ActionSpec("file.screenshot", "Save &screenshot\u2026", "File", ("Ctrl+Shift+S",),
               lambda c: c.save_screenshot(), separator_before=True),
    ActionSpec("file.quit", "&Quit", "File", ("Ctrl+Q",),
               lambda c: c.quit(), separator_before=True),
    # View
    ActionSpec("view.find_component", "&Find component\u2026", "View", ("Ctrl+F",),
               lambda c: c.focus_search(), tip="Search the topology by name"),
    ActionSpec("view.filter_alerts", "Filter &alerts\u2026", "View", ("Ctrl+Shift+F",),
               lambda c: c.focus_alert_filter()),
    ActionSpec("view.focus_topology", "Go to topology", "View", ("Alt+1",),
               lambda c: c.focus_dock("topology"), separator_before=True),
    ActionSpec("view.focus_alerts", "Go to alerts", "View", ("Alt+2",),
               lambda c: c.focus_dock("alerts")),
    ActionSpec("view.focus_incidents", "Go to incidents", "View", ("Alt+3",),
               lambda c: c.focus_dock("incidents")),
    ActionSpec("view.focus_details", "Go to details", "View", ("Alt+4",),
               lambda c: c.focus_dock("details")),
    ActionSpec("view.focus_trends", "Go to trends", "View", ("Alt+5",),
               lambda c: c.focus_dock("trends")),
    ActionSpec("view.focus_replay", "Go to replay bar", "View", ("Alt+6",),
               lambda c: c.focus_dock("replay")),
    ActionSpec("view.focus_risk", "Go to deployment risk", "View", ("Alt+7",),
               lambda c: c.focus_dock("risk"), tip="Planned deployments scored for risk"),
    ActionSpec("view.light_theme", "&Light theme", "View", ("Ctrl+T",),
               lambda c: c.toggle_theme(), checkable=True,
               checked=lambda c: c.theme.name == "light", separator_before=True),
    ActionSpec("view.font_bigger", "&Bigger text", "View", ("Ctrl++", "Ctrl+="),
               lambda c: c.scale_font(1)),
    ActionSpec("view.font_smaller", "&Smaller text", "View", ("Ctrl+-",),
               lambda c: c.scale_font(-1)),
    ActionSpec("view.font_reset", "&Normal text size", "View", ("Ctrl+0",),
               lambda c: c.scale_font(0)),
    ActionSpec("view.reset_layout", "&Reset layout", "View", ("Ctrl+Shift+R",),
               lambda c: c.reset_layout(), separator_before=True),
    # Replay
    ActionSpec("replay.play", "&Play", "Replay", ("Space",),
               lambda c: c.play_pause(), checkable=True, checked=lambda c: c.playing,
               tip="Play or pause the replay"),
    ActionSpec("replay.step", "&Step", "Replay", (".", "Right"),
               lambda c: c.step(), tip="Apply the next observation and pause"),
    ActionSpec("replay.faster", "&Faster", "Replay", ("]",), lambda c: c.faster()),
    ActionSpec("replay.slower", "S&lower", "Replay", ("[",), lambda c: c.slower()),
    ActionSpec("replay.go_to", "&Go to time\u2026", "Replay", ("Ctrl+G",),
               lambda c: c.go_to_time(), separator_before=True),
    ActionSpec("replay.start", "Go to s&tart", "Replay", ("Home",), lambda c: c.seek_start()),
    ActionSpec("replay.end", "Go to &end", "Replay", ("End",), lambda c: c.seek_end()),
    # Incident
    ActionSpec("incident.next_critical", "&Next critical domain", "Incident", ("N",),
               lambda c: c.next_critical_domain(),
               tip="Select the next open failure domain, worst first"),
    ActionSpec("incident.acknowledge", "&Acknowledge", "Incident", ("A",),
               lambda c: c.acknowledge()),
    ActionSpec("incident.clear_selection", "&Clear selection", "Incident", ("Escape",),
               lambda c: c.clear_selection()),
    # Help
    ActionSpec("help.shortcuts", "&Keyboard shortcuts", "Help", ("F1", "?"),
               lambda c: c.show_shortcuts()),
    ActionSpec("help.about", "&About Watchfloor", "Help", (), lambda c: c.about()),
)  # fmt: skip


def _refresh_neo4j(commands: Commands) -> None:
    """Reload the topology from Neo4j off the GUI thread (console/stores_link.py)."""
    from console.stores_link import refresh_topology_from_neo4j

    refresh_topology_from_neo4j(commands.session, commands.shell.show_message)


def _open_history(commands: Commands) -> None:
    """Ask for a time and open the history as of it (console/history_link.py)."""
    from console.history_link import ask_time_travel

    ask_time_travel(commands.session, commands.shell.window_widget(), commands.shell.show_message)


def _connect_kafka(commands: Commands) -> None:
    """Ask for a Kafka cluster and go live (console/kafka_dialog.py)."""
    from console.kafka_dialog import connect_kafka

    connect_kafka(
        commands.session,
        commands.shell.window_widget(),
        commands.settings,
        commands.shell.show_message,
    )


def _snapshot_commands() -> ModuleType:
    """console.snapshot_commands, imported when first used (start-up stays fast)."""
    import console.snapshot_commands as module

    return module


ACTIONS_BY_ID: dict[str, ActionSpec] = {spec.id: spec for spec in ACTIONS}
