"""A label whose changing text does not re-lay out the window.

`QLabel.setText` tells the label's layout that its size hint may have
changed. Unless the label's size is fixed, that request climbs: the replay
bar's layout, its dock, then the main window's layout, which re-places every
dock (and, with animated docks, starts an animation per dock). A clock or a
counter that changes every replay tick did that 25 times a second while
playing: ~5% of the GUI thread at 5,000 alerts/s (benchmarks/bench_console_live.py),
all of it to arrive at the same geometry.

`SteadyLabel` keeps a fixed size that fits its text: setting a text that
fits changes nothing but the label's own pixels; a wider one grows it (one
re-layout), and it never shrinks back, so a counter's width settles after a
few changes. A font change (theme, Ctrl +/-) fits it afresh.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt
from PySide6.QtWidgets import QLabel, QWidget

_UNBOUNDED = 16_777_215  # QWIDGETSIZE_MAX


class SteadyLabel(QLabel):
    """A plain-text QLabel with a fixed size that only grows to fit what it shows.

    `samples`: texts it should fit from the start (its widest expected
    contents, e.g. "00:00:00"), so the first changes do not re-lay out either.
    """

    def __init__(self, parent: QWidget | None = None, *, samples: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._samples = samples
        self._fits = QSize(0, 0)
        self._refit()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        if text == self.text():
            return
        super().setText(text)  # a fixed size: this repaints the label alone
        self._grow(self.sizeHint())

    def add_samples(self, *samples: str) -> None:
        """Texts it should fit from now on (e.g. a count's widest value once the total is known)."""
        self._samples = (*self._samples, *samples)
        for sample in samples:
            self._grow(self._needed(sample))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._refit()

    def _refit(self) -> None:
        self._fits = QSize(0, 0)
        self.setMinimumSize(0, 0)
        self.setMaximumSize(_UNBOUNDED, _UNBOUNDED)
        for text in (*self._samples, self.text()):
            self._grow(self._needed(text))

    def _needed(self, text: str) -> QSize:
        """QLabel's own size hint for `text` (margins, frame and style sheet padding included)."""
        shown = self.text()
        blocked = self.blockSignals(True)
        QLabel.setText(self, text)
        hint = self.sizeHint()
        QLabel.setText(self, shown)
        self.blockSignals(blocked)
        return hint

    def _grow(self, needed: QSize) -> None:
        fits = self._fits.expandedTo(needed)
        if fits != self._fits:
            self._fits = fits
            self.setFixedSize(fits)
