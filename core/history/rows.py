"""The rows the history writer builds: sources, episodes, domain steps, and a batch of them.

Kept apart from the writer thread (core/history/writer.py) so the recorder and
the tests name them without the thread's machinery.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.engine import Engine
    from core.history.recorder import EngineRecorder


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


@dataclass(frozen=True, slots=True)
class DomainStep:
    """A failure domain opened, changed or closed, with its ranked root causes then."""

    domain: str
    step: str  # "opened" | "changed" | "closed"
    at: float
    severity: int | None = None
    members: int | None = None
    alerts: int | None = None
    impacted: int | None = None
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
    """Recorder rows straight into the batch being written (in the writer thread)."""

    def __init__(self, batch: Batch, sid: int, episodes: EpisodeCache) -> None:
        self.batch, self.sid, self.episodes = batch, sid, episodes

    def add_episodes(self, handle: int, rows: Sequence[EpisodeRow]) -> None:
        self.episodes.take(self.batch, self.sid, rows)

    def add_domain_steps(self, handle: int, steps: Sequence[DomainStep]) -> None:
        self.batch.steps.extend(steps)
        self.batch.step_sources.extend([self.sid] * len(steps))


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
        last = self._last
        taken = 0
        stored = self._stored
        for r in rows:
            key = (sid, r.fingerprint)
            episode = r.episode
            if stored:
                offset = self._offset.get(key)
                if offset is None:
                    number, open_start = stored.pop(key, (0, None))
                    same = number > 0 and episode == 1 and open_start == r.start
                    offset = number - 1 if same else number
                    self._offset[key] = offset
                episode += offset
            elif self._offset:
                episode += self._offset.get(key, 0)
            row = (episode, r.severity, r.component, r.start, r.end)
            old = last.get(key)
            if old == row:
                continue
            last[key] = row
            batch.episodes.append((sid, r.fingerprint, *row))
            # A later episode means the earlier ones ended (a flap can fall between
            # two recordings): end them where the new one starts.
            if episode > 1 and (old is None or (old[0] < episode and old[4] is None)):
                batch.ended.append((r.start, sid, r.fingerprint, episode))
            taken += 1
        return taken


@dataclass(slots=True)
class Batch:
    items: list[tuple[Any, ...]] = field(default_factory=list)  # chunk rows
    item_count: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    episodes: list[tuple[Any, ...]] = field(default_factory=list)
    ended: list[tuple[Any, ...]] = field(default_factory=list)  # earlier episodes to end
    steps: list[DomainStep] = field(default_factory=list)
    step_sources: list[int] = field(default_factory=list)
    actions: list[tuple[Any, ...]] = field(default_factory=list)
    clocks: dict[int, tuple[float, float]] = field(default_factory=dict)
    last_seq: dict[int, int] = field(default_factory=dict)
    waiters: list[threading.Event] = field(default_factory=list)
    # ("before", time | "days", retention, done): run after the batch is written
    prune: list[tuple[str, float, Callable[[int], None] | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items) + len(self.episodes) + len(self.steps) + len(self.actions)  # rows
