"""Replay files on disk: plain and gzip NDJSON, damage, and atomic writing."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from core.ingest.decode import Decoder
from core.ingest.replay import (
    ReplayError,
    ReplayWriter,
    iter_replay,
    iter_replay_batches,
    write_replay,
)
from core.model import AlertEvent, Rejected

DATA = Path(__file__).parents[2] / "data" / "alertmanager"


def webhook_lines() -> list[bytes]:
    return [(DATA / f"webhook_{n:03d}.json").read_bytes().strip() for n in (1, 2, 3)]


def flatten(results: list[tuple[list[AlertEvent], list[Rejected]]]) -> list[AlertEvent | Rejected]:
    items: list[AlertEvent | Rejected] = []
    for events, rejected in results:
        items.extend(events)
        items.extend(rejected)
    return items


@pytest.mark.parametrize("name", ["replay.ndjson", "replay.ndjson.gz"])
def test_write_then_read_plain_and_gzip(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    assert write_replay(path, webhook_lines()) == 3
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    results = list(iter_replay(path, Decoder()))
    assert [len(events) for events, _ in results] == [1, 1, 2]
    assert all(rejected == [] for _, rejected in results)
    origins = [e.origin for events, _ in results for e in events]
    assert origins == ["line 1", "line 2", "line 3, alert 1", "line 3, alert 2"]


def test_gzip_detected_by_content_not_suffix(tmp_path: Path) -> None:
    path = tmp_path / "replay.ndjson"
    path.write_bytes(gzip.compress(b"\n".join(webhook_lines()) + b"\n"))
    events = [e for events, _ in iter_replay(path, Decoder()) for e in events]
    assert [e.fingerprint for e in events][:2] == ["7d45cb93cf92c364", "f191e3ad032e12bf"]


def test_plain_file_with_gz_suffix_reads_as_plain(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.gz"
    path.write_bytes(webhook_lines()[0] + b"\n")
    [(events, rejected)] = list(iter_replay(path, Decoder()))
    assert len(events) == 1 and rejected == []


def test_blank_lines_skipped_line_numbers_kept(tmp_path: Path) -> None:
    lines = webhook_lines()
    path = tmp_path / "r.ndjson"
    path.write_bytes(
        b"\n" + lines[0] + b"\n   \n\r\n" + lines[1] + b"\r\n"
    )  # no final newline issue
    results = list(iter_replay(path, Decoder()))
    assert [events[0].origin for events, _ in results] == ["line 2", "line 5"]


def test_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "r.ndjson"
    path.write_bytes(webhook_lines()[0])
    assert len(list(iter_replay(path, Decoder()))) == 1


def test_non_utf8_line_is_rejected_alone(tmp_path: Path) -> None:
    lines = webhook_lines()
    path = tmp_path / "r.ndjson"
    path.write_bytes(lines[0] + b'\n{"labels": {"a": "caf\xe9"}}\n' + lines[1] + b"\n")
    items = flatten(list(iter_replay(path, Decoder())))
    assert [type(i).__name__ for i in items] == ["AlertEvent", "Rejected", "AlertEvent"]
    bad = items[1]
    assert isinstance(bad, Rejected)
    assert bad.where == "line 2"
    assert bad.reason.startswith("not UTF-8 text: byte 0xe9")


def test_bad_json_line_does_not_stop_the_replay(tmp_path: Path) -> None:
    path = tmp_path / "r.ndjson"
    path.write_bytes(b"{oops\n" + webhook_lines()[0] + b"\n")
    results = list(iter_replay(path, Decoder()))
    assert results[0][1][0].where == "line 1"
    assert results[0][1][0].reason.startswith("not valid JSON")
    assert len(results[1][0]) == 1


def test_truncated_gzip_becomes_one_rejection(tmp_path: Path) -> None:
    line = webhook_lines()[0]
    whole = gzip.compress(b"".join(line + b"\n" for _ in range(200)))
    path = tmp_path / "cut.ndjson.gz"
    path.write_bytes(whole[: len(whole) * 2 // 3])
    results = list(iter_replay(path, Decoder()))
    *good, (events, rejected) = results
    assert events == []
    n = len(good)
    assert 0 < n < 200
    assert all(len(ev) == 1 and rj == [] for ev, rj in good)
    assert rejected == [Rejected(f"line {n + 1}", f"compressed file is truncated after line {n}")]


def test_corrupt_gzip_becomes_one_rejection(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    [(events, rejected)] = list(iter_replay(path, Decoder()))
    assert events == []
    assert rejected[0].where == "line 1"
    assert rejected[0].reason == "compressed file is corrupt after line 0"


def test_missing_file_raises_replay_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError, match=r"cannot read replay file .*nope\.ndjson"):
        list(iter_replay(tmp_path / "nope.ndjson", Decoder()))


def test_directory_raises_replay_error(tmp_path: Path) -> None:
    with pytest.raises(ReplayError):
        list(iter_replay(tmp_path, Decoder()))


def test_replay_error_is_an_oserror() -> None:
    assert issubclass(ReplayError, OSError)


def test_batches_keep_file_order(tmp_path: Path) -> None:
    lines = webhook_lines()
    records = [lines[i % 3] for i in range(30)] + [b"[1]"]
    path = tmp_path / "r.ndjson"
    write_replay(path, records)
    batches = list(iter_replay_batches(path, Decoder(), batch_size=7))
    assert all(len(b) >= 7 for b in batches[:-1])
    flat = [item for batch in batches for item in batch]
    assert flat == flatten(list(iter_replay(path, Decoder())))
    assert len(flat) == 40 + 1
    assert isinstance(flat[-1], Rejected) and flat[-1].where == "line 31"


def test_writer_is_atomic_on_error(tmp_path: Path) -> None:
    path = tmp_path / "r.ndjson"
    path.write_bytes(b"old\n")
    with pytest.raises(RuntimeError), ReplayWriter(path) as writer:
        writer.write({"a": 1})
        raise RuntimeError("crash")
    assert path.read_bytes() == b"old\n"
    assert sorted(os.listdir(tmp_path)) == ["r.ndjson"]  # no temp file left behind


def test_writer_encodes_objects_and_refuses_multiline(tmp_path: Path) -> None:
    path = tmp_path / "r.ndjson"
    with ReplayWriter(path) as writer:
        writer.write({"ts": 1, "value": {"labels": {"a": "b"}}})
        writer.write('{"x": 1}')
        with pytest.raises(ValueError, match="one line"):
            writer.write(b'{"x":\n1}')
    assert writer.count == 2
    assert [json.loads(line) for line in path.read_text().splitlines()] == [
        {"ts": 1, "value": {"labels": {"a": "b"}}},
        {"x": 1},
    ]


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.ndjson.gz", tmp_path / "sub"
    b.mkdir()
    write_replay(a, webhook_lines())
    write_replay(b / "a.ndjson.gz", webhook_lines())
    assert a.read_bytes() == (b / "a.ndjson.gz").read_bytes()
