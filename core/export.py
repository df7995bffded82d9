"""CSV export of what the operator sees (rejected records, unmapped alerts, ...).

Alert text is untrusted: a cell starting with `=`, `+`, `-` or `@` (or a tab
or carriage return) would run as a formula when the file is opened in a
spreadsheet, so such cells are prefixed with a single quote (OWASP "CSV
injection"). Files are written atomically: temp file in the same directory,
then rename.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["csv_safe_cell", "export_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value: object) -> str:
    """The cell as text, neutralised if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def export_csv(path: str | Path, rows: Iterable[Sequence[object]]) -> int:
    """Write rows (the first usually a header) to `path`; returns the rows written."""
    target = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    count = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            for row in rows:
                writer.writerow([csv_safe_cell(cell) for cell in row])
                count += 1
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count
