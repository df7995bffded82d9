"""Retention: forget history older than a cutoff, safely.

Safe means:
- the cutoff is in event time, counted back from the newest stored item, so
  replaying an old recording never prunes it away on arrival;
- what the state after the cutoff still needs stays: an alert still firing
  at the cutoff keeps its observations (a rebuild later still shows it firing,
  since when), a domain still open keeps its lifecycle and operator actions;
- deletes run in small transactions, so the writer and readers (WAL) go on,
  and a kill in the middle leaves a consistent store (each step is atomic);
- the cutoff is stored (`meta.pruned_before`): a rebuild before it says so.
"""

from __future__ import annotations

import sqlite3

from core.history.store import meta_value

DAY = 86_400.0
CHUNK = 20_000


def retention_cutoff(conn: sqlite3.Connection, days: float) -> float | None:
    """The cutoff that keeps `days` of history before the newest item (None: nothing to prune)."""
    if days <= 0:
        return None
    newest = conn.execute("SELECT max(last_time) FROM sources").fetchone()[0]
    return None if newest is None else float(newest) - days * DAY


def prune(conn: sqlite3.Connection, before: float) -> int:
    """Delete what is no longer needed from before `before`; returns rows removed."""
    removed = 0
    # Closed episodes that ended before the cutoff.
    removed += _chunked(
        conn,
        "DELETE FROM episodes WHERE rowid IN (SELECT rowid FROM episodes "
        "WHERE end IS NOT NULL AND end < ? LIMIT ?)",
        (before,),
    )
    removed += _prune_chunks(conn, before)
    # Domains closed before the cutoff: their lifecycle and operator actions.
    removed += _chunked(
        conn,
        "DELETE FROM actions WHERE rowid IN (SELECT a.rowid FROM actions a "
        "WHERE (a.source, a.domain) IN (SELECT source, domain FROM domain_steps "
        "WHERE step = 'closed' AND at < ?) LIMIT ?)",
        (before,),
    )
    removed += _chunked(
        conn,
        "DELETE FROM merges WHERE rowid IN (SELECT m.rowid FROM merges m "
        "WHERE (m.source, m.domain) IN (SELECT source, domain FROM domain_steps "
        "WHERE step = 'closed' AND at < ?) LIMIT ?)",
        (before,),
    )
    removed += _chunked(
        conn,
        "DELETE FROM domain_steps WHERE rowid IN (SELECT d.rowid FROM domain_steps d "
        "WHERE (d.source, d.domain) IN (SELECT source, domain FROM domain_steps "
        "WHERE step = 'closed' AND at < ?) LIMIT ?)",
        (before,),
    )
    with conn:
        previous = meta_value(conn, "pruned_before")
        if previous is None or float(previous) < before:
            conn.execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES ('pruned_before', ?)",
                (repr(float(before)),),
            )
    conn.execute("PRAGMA incremental_vacuum")
    return removed


def _prune_chunks(conn: sqlite3.Connection, before: float) -> int:
    """Delete stored observations from before the cutoff, a whole chunk at a time.

    A chunk goes only when all its items are older than the cutoff and none
    is an observation of an alert still firing at the cutoff (it keeps the
    rest of its chunk: retention keeps a little more, never less).
    """
    from core.history.payload import fingerprints

    firing: dict[int, set[str]] = {}
    for source, fingerprint in conn.execute(
        "SELECT source, fingerprint FROM episodes WHERE start < ?", (before,)
    ):  # closed ones that ended before the cutoff are gone already: these still fire
        firing.setdefault(source, set()).add(fingerprint)
    removed = 0
    last: tuple[int, int] = (-1, -1)
    while True:
        rows = conn.execute(
            "SELECT source, seq, count, payload FROM chunks "
            "WHERE high < ? AND (source, seq) > (?, ?) ORDER BY source, seq LIMIT ?",
            (before, *last, CHUNK // 100),
        ).fetchall()
        if not rows:
            return removed
        doomed = [
            (source, seq, count)
            for source, seq, count, payload in rows
            if not (fingerprints(payload) & firing.get(source, set()))
        ]
        with conn:
            conn.executemany(
                "DELETE FROM chunks WHERE source = ? AND seq = ?", [d[:2] for d in doomed]
            )
        removed += sum(d[2] for d in doomed)
        last = (rows[-1][0], rows[-1][1])


def _chunked(conn: sqlite3.Connection, sql: str, args: tuple[float, ...]) -> int:
    total = 0
    while True:
        with conn:
            count = conn.execute(sql, (*args, CHUNK)).rowcount
        total += max(count, 0)
        if count < CHUNK:
            return total
