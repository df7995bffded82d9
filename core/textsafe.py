"""Making untrusted alert text safe to print.

Alert labels and annotations come from anyone who can post to Alertmanager or
Kafka. In a terminal, control characters (ANSI escape sequences in
particular) can rewrite the screen or the title bar, so they are shown as
visible escapes instead of being interpreted.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def safe_text(value: str, *, keep_newlines: bool = False) -> str:
    """Replace control and bidi-override characters by visible `\\x..`/`\\u....` escapes."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    text = _CONTROL.sub(escape, value)
    if not keep_newlines:
        text = text.replace("\n", "\\n").replace("\t", " ")
    return text
