"""The snapshot's PNG images, drawn offscreen: the topology canvas and the trend charts.

A small deterministic renderer of its own (QPainter on a QImage of fixed
size, fixed fonts and DPI, light theme for print) rather than a grab of the
live widgets: the same content gives the same pixels, and the PNG is encoded
here (fixed zlib level, no time or text chunks) so the bytes are identical
too. It draws from the snapshot content *after* redaction, so every label in
an image carries the pseudonym, never the original.

Severity is never colour alone: marker shapes (▲ critical, ◆ major, ● warning,
○ info) as on the canvas, and a legend in words.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
)

from console.theme import Theme
from core.model import Severity, parse_time

if TYPE_CHECKING:
    from core.snapshot.content import SnapshotContent

__all__ = [
    "TOPOLOGY_SIZE",
    "TRENDS_SIZE",
    "draw_images",
    "encode_images",
    "encode_png",
    "render_images",
]

TOPOLOGY_SIZE = (1600, 1000)
TRENDS_SIZE = (1600, 560)
_FONT_FAMILY = "DejaVu Sans"
FONTS_DIR = Path(__file__).resolve().parents[1] / "resources" / "fonts"
_FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
"""DejaVu Sans 2.37 (Debian fonts-dejavu-core 2.37-6; licence in LICENSE-DejaVu.txt),
bundled so the images do not depend on the fonts a machine has installed: Qt
registers these files after the system's, and a later registration of the
same family, foundry and style replaces the earlier one."""
_DOTS_PER_METER = 3780  # 96 dpi, whatever the screen
_MAX_LABELS = 80
_SEVERITIES = (Severity.CRITICAL, Severity.MAJOR, Severity.WARNING, Severity.INFO)


def render_images(content: SnapshotContent) -> dict[str, bytes]:
    """PNG bytes of `images/topology.png` and `images/trends.png` for the content."""
    return encode_images(draw_images(content))


def draw_images(content: SnapshotContent) -> dict[str, QImage]:
    """Draw the images (tens of milliseconds; on the thread that owns the application)."""
    _ensure_gui()
    theme = Theme("light")
    return {
        "images/topology.png": _topology_image(content, theme),
        "images/trends.png": _trends_image(content, theme),
    }


def encode_images(images: Mapping[str, QImage]) -> dict[str, bytes]:
    """PNG-encode drawn images (any thread: a QImage is plain memory)."""
    return {name: encode_png(image) for name, image in images.items()}


def _ensure_gui() -> None:
    """Fonts need an application object; the headless command has none yet.

    A QApplication (not just a QGuiApplication), so whoever comes later in the
    same process (the console, pytest-qt) finds the kind it expects.
    """
    if QGuiApplication.instance() is None:
        from PySide6.QtWidgets import QApplication

        _APPS.append(QApplication(["watchfloor-snapshot"]))
    _ensure_fonts()


_APPS: list[QGuiApplication] = []  # kept alive for the process
_FONTS_LOADED: list[int] = []  # application font ids, registered once per process


def _ensure_fonts() -> None:
    """Register the bundled DejaVu Sans (regular and bold) once; raises if unusable."""
    if _FONTS_LOADED:
        return
    for name in _FONT_FILES:
        ident = QFontDatabase.addApplicationFont(str(FONTS_DIR / name))
        families = QFontDatabase.applicationFontFamilies(ident) if ident >= 0 else []
        if _FONT_FAMILY not in families:
            raise RuntimeError(f"cannot load the bundled font {FONTS_DIR / name}")
        _FONTS_LOADED.append(ident)


def _image(size: tuple[int, int], theme: Theme) -> QImage:
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.setDotsPerMeterX(_DOTS_PER_METER)
    image.setDotsPerMeterY(_DOTS_PER_METER)
    image.fill(theme.color("background"))
    return image


def _font(pixels: int, bold: bool = False) -> QFont:
    font = QFont(_FONT_FAMILY)
    font.setPixelSize(pixels)
    font.setBold(bold)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


# -- topology ------------------------------------------------------------------------------


def _topology_image(content: SnapshotContent, theme: Theme) -> QImage:
    width, height = TOPOLOGY_SIZE
    image = _image(TOPOLOGY_SIZE, theme)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        _draw_topology(painter, content, theme, width, height)
    finally:
        painter.end()
    return image


def _draw_topology(
    painter: QPainter, content: SnapshotContent, theme: Theme, width: int, height: int
) -> None:
    nodes: list[dict[str, Any]] = content.topology.get("nodes", [])
    edges: list[dict[str, Any]] = content.topology.get("edges") or content.topology.get("links", [])
    title_h, legend_h, margin = 44, 40, 36
    painter.setPen(theme.color("text"))
    painter.setFont(_font(20, bold=True))
    scope = content.scope.get("domain")
    title = f"Topology as of {_when(content)}" + (f" \u2014 domain {scope}" if scope else "")
    painter.drawText(QRectF(margin, 8, width - 2 * margin, title_h - 8), title)
    if not nodes:
        painter.setFont(_font(16))
        painter.drawText(QRectF(0, 0, width, height), Qt.AlignmentFlag.AlignCenter, "No topology")
        return
    xs = [float(n.get("x", 0.0)) for n in nodes]
    ys = [float(n.get("y", 0.0)) for n in nodes]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    box = QRectF(
        margin, title_h + margin / 2, width - 2 * margin, height - title_h - legend_h - margin
    )
    span_x = max(max_x - min_x, 1e-9)
    span_y = max(max_y - min_y, 1e-9)
    scale = min(box.width() / span_x, box.height() / span_y)
    offset_x = box.left() + (box.width() - span_x * scale) / 2
    offset_y = box.top() + (box.height() - span_y * scale) / 2
    points: dict[str, QPointF] = {}
    for node, x, y in zip(nodes, xs, ys, strict=True):
        # North / dependents up: larger y is drawn higher.
        points[str(node["id"])] = QPointF(
            offset_x + (x - min_x) * scale, offset_y + (max_y - y) * scale
        )

    severity_of: dict[str, Severity] = {}
    for alert in content.alerts:
        if alert["status"] == "firing" and alert["component"]:
            level = Severity[alert["severity"].upper()]
            component = str(alert["component"])
            severity_of[component] = max(level, severity_of.get(component, Severity.INFO))
    impacted: set[str] = set()
    causes: dict[str, str] = {}
    silent: set[str] = set()
    for rank, domain in enumerate(content.analysis["domains"], start=1):
        impacted.update(domain["impacted"])
        for number, cause in enumerate(domain["root_causes"][:3], start=1):
            causes.setdefault(cause["component"], f"{rank}.{number}")
            if not cause["alerting"]:
                silent.add(cause["component"])

    edge_pen = QPen(theme.color("edge"))
    edge_pen.setWidthF(1.0)
    painter.setPen(edge_pen)
    for edge in edges:
        start, end = points.get(str(edge["source"])), points.get(str(edge["target"]))
        if start is not None and end is not None:
            painter.drawLine(start, end)

    radius = max(3.0, min(9.0, 900.0 / math.sqrt(len(nodes) + 1) / 6))
    painter.setPen(QPen(theme.color("border"), 1.0))
    painter.setBrush(theme.color("surface_alt"))
    for node_id, point in points.items():
        if node_id not in severity_of and node_id not in impacted:
            painter.drawEllipse(point, radius * 0.7, radius * 0.7)
    highlight = QColor(theme.color("highlight"))
    painter.setPen(QPen(highlight, 1.0))
    highlight.setAlpha(110)
    painter.setBrush(highlight)
    for node_id in sorted(impacted - severity_of.keys()):
        if node_id in points:
            painter.drawEllipse(points[node_id], radius, radius)
    for node_id, level in sorted(severity_of.items(), key=lambda item: (item[1], item[0])):
        if node_id in points:
            _marker(painter, theme, points[node_id], radius * 1.7, level)
    silent_pen = QPen(theme.color("silent"), 3.0)
    silent_pen.setStyle(Qt.PenStyle.DashLine)
    for node_id in sorted(silent):
        if node_id in points:
            painter.setPen(silent_pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(points[node_id], radius * 2.2, radius * 2.2)

    # Root causes first, then alerting components; a label that would cover
    # one already drawn is left out (the HTML report lists every name).
    labelled = sorted(causes, key=lambda n: (causes[n], n)) + sorted(set(severity_of) - set(causes))
    taken: list[QRectF] = []
    for node_id in labelled[:_MAX_LABELS]:
        anchor = points.get(node_id)
        if anchor is None:
            continue
        text = node_id if node_id not in causes else f"#{causes[node_id]} {node_id}"
        painter.setFont(_font(13, bold=node_id in causes))
        _label(painter, theme, anchor + QPointF(radius * 2.0, -radius * 1.2), text, taken)

    _topology_legend(painter, theme, width, height - legend_h + 6, radius)


def _marker(painter: QPainter, theme: Theme, at: QPointF, size: float, level: Severity) -> None:
    painter.setPen(QPen(theme.severity_outline(level), 2.0))
    painter.setBrush(theme.severity_color(level))
    path = QPainterPath()
    x, y = at.x(), at.y()
    if level is Severity.CRITICAL:
        path.moveTo(x, y - size)
        path.lineTo(x + size * 0.95, y + size * 0.7)
        path.lineTo(x - size * 0.95, y + size * 0.7)
        path.closeSubpath()
    elif level is Severity.MAJOR:
        path.moveTo(x, y - size)
        path.lineTo(x + size, y)
        path.lineTo(x, y + size)
        path.lineTo(x - size, y)
        path.closeSubpath()
    else:
        path.addEllipse(at, size * 0.8, size * 0.8)
    if level is Severity.INFO:
        painter.setBrush(theme.color("background"))
        painter.setPen(QPen(theme.severity_color(level), 3.0))
    painter.drawPath(path)


def _label(painter: QPainter, theme: Theme, at: QPointF, text: str, taken: list[QRectF]) -> None:
    metrics = painter.fontMetrics()
    rect = QRectF(metrics.boundingRect(text)).adjusted(-3, -1, 3, 1)
    rect.moveBottomLeft(at)
    if any(rect.intersects(other) for other in taken):
        return
    taken.append(rect)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.color("background"))
    painter.drawRect(rect)
    painter.setPen(theme.color("text"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


def _topology_legend(
    painter: QPainter, theme: Theme, width: int, top: float, radius: float
) -> None:
    painter.setFont(_font(13))
    x = 36.0
    y = top + 12
    for level in _SEVERITIES:
        _marker(painter, theme, QPointF(x + 8, y), 8.0, level)
        painter.setPen(theme.color("text"))
        painter.drawText(QPointF(x + 22, y + 5), f"{level.label} alerting")
        x += 170
    fill = QColor(theme.color("highlight"))
    painter.setPen(QPen(fill, 1.0))
    fill.setAlpha(110)
    painter.setBrush(fill)
    painter.drawEllipse(QPointF(x + 8, y), 7, 7)
    painter.setPen(theme.color("text"))
    painter.drawText(QPointF(x + 22, y + 5), "impacted (blast radius)")
    x += 210
    pen = QPen(theme.color("silent"), 3.0)
    pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawEllipse(QPointF(x + 8, y), 9, 9)
    painter.setPen(theme.color("text"))
    painter.drawText(QPointF(x + 24, y + 5), "silent root cause")
    x += 180
    painter.drawText(QPointF(x, y + 5), "#d.c = domain d, root cause c")


# -- trends --------------------------------------------------------------------------------


def _trends_image(content: SnapshotContent, theme: Theme) -> QImage:
    width, height = TRENDS_SIZE
    image = _image(TRENDS_SIZE, theme)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    try:
        _draw_trends(painter, content.trends, content, theme, width, height)
    finally:
        painter.end()
    return image


def _draw_trends(
    painter: QPainter,
    trends: Mapping[str, Any],
    content: SnapshotContent,
    theme: Theme,
    width: int,
    height: int,
) -> None:
    painter.setPen(theme.color("text"))
    painter.setFont(_font(20, bold=True))
    painter.drawText(
        QRectF(36, 8, width - 72, 36),
        f"Firing alerts by severity and open failure domains, to {_when(content)}",
    )
    times: list[str] = list(trends.get("times", []))
    firing: Mapping[str, list[int]] = trends.get("firing", {})
    domains: list[int] = list(trends.get("open_domains", []))
    plot = QRectF(80, 60, width - 170, height - 140)
    painter.setPen(QPen(theme.color("border"), 1.0))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRect(plot)
    count = len(times)
    if count == 0:
        painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No data in the window")
        return
    stacks = [
        sum(firing.get(level.label, [0] * count)[i] for level in _SEVERITIES) for i in range(count)
    ]
    top = _nice_top(max(stacks))
    top_domains = _nice_top(max(domains) if domains else 0)
    step = plot.width() / max(count, 1)
    bar = max(1.0, step * 0.8)
    for i in range(count):
        base = plot.bottom()
        for level in reversed(_SEVERITIES):  # info at the bottom, critical on top
            value = firing.get(level.label, [0] * count)[i]
            if not value:
                continue
            h = plot.height() * value / top
            painter.setPen(QPen(theme.severity_outline(level), 0.8))
            painter.setBrush(theme.severity_color(level))
            painter.drawRect(QRectF(plot.left() + i * step + (step - bar) / 2, base - h, bar, h))
            base -= h
    # Open domains: a stepped line on the right-hand axis.
    pen = QPen(theme.color("text"), 2.5)
    pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    path = QPainterPath()
    for i, value in enumerate(domains):
        x = plot.left() + i * step + step / 2
        y = plot.bottom() - plot.height() * value / top_domains
        if i == 0:
            path.moveTo(x, y)
        else:
            path.lineTo(x, y)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    # Axes.
    painter.setFont(_font(12))
    painter.setPen(theme.color("text"))
    for k in range(5):
        y = plot.bottom() - plot.height() * k / 4
        painter.drawText(
            QRectF(10, y - 8, 62, 16), Qt.AlignmentFlag.AlignRight, f"{top * k / 4:.0f}"
        )
        painter.drawText(
            QRectF(plot.right() + 8, y - 8, 60, 16),
            Qt.AlignmentFlag.AlignLeft,
            f"{top_domains * k / 4:.0f}",
        )
    ticks = min(count, 9)
    for k in range(ticks):
        i = round(k * (count - 1) / max(ticks - 1, 1))
        x = plot.left() + i * step + step / 2
        painter.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 5))
        label = _clock(times[i])
        painter.drawText(
            QRectF(x - 40, plot.bottom() + 8, 80, 16), Qt.AlignmentFlag.AlignCenter, label
        )
    painter.save()
    painter.translate(22, plot.center().y())
    painter.rotate(-90)
    painter.drawText(QRectF(-80, -10, 160, 20), Qt.AlignmentFlag.AlignCenter, "firing alerts")
    painter.restore()
    painter.save()
    painter.translate(width - 18, plot.center().y())
    painter.rotate(90)
    painter.drawText(QRectF(-80, -10, 160, 20), Qt.AlignmentFlag.AlignCenter, "open domains")
    painter.restore()
    # Legend.
    x = plot.left()
    y = height - 28
    painter.setFont(_font(13))
    for level in _SEVERITIES:
        painter.setPen(QPen(theme.severity_outline(level), 1.0))
        painter.setBrush(theme.severity_color(level))
        painter.drawRect(QRectF(x, y - 10, 16, 14))
        painter.setPen(theme.color("text"))
        painter.drawText(QPointF(x + 22, y + 2), level.label)
        x += 120
    painter.setPen(pen)
    painter.drawLine(QPointF(x, y - 3), QPointF(x + 30, y - 3))
    painter.setPen(theme.color("text"))
    bucket = float(trends.get("bucket_seconds", 60.0))
    painter.drawText(
        QPointF(x + 38, y + 2), f"open failure domains (one bar per {bucket / 60:g} min)"
    )


def _nice_top(value: int) -> int:
    """The smallest multiple of 4 at or above `value` (whole numbers on 4 grid steps)."""
    return max(4, -(-int(value) // 4) * 4)


def _when(content: SnapshotContent) -> str:
    from core.model import format_time

    return format_time(content.when)


def _clock(text: str) -> str:
    try:
        seconds = parse_time(text)
    except ValueError:
        return text
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%H:%M")


# -- PNG ------------------------------------------------------------------------------------


def encode_png(image: QImage) -> bytes:
    """Encode an image as PNG here: fixed filter and zlib level, no time or text chunks.

    Every row uses the PNG "Sub" filter (each byte minus the one a pixel to
    its left), which suits flat drawings, computed with numpy; the output
    depends only on the pixels, so it is deterministic.
    """
    import numpy as np

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    stride = rgb.bytesPerLine()
    pixels = np.frombuffer(bytes(rgb.constBits()), dtype=np.uint8)[: stride * height]
    rows = pixels.reshape(height, stride)[:, : width * 3]
    filtered = np.empty((height, width * 3 + 1), dtype=np.uint8)
    filtered[:, 0] = 1  # filter type Sub
    filtered[:, 1:4] = rows[:, :3]
    filtered[:, 4:] = rows[:, 3:] - rows[:, :-3]  # uint8 arithmetic wraps mod 256
    scanlines = filtered.tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(scanlines, 6))
        + chunk(b"IEND", b"")
    )
