"""One call from inputs to a written `.wfsnap`: select, redact, draw, pack.

The images are drawn by a caller-supplied `render` (the console's offscreen
renderer), after redaction, so the labels drawn in them are redacted too.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from core.graph.topology import Topology
from core.snapshot.archive import snapshot_bytes
from core.snapshot.content import (
    SnapshotContent,
    SnapshotOptions,
    atomic_write,
    build_content,
    redact_content,
)
from core.snapshot.redact import Pattern, Redactor
from core.timeline import Record

__all__ = ["KEY_ENV", "export_snapshot", "redaction_key"]

KEY_ENV = "WATCHFLOOR_REDACT_KEY"
"""Environment variable holding the redaction key (any text); never written anywhere."""

Progress = Callable[[float, str], None]
Render = Callable[[SnapshotContent], Mapping[str, bytes]]


def redaction_key(inputs: Iterable[bytes]) -> bytes:
    """The key pseudonyms are made with.

    `WATCHFLOOR_REDACT_KEY` when set (the same key gives the same pseudonyms
    across incidents), else a digest of the inputs themselves: stable for the
    same input (byte-identical exports), and unguessable by whoever does not
    hold the unredacted data.
    """
    secret = os.environ.get(KEY_ENV)
    if secret:
        return hashlib.sha256(secret.encode("utf-8")).digest()
    digest = hashlib.sha256(b"watchfloor-redaction-v1")
    for data in inputs:
        digest.update(hmac.new(b"input", data, hashlib.sha256).digest())
    return digest.digest()


def export_snapshot(
    out: str | Path,
    topology: Topology,
    records: list[Record],
    options: SnapshotOptions,
    *,
    patterns: list[Pattern] | None = None,
    key: bytes = b"",
    render: Render | None = None,
    progress: Progress | None = None,
) -> int:
    """Build, redact, draw and write a snapshot atomically; returns the file size.

    Raises ValueError (bad options), SnapshotError (cannot write) or whatever
    `render` raises.
    """
    report = progress or (lambda _fraction, _text: None)
    content = build_content(topology, records, options, progress=report)
    if patterns:
        report(0.72, "Redacting")
        content = redact_content(content, Redactor(list(patterns), key))
    images: Mapping[str, bytes] = {}
    if render is not None:
        report(0.8, "Drawing images")
        images = render(content)
    report(0.9, "Writing")
    payload = snapshot_bytes(content, images)
    path = Path(out)
    try:
        atomic_write(path, payload)
    except OSError as exc:
        from core.snapshot.archive import SnapshotError

        raise SnapshotError(f"{path}: cannot write: {exc.strerror or exc}") from None
    report(1.0, "Done")
    return len(payload)
