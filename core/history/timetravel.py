"""Time travel: the engine's state at any past time, rebuilt from the history.

The stored observations up to T, applied in the order they were first applied,
through the same `analyze_records` that `watchfloor analyze --at` uses: the
result equals the replay of the same input seeked to T (domain ids included).
"""

from __future__ import annotations

from core.analysis import Analysis, analyze_records
from core.engine import EngineConfig
from core.graph.topology import Topology
from core.history.reader import HistoryReader
from core.history.store import HistoryError
from core.model import format_time


def analysis_from_history(
    reader: HistoryReader,
    topology: Topology,
    at: float | None = None,
    config: EngineConfig | None = None,
) -> Analysis:
    """The analysis as of `at` (everything stored when None), rebuilt from history."""
    loaded = reader.records_until(at)
    pruned = loaded.pruned_before
    if at is not None and pruned is not None and at < pruned:
        raise HistoryError(
            f"history before {format_time(pruned)} was pruned (retention); pick a later time"
        )
    analysis = analyze_records(topology, loaded.records, at=at, config=config)
    analysis.records = loaded.source_records
    analysis.source = str(reader.path)
    return analysis
