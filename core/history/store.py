"""The embedded history: one SQLite file (WAL) of what the console saw and did.

Tables (all times are event times in epoch seconds, except `actions.at`,
the wall time an operator acted):
- `sources`: each alert source recorded (a replay file by content, a live
  topic), with its topology path, record count and time span;
- `chunks`: every alert observation and rejected record, in the order the
  engine applied them: items `seq` .. `seq + count - 1` of a source per row,
  with their time span (`low`, `high`: the times the timeline sorts by) and
  the items themselves in one msgpack `payload` (core/history/payload.py);
- `labels`: each fingerprint's labels, once (labels are an alert's identity);
- `episodes`: each firing episode of each alert (start, end; end NULL while
  it fires), with severity and component: what trends and noise count;
- `domain_steps`: failure-domain lifecycle (opened, changed, closed) with the
  ranked root causes at each step;
- `actions`: operator actions (acknowledge, assign, notes) with the event
  clock at the moment they were taken, for time-to-acknowledge;
- `merges`: which domain merged into which, when (its `closed` step is the
  merge), so a domain's time-to-acknowledge counts what was merged into it.

Every write goes through `HistoryWriter` (one transaction per batch, in its own
thread); readers use their own connections, which WAL never blocks.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

SCHEMA_VERSION = 1
CORE_TABLES = frozenset(
    {"meta", "sources", "labels", "chunks", "episodes", "domain_steps", "actions"}
)
"""Tables every store of SCHEMA_VERSION has."""
ADDED_TABLES = frozenset({"merges"})
"""Tables added to SCHEMA_VERSION later: a store without them gets them, empty, when opened."""
BUSY_TIMEOUT_MS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    topology TEXT NOT NULL DEFAULT '',
    records INTEGER NOT NULL DEFAULT 0,
    first_time REAL,
    last_time REAL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS labels(
    fingerprint TEXT PRIMARY KEY,
    labels TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks(
    source INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    count INTEGER NOT NULL,
    events INTEGER NOT NULL,
    low REAL NOT NULL,
    high REAL NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (source, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chunks_time ON chunks(low);
CREATE TABLE IF NOT EXISTS episodes(
    source INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    episode INTEGER NOT NULL,
    severity INTEGER NOT NULL,
    component TEXT,
    start REAL NOT NULL,
    end REAL,
    PRIMARY KEY (source, fingerprint, episode)
);
CREATE INDEX IF NOT EXISTS episodes_end ON episodes(end);
CREATE INDEX IF NOT EXISTS episodes_open ON episodes(start) WHERE end IS NULL;
CREATE TABLE IF NOT EXISTS domain_steps(
    source INTEGER NOT NULL,
    domain TEXT NOT NULL,
    step TEXT NOT NULL,
    at REAL NOT NULL,
    severity INTEGER,
    members INTEGER,
    alerts INTEGER,
    impacted INTEGER,
    root_causes TEXT NOT NULL,
    UNIQUE (source, domain, step, at)
);
CREATE INDEX IF NOT EXISTS domain_steps_at ON domain_steps(step, at);
CREATE TABLE IF NOT EXISTS actions(
    id INTEGER PRIMARY KEY,
    source INTEGER NOT NULL,
    domain TEXT NOT NULL,
    kind TEXT NOT NULL,
    who TEXT NOT NULL,
    at REAL NOT NULL,
    clock REAL,
    text TEXT NOT NULL DEFAULT '',
    UNIQUE (source, domain, kind, who, at, text)
);
CREATE TABLE IF NOT EXISTS merges(
    source INTEGER NOT NULL,
    domain TEXT NOT NULL,
    into_domain TEXT NOT NULL,
    at REAL NOT NULL,
    UNIQUE (source, domain)
);
"""


class HistoryError(Exception):
    """The history file cannot be opened or used; one line for the operator."""


def connect(path: str | Path, *, create: bool = True, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's pragmas (WAL, NORMAL sync, busy timeout).

    `create` makes the file and schema when missing; `readonly` opens an
    existing store for queries only. Raises HistoryError with a one-line reason.
    """
    target = Path(path).expanduser()
    if not create and not target.is_file():
        raise HistoryError(f"no history at {str(target)!r}")
    try:
        if readonly:
            conn = sqlite3.connect(
                f"{target.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(target), check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not readonly:
            # auto_vacuum only takes effect before the first table exists.
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise HistoryError(f"cannot use WAL journaling on {str(target)!r}")
            # NORMAL in WAL mode: a killed process never loses a committed
            # transaction; only an OS crash may lose the last few, never corrupt.
            conn.execute("PRAGMA synchronous=NORMAL")
            _ensure_schema(conn, target)
        else:
            _check_schema(conn, target)
    except sqlite3.DatabaseError as exc:
        raise HistoryError(f"cannot use history {str(target)!r}: {exc}") from None
    except OSError as exc:
        raise HistoryError(f"cannot open history {str(target)!r}: {exc.strerror or exc}") from None
    return conn


_SCHEMA_LOCK = threading.Lock()


def _ensure_schema(conn: sqlite3.Connection, target: Path) -> None:
    with _SCHEMA_LOCK:
        row = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if row is not None:
            version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None or int(version[0]) != SCHEMA_VERSION:
                found = "none" if version is None else version[0]
                raise HistoryError(
                    f"history {str(target)!r} has schema {found},"
                    f" not the supported {SCHEMA_VERSION}"
                )
            tables = {
                name
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            missing = sorted(CORE_TABLES - tables)
            if missing:
                # A store from before observations were kept in chunks: its rows
                # cannot be read, and writing beside them would mix two formats.
                raise HistoryError(
                    f"history {str(target)!r} was written by an earlier development version of"
                    f" Watchfloor (no {', '.join(missing)} table): move it aside or choose"
                    " another file"
                )
            if ADDED_TABLES - tables:
                with conn:  # tables added since (merges): created empty, nothing else changes
                    conn.executescript("BEGIN;" + SCHEMA + "COMMIT;")
            return
        others = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        if others:
            raise HistoryError(
                f"{str(target)!r} is an SQLite database, but not a Watchfloor history"
            )
        with conn:
            conn.executescript("BEGIN;" + SCHEMA + "COMMIT;")
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema', ?)", (SCHEMA_VERSION,)
            )


def _check_schema(conn: sqlite3.Connection, target: Path) -> None:
    try:
        version = conn.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    except sqlite3.DatabaseError:
        raise HistoryError(f"{str(target)!r} is not a Watchfloor history") from None
    if version is None or int(version[0]) != SCHEMA_VERSION:
        raise HistoryError(f"{str(target)!r} is not a Watchfloor history of a supported version")


@contextmanager
def reading(path: str | Path) -> Iterator[sqlite3.Connection]:
    """A short-lived read connection to an existing store."""
    with closing(connect(path, create=False)) as conn:
        yield conn


def meta_value(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return None if row is None else str(row[0])
