"""The model's input table: a history's own feature columns plus the derived ones.

`Context` says which derived features a model uses and holds what computes
them: the topology table, the recorded alert activity, the log of earlier
outcomes. Training builds it from the history (and topology and replay);
a saved model carries the topology table and the recent outcomes, so a plan
can be scored from the model file alone (activity needs a replay).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from core.risk.data import History
from core.risk.features import (
    ACTIVITY_FEATURES,
    GRAPH_FEATURES,
    OUTCOME_FEATURES,
    TIER_FEATURE,
    Activity,
    GraphTable,
    OutcomeLog,
)

if TYPE_CHECKING:
    import pandas as pd

    from core.graph.topology import Topology

__all__ = ["Context", "build_context", "design_matrix"]


@dataclass(slots=True)
class Context:
    """Derived feature sources; a None source means the model does not use it."""

    graph: GraphTable | None = None
    activity: Activity | None = None
    outcomes: OutcomeLog | None = None
    uses_activity: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def numeric(self) -> tuple[str, ...]:
        """Derived numeric feature names, in model order."""
        names: tuple[str, ...] = ()
        if self.graph is not None:
            names += GRAPH_FEATURES
        if self.uses_activity:
            names += ACTIVITY_FEATURES
        if self.outcomes is not None:
            names += OUTCOME_FEATURES
        return names

    @property
    def categorical(self) -> tuple[str, ...]:
        return (TIER_FEATURE,) if self.graph is not None else ()


def build_context(
    history: History,
    *,
    topology: Topology | None = None,
    activity: Activity | None = None,
    outcome_delay: float = 0.0,
) -> Context:
    """What the history allows: topology and activity need a service column."""
    context = Context()
    services = history.services
    if services is None:
        if topology is not None or activity is not None:
            context.notes.append(
                "no service column: topology and alert features left out (name it with --service)"
            )
        return context
    if history.labels is not None:
        context.outcomes = OutcomeLog.build(
            services, history.times, history.labels, delay=outcome_delay
        )
    if topology is not None:
        context.graph = GraphTable.build(topology, services)
        known = sum(1 for s in services if s in context.graph.rows)
        if known == 0:
            context.notes.append("no service names a topology component: topology features off")
            context.graph = None
        elif known < len(services):
            context.notes.append(
                f"{len(services) - known} of {len(services)} rows name no topology component "
                "(their topology features are imputed)"
            )
    if activity is not None:
        context.activity = activity
        context.uses_activity = True
    return context


def design_matrix(history: History, context: Context) -> pd.DataFrame:
    """The history's features and the derived ones, one row per deployment."""
    import pandas as pd

    columns: dict[str, Any] = {c: history.features[c].to_numpy() for c in history.features.columns}
    services = history.services or [""] * len(history)
    if context.graph is not None:
        columns.update(context.graph.columns(services))
    if context.uses_activity:
        if context.activity is not None:
            columns.update(context.activity.columns(services, history.times))
        else:
            columns.update({f: np.full(len(history), np.nan) for f in ACTIVITY_FEATURES})
    if context.outcomes is not None:
        columns.update(context.outcomes.columns(services, history.times))
    return pd.DataFrame(columns)
