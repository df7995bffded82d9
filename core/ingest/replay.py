"""Replay files (DESIGN.md 3.3): NDJSON, one record a line, plain or gzip.

Reading yields per-line decode results in file order; a damaged gzip ends the
replay with one `Rejected` instead of an exception, because everything read up
to the damage is still good evidence. Writing is atomic (temp file + rename),
so a crash never leaves a half-written recording under the final name.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from core.ingest.decode import Decoder
from core.model import AlertEvent, Rejected

__all__ = [
    "GZIP_MAGIC",
    "ReplayError",
    "ReplayWriter",
    "iter_replay",
    "iter_replay_batches",
    "write_replay",
]

GZIP_MAGIC = b"\x1f\x8b"


class ReplayError(OSError):
    """A replay file cannot be opened or read at all (the CLI exits with 2)."""


def _open(path: Path) -> io.BufferedIOBase:
    """Open for reading, gunzipping when the content (not the name) says gzip."""
    try:
        raw = path.open("rb")
    except OSError as error:
        raise ReplayError(f"cannot read replay file '{path}': {error.strerror or error}") from error
    try:
        magic = raw.read(2)
        raw.seek(0)
    except OSError as error:
        raw.close()
        raise ReplayError(f"cannot read replay file '{path}': {error.strerror or error}") from error
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb")  # closes only itself; see _lines
    return raw


def _lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, bytes | None, str]]:
    """(line number, stripped line, "") per non-blank line; (n, None, reason) on damage."""
    path = Path(path)
    stream = _open(path)
    number = 0
    try:
        for number, line in enumerate(stream, 1):
            stripped = line.strip()
            if stripped:
                yield number, stripped, ""
    except EOFError:
        yield number + 1, None, f"compressed file is truncated after line {number}"
    except (gzip.BadGzipFile, zlib.error):
        yield number + 1, None, f"compressed file is corrupt after line {number}"
    except OSError as error:
        raise ReplayError(f"cannot read replay file '{path}': {error.strerror or error}") from error
    finally:
        stream.close()
        inner = getattr(stream, "fileobj", None)
        if inner is not None:
            inner.close()


def iter_replay(
    path: str | os.PathLike[str], decoder: Decoder
) -> Iterator[tuple[list[AlertEvent], list[Rejected]]]:
    """Decode a replay file line by line; `where` is "line N" (1-based), blank lines skipped.

    Raises ReplayError when the file cannot be opened or read; bad lines and a
    truncated or corrupt gzip become `Rejected` records and never raise.
    """
    for number, line, damage in _lines(path):
        where = f"line {number}"
        if line is None:
            yield [], [Rejected(where, damage)]
            return
        yield decoder.decode(line, where)


def iter_replay_batches(
    path: str | os.PathLike[str], decoder: Decoder, batch_size: int = 4096
) -> Iterator[list[AlertEvent | Rejected]]:
    """Like `iter_replay`, grouped into lists of about `batch_size` items for the engine.

    Items keep file order; within one line its events come before its rejections.
    """
    batch: list[AlertEvent | Rejected] = []
    for events, rejected in iter_replay(path, decoder):
        batch.extend(events)
        if rejected:
            batch.extend(rejected)
        if len(batch) >= batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


class ReplayWriter:
    """Writes NDJSON records to `path` atomically; gzip when the name ends in .gz.

    Use as a context manager: the file appears under its name only when the
    block ends without an exception. The gzip header carries no timestamp, so
    the same records give byte-identical files.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.count = 0
        self._encoder = msgspec.json.Encoder()
        fd, temp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        self._temp = Path(temp)
        self._raw: io.BufferedIOBase = os.fdopen(fd, "wb")
        self._out: io.BufferedIOBase = self._raw
        if self.path.suffix == ".gz":
            self._out = gzip.GzipFile(
                filename=self.path.name, mode="wb", fileobj=self._raw, mtime=0
            )
        self._closed = False

    def write(self, record: bytes | str | Any) -> None:
        """Append one record: JSON bytes/text as is, anything else encoded with msgspec."""
        if isinstance(record, str):
            data = record.encode()
        elif isinstance(record, bytes | bytearray):
            data = bytes(record)
        else:
            data = self._encoder.encode(record)
        data = data.strip()
        if b"\n" in data or b"\r" in data:
            raise ValueError("a replay record must be one line of JSON")
        self._out.write(data + b"\n")
        self.count += 1

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._out is not self._raw:
                self._out.close()  # writes the gzip trailer; leaves _raw open
            self._raw.flush()
            os.fsync(self._raw.fileno())
            self._raw.close()
            os.replace(self._temp, self.path)
        except BaseException:
            self._raw.close()
            self._temp.unlink(missing_ok=True)
            raise

    def abort(self) -> None:
        """Drop what was written; the final path is left untouched."""
        if self._closed:
            return
        self._closed = True
        try:
            self._out.close()
            self._raw.close()
        finally:
            self._temp.unlink(missing_ok=True)

    def __enter__(self) -> ReplayWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_replay(path: str | os.PathLike[str], records: Iterable[bytes | str | Any]) -> int:
    """Write `records` as a replay file atomically; returns how many were written."""
    with ReplayWriter(path) as writer:
        for record in records:
            writer.write(record)
    return writer.count
