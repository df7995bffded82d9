"""The rows the history writer builds: sources, episodes, domain steps, and a batch of them.

Kept apart from the writer thread (core/history/writer.py) so the recorder and
the tests name them without the thread's machinery.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from core.engine import Engine
    from core.history.recorder import EngineRecorder

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """An alert source as the store knows it (`key` identifies it across sessions)."""

    key: str
    name: str
    topology: str = ""
    records: int = 0
    content: str = ""
    """A file whose SHA-256 completes `key` (hashed in the writer thread, off the GUI)."""


@dataclass(frozen=True, slots=True)
class EpisodeRow:
    """One alert's firing episode as of now (`end` None while it fires)."""

    fingerprint: str
    episode: int
    severity: int
    component: str | None
    start: float
    end: float | None


EpisodeTuple = tuple[str, int, int, str | None, float, float | None]
"""An `EpisodeRow` as a plain tuple (fingerprint, episode, severity, component, start, end)."""


@dataclass(frozen=True, slots=True)
class DomainStep:
    """A failure domain opened, changed or closed, with its ranked root causes then.

    Its blast radius is not recorded (`domain_steps.impacted` stays empty; stores
    written before hold a count there): on a large estate counting it took the
    writer a BFS over tens of thousands of components for most domains, a sixth
    of its time, and the console's time travel shows any past domain's blast
    radius exactly, from the engine rebuilt as of that moment."""

    domain: str
    step: str  # "opened" | "changed" | "closed"
    at: float
    severity: int | None = None
    members: int | None = None
    alerts: int | None = None
    # (component, score or None when not ranked, alerting); None: as last recorded
    root_causes: tuple[tuple[str, float | None, bool], ...] | None = None


@dataclass(frozen=True, slots=True)
class CommitStats:
    """What one transaction wrote (for progress and tests)."""

    items: int
    last_seq: dict[int, int]
    seconds: float
    pending: int


@dataclass(slots=True)
class SourceState:
    info: SourceInfo
    id: int | None = None
    next_seq: int = 0  # items below this are in the store already
    last_time: float | None = None  # the newest time stored for it before this session
    engine: Engine | None = None  # the writer's own engine for this source (lifecycle)
    recorder: EngineRecorder | None = None
    applied: int = 0  # items the engine applied


class BatchSink:
    """Recorder rows straight into the batch being written (in the writer thread).

    `roots`: the root causes JSON last stored per (source, open domain), which
    a closed step repeats (the writer's, shared by every sink of one writer).
    """

    def __init__(
        self,
        batch: Batch,
        sid: int,
        episodes: EpisodeCache,
        roots: dict[tuple[int, str], str] | None = None,
    ) -> None:
        self.batch, self.sid, self.episodes = batch, sid, episodes
        self.roots: dict[tuple[int, str], str] = {} if roots is None else roots

    def add_episodes(self, handle: int, rows: Sequence[EpisodeRow]) -> None:
        self.episodes.take(self.batch, self.sid, rows)

    def add_episode_tuples(self, rows: Sequence[EpisodeTuple]) -> None:
        """`add_episodes` for rows as tuples (fingerprint, episode, severity, component,
        start, end)."""
        self.episodes.take_tuples(self.batch, self.sid, rows)

    def add_domain_steps(self, handle: int, steps: Sequence[DomainStep]) -> None:
        self.batch.step_rows.extend(step_rows(self.sid, steps, self.roots))

    def add_merges(self, handle: int, merges: Sequence[tuple[str, str, float]]) -> None:
        self.batch.merges.extend((self.sid, *merge) for merge in merges)


