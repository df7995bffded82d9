"""Text on the canvas: component names by zoom level, and root-cause rank numbers.

Names are capped and chosen by priority (rank-marked, alerting worst first,
silent, then nearest the centre), skipping any that would overlap a name
already placed; each kind of label is one `canvas_text.TextLayer`.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from console.theme import Theme
from console.views.canvas_geometry import FloatArray, IntArray
from console.views.canvas_layers import NODE_PX
from console.views.canvas_text import Label, TextLayer
from core.graph.topology import Topology
from core.model import Severity

LABEL_CAP = 150
"""Most name labels shown at once (those nearest the centre of the view)."""
NAMES_AT_PX = 42.0
"""Node spacing on screen (pixels) from which every node in view gets its name."""
ALERT_NAMES_AT_PX = 16.0
"""Node spacing from which alerting nodes and rank-marked candidates get names."""


class NameLabels:
    """Component names shown by zoom level."""

    def __init__(self, viewbox: pg.ViewBox) -> None:
        self.viewbox = viewbox
        self.layer = TextLayer()
        self.layer.setZValue(35)
        viewbox.addItem(self.layer)
        self.shown: list[str] = []

    def reset(self) -> None:
        """Forget what is shown (a theme change: the next update restyles)."""
        self.layer.clear()
        self.shown = []

    def update(
        self,
        theme: Theme,
        topology: Topology,
        positions: FloatArray,
        spacing: float,
        status: dict[int, Severity],
        ranks: dict[int, int],
        silent: set[int],
    ) -> None:
        (x0, x1), (y0, y1) = self.viewbox.viewRange()
        candidates: IntArray
        if spacing >= NAMES_AT_PX:
            inside = (
                (positions[:, 0] >= x0)
                & (positions[:, 0] <= x1)
                & (positions[:, 1] >= y0)
                & (positions[:, 1] <= y1)
            )
            candidates = np.flatnonzero(inside)
        elif spacing >= ALERT_NAMES_AT_PX:
            wanted = sorted(set(status) | set(ranks) | silent)
            candidates = np.array(wanted, dtype=np.int64)
            if candidates.size:
                p = positions[candidates]
                keep = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
                candidates = candidates[keep]
        else:
            candidates = np.zeros(0, dtype=np.int64)
        centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        order = label_priority(positions, candidates, centre, status, ranks, silent)
        font = theme.font(0.8)
        metrics = QFontMetrics(font)
        sx, sy = (float(v) for v in self.viewbox.viewPixelSize())
        placed: list[tuple[float, float, float, float]] = []
        chosen: list[tuple[int, str]] = []
        height = metrics.height()
        for node in order:
            if len(chosen) >= LABEL_CAP:
                break
            name = str(topology.attrs[node].get("name") or topology.ids[node])
            width = metrics.horizontalAdvance(name) + 4
            # label box in screen pixels: centred under the node
            px, py = positions[node, 0] / sx, -positions[node, 1] / sy
            box = (px - width / 2, py + NODE_PX * 0.4, px + width / 2, py + NODE_PX * 0.4 + height)
            if any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed
            ):
                continue  # would overlap a label already shown: skipped, not cluttered
            placed.append(box)
            chosen.append((node, name))
        backdrop = theme.color("background")
        backdrop.setAlpha(170)
        colour = theme.color("text")
        self.layer.set_labels(
            [
                Label(
                    float(positions[node, 0]),
                    float(positions[node, 1]),
                    name,
                    colour,
                    backdrop,
                    (0.5, -0.3),
                )
                for node, name in chosen
            ],
            font,
        )
        self.shown = [name for _, name in chosen]


def label_priority(
    positions: FloatArray,
    candidates: IntArray,
    centre: tuple[float, float],
    status: dict[int, Severity],
    ranks: dict[int, int],
    silent: set[int],
) -> list[int]:
    """Rank-marked first, then alerting (worst first), silent, then nearest the centre."""
    if not candidates.size:
        return []
    distance = np.hypot(positions[candidates, 0] - centre[0], positions[candidates, 1] - centre[1])

    def key(k: int) -> tuple[int, int, float]:
        node = int(candidates[k])
        if node in ranks:
            return (0, ranks[node], 0.0)
        if node in status:
            return (1, -int(status[node]), float(distance[k]))
        if node in silent:
            return (2, 0, float(distance[k]))
        return (3, 0, float(distance[k]))

    return [int(candidates[k]) for k in sorted(range(candidates.size), key=key)]


class RankLabels:
    """'#n' beside each ranked root-cause candidate of the focused domain."""

    def __init__(self, viewbox: pg.ViewBox) -> None:
        self.layer = TextLayer()
        self.layer.setZValue(45)
        viewbox.addItem(self.layer)

    def draw(self, theme: Theme, positions: FloatArray | None, ranks: dict[int, int]) -> None:
        labels: list[Label] = []
        if positions is not None:
            text, fill = theme.color("accent_text"), theme.color("accent")
            for node, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
                x, y = float(positions[node, 0]), float(positions[node, 1])
                # up-left: the name sits below, the badge up-right
                labels.append(Label(x, y, f"#{rank}", text, fill, (1.15, 1.05)))
        self.layer.set_labels(labels, theme.font(0.85))
