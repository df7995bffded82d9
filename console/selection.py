"""What the operator has selected, shared by every view.

Views write the selection when the operator picks something and follow it
when another view does; each signal carries the new value (None: cleared).
Setting the value a view already shows emits nothing, so views can write
back without echo loops.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

TimeRange = tuple[float, float]
"""(start, end) in epoch seconds, start <= end."""


class Selection(QObject):
    """The selected component, domain and alert, and the time range filter."""

    sig_component_changed = Signal(object)
    """Component id (str) or None."""
    sig_domain_changed = Signal(object)
    """Domain id (str) or None."""
    sig_alert_changed = Signal(object)
    """Alert fingerprint (str) or None."""
    sig_time_range_changed = Signal(object)
    """(start, end) in epoch seconds, or None for all time."""
    sig_focus_requested = Signal(str)
    """Centre the canvas on this component id (search box, 'go to')."""

    def __init__(self) -> None:
        super().__init__()
        self.component: str | None = None
        self.domain: str | None = None
        self.alert: str | None = None
        self.time_range: TimeRange | None = None

    def set_component(self, component: str | None) -> None:
        if component != self.component:
            self.component = component
            self.sig_component_changed.emit(component)

    def set_domain(self, domain: str | None) -> None:
        if domain != self.domain:
            self.domain = domain
            self.sig_domain_changed.emit(domain)

    def set_alert(self, alert: str | None) -> None:
        if alert != self.alert:
            self.alert = alert
            self.sig_alert_changed.emit(alert)

    def set_time_range(self, time_range: TimeRange | None) -> None:
        if time_range != self.time_range:
            self.time_range = time_range
            self.sig_time_range_changed.emit(time_range)

    def focus(self, component: str) -> None:
        """Ask the canvas to centre on a component (and select it)."""
        self.set_component(component)
        self.sig_focus_requested.emit(component)
