"""Theme palettes: contrast (WCAG) and severity colours under colour-vision deficiencies.

Computed from the palette values, so a colour edit that breaks a rule fails here.

Colour-blindness: each severity fill is simulated for protanopia, deuteranopia
and tritanopia with the Machado, Oliveira & Fernandes (2009) matrices at
severity 1.0, applied in linear RGB, then compared in CIELAB (D65) with the
CIE76 Delta-E. A Delta-E of ~2.3 is a just-noticeable difference and ~10 is
"clearly different side by side"; we require >= 15 so the four fills stay
distinct as small markers on a dark/light canvas at a glance, not only side
by side. (Severity is also carried by glyph and marker shape.)
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from console.theme import PALETTES, THEMES_DIR, Palette, Theme, contrast_ratio, render_qss
from core.model import Severity

AAA = 7.0
NON_TEXT = 3.0
MIN_DELTA_E = 15.0
SEVERITIES = ("critical", "major", "warning", "info")

MACHADO = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
         [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
         [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
         [0.004733, 0.691367, 0.303900]]
    ),
    "normal vision": np.eye(3),
}  # fmt: skip
SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375],
     [0.2126729, 0.7151522, 0.0721750],
     [0.0193339, 0.1191920, 0.9503041]]
)  # fmt: skip
WHITE = SRGB_TO_XYZ @ np.ones(3)


def linear_rgb(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(linear: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ linear / WHITE
    d = 6 / 29
    f = np.where(xyz > d**3, np.cbrt(xyz), xyz / (3 * d**2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulated_lab(hex_colour: str, deficiency: str) -> np.ndarray:
    return lab(np.clip(MACHADO[deficiency] @ linear_rgb(hex_colour), 0.0, 1.0))


def text_pairs(p: Palette) -> list[tuple[str, str]]:
    pairs = [
        (fg, bg) for fg in ("text", "text_muted") for bg in ("background", "surface", "surface_alt")
    ]
    pairs += [("selection_text", "selection"), ("accent_text", "accent")]
    pairs += [(f"{s}_text", s) for s in SEVERITIES]
    return pairs


@pytest.mark.parametrize("palette", PALETTES.values(), ids=list(PALETTES))
def test_text_contrast_is_aaa(palette: Palette) -> None:
    failures = [
        f"{fg} on {bg}: {contrast_ratio(getattr(palette, fg), getattr(palette, bg)):.2f}"
        for fg, bg in text_pairs(palette)
        if contrast_ratio(getattr(palette, fg), getattr(palette, bg)) < AAA
    ]
    assert not failures, failures


@pytest.mark.parametrize("name", list(PALETTES))
def test_severity_fill_or_its_outline_stands_out_from_the_background(name: str) -> None:
    theme = Theme(name)
    for severity in Severity:
        outline = theme.severity_outline(severity).name()
        assert contrast_ratio(outline, theme.palette.background) >= NON_TEXT, severity


@pytest.mark.parametrize("palette", PALETTES.values(), ids=list(PALETTES))
def test_focus_and_borders_are_visible(palette: Palette) -> None:
    for bg in ("background", "surface", "surface_alt"):
        assert contrast_ratio(palette.focus, getattr(palette, bg)) >= NON_TEXT, bg
        assert contrast_ratio(palette.border, getattr(palette, bg)) >= NON_TEXT, bg


@pytest.mark.parametrize("deficiency", list(MACHADO))
@pytest.mark.parametrize("palette", PALETTES.values(), ids=list(PALETTES))
def test_severity_fills_are_distinguishable(palette: Palette, deficiency: str) -> None:
    labs = {s: simulated_lab(getattr(palette, s), deficiency) for s in SEVERITIES}
    for a, b in itertools.combinations(SEVERITIES, 2):
        delta_e = float(np.linalg.norm(labs[a] - labs[b]))
        assert delta_e >= MIN_DELTA_E, f"{palette.name} {deficiency}: {a}/{b} dE {delta_e:.1f}"


def test_the_simulation_is_the_published_one() -> None:
    # Pure red under protanopia loses most of its lightness; white stays white.
    assert simulated_lab("#ffffff", "deuteranopia")[0] == pytest.approx(100, abs=0.5)
    assert simulated_lab("#ff0000", "protanopia")[0] < lab(linear_rgb("#ff0000"))[0] - 10


@pytest.mark.parametrize("name", list(PALETTES))
def test_qss_template_fills_from_every_palette_without_literals(name: str) -> None:
    template = (THEMES_DIR / "console.qss").read_text(encoding="utf-8")
    qss = render_qss(template, PALETTES[name])
    assert "{{" not in qss
    assert ":focus" in qss and "selection-background-color" in qss
    # Colours come from tokens only: the template has no colour literal of its own.
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|\b(?:black|white|red)\b", template)
