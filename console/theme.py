"""Colours, glyphs and fonts in one place: high-contrast dark and light themes.

Views never hold colour literals: they ask the current theme for a token
(`theme.color("text")`) or a severity (`theme.severity_color(sev)`), and
repaint on `Theme.sig_changed`. QSS comes from templates in
resources/themes/ filled with the palette (`{{ background }}`).

Severity is never shown by colour alone: every severity has a glyph and a
marker shape too (colour-blind operators, monochrome projectors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication

from core.model import Severity

THEMES_DIR = Path(__file__).resolve().parents[1] / "resources" / "themes"


@dataclass(frozen=True, slots=True)
class Palette:
    """Colour tokens of one theme (hex strings, #rrggbb)."""

    name: str
    background: str
    surface: str
    surface_alt: str
    text: str
    text_muted: str
    border: str
    accent: str
    accent_text: str
    selection: str
    selection_text: str
    focus: str
    highlight: str  # blast radius on the canvas
    silent: str  # silent root-cause candidates
    ok: str  # resolved
    edge: str  # topology edges
    critical: str
    critical_text: str  # text drawn on a `critical` fill
    major: str
    major_text: str
    warning: str
    warning_text: str
    info: str
    info_text: str

    def tokens(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Colour rules (tests/console/test_theme.py computes them from these values):
# - text pairs >= 7:1 (WCAG AAA): text and text_muted on background, surface and
#   surface_alt; selection_text on selection; accent_text on accent; each
#   severity's *_text on its fill;
# - a severity fill is either >= 3:1 against the background (WCAG 1.4.11) or is
#   always drawn with an outline in its *_text colour (`Theme.severity_outline`);
# - the four severity fills stay >= 15 CIE76 Delta-E apart pairwise under
#   protanopia, deuteranopia and tritanopia (Machado et al. 2009, severity 1.0).
#   Severity is never shown by colour alone: glyphs and marker shapes too.

# Dark: every severity fill is >= 3:1 on the black background (no outline needed).
DARK = Palette(
    name="dark",
    background="#000000",
    surface="#0f0f0f",
    surface_alt="#1a1a1a",
    text="#ffffff",
    text_muted="#d0d0d0",
    border="#8c8c8c",
    accent="#66c2ff",
    accent_text="#000000",
    selection="#ffffff",
    selection_text="#000000",
    focus="#ffd400",
    highlight="#66c2ff",
    silent="#ff6eb4",
    ok="#7ddc7d",
    edge="#6e6e6e",
    critical="#ff6eb4",
    critical_text="#000000",
    major="#ff9a3c",
    major_text="#000000",
    warning="#f0e442",
    warning_text="#000000",
    info="#5cc8ff",
    info_text="#000000",
)

# Light: critical and info fills are >= 3:1 on white; the major (orange) and
# warning (yellow) fills are not (2.3:1, 1.3:1) and are therefore always drawn
# with a black outline (their *_text colour, 21:1 on white).
LIGHT = Palette(
    name="light",
    background="#ffffff",
    surface="#f7f7f7",
    surface_alt="#ebebeb",
    text="#000000",
    text_muted="#333333",
    border="#595959",
    accent="#0a4fa8",
    accent_text="#ffffff",
    selection="#000000",
    selection_text="#ffffff",
    focus="#0a4fa8",
    highlight="#0a4fa8",
    silent="#a3005c",
    ok="#1b5e20",
    edge="#8c8c8c",
    critical="#a8001e",
    critical_text="#ffffff",
    major="#ff8c1a",
    major_text="#000000",
    warning="#ffe34d",
    warning_text="#000000",
    info="#0a4fa8",
    info_text="#ffffff",
)

PALETTES: dict[str, Palette] = {"dark": DARK, "light": LIGHT}

# Non-colour cues: a glyph for text, a pyqtgraph symbol for markers.
SEVERITY_GLYPHS: dict[Severity, str] = {
    Severity.CRITICAL: "\u25b2",  # ▲
    Severity.MAJOR: "\u25c6",  # ◆
    Severity.WARNING: "\u25cf",  # ●
    Severity.INFO: "\u25cb",  # ○
}
SEVERITY_SYMBOLS: dict[Severity, str] = {
    Severity.CRITICAL: "t1",  # triangle up
    Severity.MAJOR: "d",  # diamond
    Severity.WARNING: "o",
    Severity.INFO: "o",
}

BASE_POINT_SIZE = 10.0
MIN_SCALE, MAX_SCALE = 0.6, 3.0

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def render_qss(template: str, palette: Palette, font_scale: float = 1.0) -> str:
    """Fill a QSS template's `{{ token }}` placeholders from the palette."""
    values = palette.tokens()
    values["font_size"] = f"{BASE_POINT_SIZE * font_scale:.1f}pt"

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"unknown theme token {key!r} in QSS template")
        return values[key]

    return _PLACEHOLDER.sub(fill, template)


class Theme(QObject):
    """The application's current theme and font scale."""

    sig_changed = Signal()
    """Emitted after the palette or the font scale changed."""

    def __init__(self, name: str = "dark", font_scale: float = 1.0) -> None:
        super().__init__()
        self.palette = PALETTES.get(name, DARK)
        self.font_scale = font_scale

    @property
    def name(self) -> str:
        return self.palette.name

    def color(self, token: str) -> QColor:
        return QColor(getattr(self.palette, token))

    def severity_color(self, severity: Severity) -> QColor:
        return QColor(getattr(self.palette, severity.label))

    def severity_text_color(self, severity: Severity) -> QColor:
        return QColor(getattr(self.palette, f"{severity.label}_text"))

    def severity_outline(self, severity: Severity) -> QColor:
        """Outline for a severity fill: the fill itself when it stands out from the
        background (>= 3:1), otherwise its text colour (light theme's orange and yellow)."""
        fill = getattr(self.palette, severity.label)
        if contrast_ratio(fill, self.palette.background) >= 3.0:
            return QColor(fill)
        return QColor(getattr(self.palette, f"{severity.label}_text"))

    def font(self, scale: float = 1.0) -> QFont:
        font = QFont()
        font.setPointSizeF(BASE_POINT_SIZE * self.font_scale * scale)
        return font

    def set_palette(self, name: str) -> None:
        self.palette = PALETTES[name]
        self.sig_changed.emit()

    def toggle(self) -> None:
        self.set_palette("light" if self.palette.name == "dark" else "dark")

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        self.sig_changed.emit()

    def stylesheet(self) -> str:
        template = (THEMES_DIR / "console.qss").read_text(encoding="utf-8")
        return render_qss(template, self.palette, self.font_scale)

    def apply(self, app: QApplication) -> None:
        """Style the whole application with this theme."""
        app.setStyleSheet(self.stylesheet())
        app.setFont(self.font())
