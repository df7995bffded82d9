"""Widgets that show untrusted alert text as text, never as rich text.

QLabel's default `Qt.AutoText` renders anything that looks like HTML; alert
labels and annotations come from anyone who can post to Alertmanager, so
every label that may carry alert text is created here with `Qt.PlainText`
and control characters escaped (core.textsafe).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from core.textsafe import safe_text


def plain_label(text: str = "", parent: QWidget | None = None, *, wrap: bool = False) -> QLabel:
    """A QLabel that can only ever show plain text."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(wrap)
    label.setText(safe_text(text))
    return label


def set_plain(label: QLabel, text: str, *, keep_newlines: bool = False) -> None:
    """Set escaped text on a plain-text label (newlines kept only when asked)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(safe_text(text, keep_newlines=keep_newlines))


def plain_view(parent: QWidget | None = None) -> QPlainTextEdit:
    """A read-only multi-line text box (QPlainTextEdit never interprets markup)."""
    view = QPlainTextEdit(parent)
    view.setReadOnly(True)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    view.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    return view