class EpisodeCache:
    """The last episode row written per alert: re-sends that change nothing write nothing.

    A firing alert is re-sent every group interval; its episode row stays the
    same, and skipping those upserts is most of the episode work saved.
    """

    def __init__(self) -> None:
        self._last: dict[tuple[int | None, str], tuple[Any, ...]] = {}
        # A live source recorded before: each alert's last stored episode (number,
        # start when still open), and the offset its episodes get in this session.
        self._stored: dict[tuple[int | None, str], tuple[int, float | None]] = {}
        self._offset: dict[tuple[int | None, str], int] = {}

    def continue_after(self, sid: int, stored: dict[str, tuple[int, float | None]]) -> None:
        """A source's engine starts afresh over stored episodes: number on after them.

        An alert still open in the store with the same start is the same
        episode going on (a live console reopened while it fires).
        """
        for fingerprint, last in stored.items():
            self._stored[(sid, fingerprint)] = last

    def take(self, batch: Batch, sid: int | None, rows: Sequence[EpisodeRow]) -> int:
        return self.take_tuples(
            batch,
            sid,
            [(r.fingerprint, r.episode, r.severity, r.component, r.start, r.end) for r in rows],
        )

    def take_tuples(self, batch: Batch, sid: int | None, rows: Sequence[EpisodeTuple]) -> int:
        """Rows (fingerprint, episode, severity, component, start, end) into the batch."""
        last = self._last
        taken = 0
        stored = self._stored
        offsets = self._offset
        episodes, ended = batch.episodes, batch.ended
        for fingerprint, episode, severity, component, start, end in rows:
            key = (sid, fingerprint)
            if stored:
                offset = offsets.get(key)
                if offset is None:
                    number, open_start = stored.pop(key, (0, None))
                    same = number > 0 and episode == 1 and open_start == start
                    offset = number - 1 if same else number
                    offsets[key] = offset
                episode += offset
            elif offsets:
                episode += offsets.get(key, 0)
            row = (episode, severity, component, start, end)
            old = last.get(key)
            if old == row:
                continue
            last[key] = row
            episodes.append((sid, fingerprint, episode, severity, component, start, end))
            # A later episode means the earlier ones ended (a flap can fall between
            # two recordings): end them where the new one starts.
            if episode > 1 and (old is None or (old[0] < episode and old[4] is None)):
                ended.append((start, sid, fingerprint, episode))
            taken += 1
        return taken


def roots_json(root_causes: Iterable[tuple[str, float | None, bool]]) -> str:
    """Ranked root causes as stored in `domain_steps.root_causes`."""
    return _encode(
        [
            {"component": c, "score": None if s is None else round(s, 4), "alerting": a}
            for c, s, a in root_causes
        ]
    ).decode()


def step_rows(
    sid: int, steps: Iterable[DomainStep], roots: dict[tuple[int, str], str]
) -> list[tuple[Any, ...]]:
    """Domain steps as stored; a step without root causes repeats the last stored."""
    rows = []
    for step in steps:
        key = (sid, step.domain)
        if step.root_causes is None:
            found = roots.get(key, "[]")
        else:
            found = roots[key] = roots_json(step.root_causes)
        if step.step == "closed":
            roots.pop(key, None)
        rows.append(
            (
                sid,
                step.domain,
                step.step,
                step.at,
                step.severity,
                step.members,
                step.alerts,
                None,  # impacted: not recorded (see DomainStep)
                found,
            )
        )
    return rows


def coalesce_episodes(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One upsert per episode with what the batch's upserts in order would leave.

    Rows are (source, fingerprint, episode, severity, component, start, end):
    the first start, the worst severity, the last component and end, as
    `INSERT .. ON CONFLICT DO UPDATE SET severity=max(..), component=.., end=..`
    leaves them. On a busy stream most episodes open and end within one batch.
    """
    if len(rows) < 2:
        return rows
    merged: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for row in rows:
        key = row[:3]
        old = merged.get(key)
        if old is None:
            merged[key] = row
        else:
            severity = old[3] if old[3] > row[3] else row[3]
            merged[key] = (*key, severity, row[4], old[5], row[6])
    return list(merged.values())


@dataclass(slots=True)
class Batch:
    items: list[tuple[Any, ...]] = field(default_factory=list)  # chunk rows
    item_count: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    episodes: list[tuple[Any, ...]] = field(default_factory=list)
    ended: list[tuple[Any, ...]] = field(default_factory=list)  # earlier episodes to end
    # domain steps as stored (source, domain, step, at, severity, members, alerts,
    # impacted, root causes JSON)
    step_rows: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[tuple[int, int]] = field(default_factory=list)  # (records, source id)
    actions: list[tuple[Any, ...]] = field(default_factory=list)
    merges: list[tuple[Any, ...]] = field(default_factory=list)  # (source, domain, into, at)
    clocks: dict[int, tuple[float, float]] = field(default_factory=dict)
    last_seq: dict[int, int] = field(default_factory=dict)
    waiters: list[Callable[[], None]] = field(default_factory=list)  # called once it is written
    # ("before", time | "days", retention, done): run after the batch is written
    prune: list[tuple[str, float, Callable[[int], None] | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return (  # rows
            len(self.items)
            + len(self.episodes)
            + len(self.step_rows)
            + len(self.actions)
            + len(self.merges)
        )
