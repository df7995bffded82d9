"""What operators did about failure domains: acknowledge, assign, annotate.

Every action is a small frozen record appended to one ordered log, so the
history can persist the log as it is, a snapshot can carry it, and the state
of a domain is always a replay of its actions. Times are given by the caller
(core never reads the wall clock); the console passes the time the operator
acted.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

__all__ = ["ActionKind", "DomainState", "Note", "OperatorAction", "OperatorLog"]


class ActionKind(enum.StrEnum):
    """What an operator did."""

    ACKNOWLEDGE = "acknowledge"
    UNACKNOWLEDGE = "unacknowledge"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class OperatorAction:
    """One operator action on one failure domain (`text` only for notes)."""

    kind: ActionKind
    domain_id: str
    who: str
    at: float
    text: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    """A note an operator left on a domain."""

    who: str
    at: float
    text: str


@dataclass(slots=True)
class DomainState:
    """The operator-side state of one domain, as its actions leave it."""

    acked_by: str | None = None
    acked_at: float | None = None
    assignee: str | None = None
    assigned_at: float | None = None
    notes: list[Note] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return self.acked_by is not None


Listener = Callable[[OperatorAction], None]


class OperatorLog:
    """The ordered log of operator actions and the per-domain state it implies."""

    def __init__(self, actions: Iterable[OperatorAction] = ()) -> None:
        self._actions: list[OperatorAction] = []
        self._states: dict[str, DomainState] = {}
        self._listeners: list[Listener] = []
        for action in actions:
            self.record(action)

    # -- actions -------------------------------------------------------------

    def acknowledge(self, domain_id: str, who: str, at: float) -> OperatorAction:
        return self.record(OperatorAction(ActionKind.ACKNOWLEDGE, domain_id, who, at))

    def unacknowledge(self, domain_id: str, who: str, at: float) -> OperatorAction:
        return self.record(OperatorAction(ActionKind.UNACKNOWLEDGE, domain_id, who, at))

    def assign(self, domain_id: str, who: str, at: float) -> OperatorAction:
        """Make `who` the domain's assignee (replacing any earlier one)."""
        return self.record(OperatorAction(ActionKind.ASSIGN, domain_id, who, at))

    def unassign(self, domain_id: str, who: str, at: float) -> OperatorAction:
        """Clear the assignee; `who` is the operator who did it."""
        return self.record(OperatorAction(ActionKind.UNASSIGN, domain_id, who, at))

    def note(self, domain_id: str, who: str, text: str, at: float) -> OperatorAction:
        return self.record(OperatorAction(ActionKind.NOTE, domain_id, who, at, text))

    def record(self, action: OperatorAction) -> OperatorAction:
        """Validate, append and apply one action (also how a persisted log is reloaded)."""
        _validate(action)
        self._actions.append(action)
        self._apply(action)
        for listener in list(self._listeners):
            listener(action)
        return action

    def follow_merge(self, merged_id: str, into_id: str) -> list[OperatorAction]:
        """Domain `merged_id` merged into `into_id`: carry its acknowledgement, assignee, notes.

        Recorded as ordinary actions on `into_id` with the original who and
        when, so a persisted log replays to the same state. What `into_id`
        has already wins (its own acknowledgement and assignee), and notes it
        already carries are not repeated. Returns the actions recorded.
        """
        source = self._states.get(merged_id)
        if source is None or merged_id == into_id:
            return []
        target = self._states.get(into_id) or DomainState()
        carried: list[OperatorAction] = []
        if source.acked_by is not None and source.acked_at is not None and not target.acked_by:
            carried.append(
                OperatorAction(ActionKind.ACKNOWLEDGE, into_id, source.acked_by, source.acked_at)
            )
        if source.assignee is not None and source.assigned_at is not None and not target.assignee:
            carried.append(
                OperatorAction(ActionKind.ASSIGN, into_id, source.assignee, source.assigned_at)
            )
        have = set(target.notes)
        carried.extend(
            OperatorAction(ActionKind.NOTE, into_id, note.who, note.at, note.text)
            for note in source.notes
            if note not in have
        )
        return [self.record(action) for action in carried]

    # -- queries -------------------------------------------------------------

    @property
    def actions(self) -> tuple[OperatorAction, ...]:
        """Every action so far, in the order it was recorded."""
        return tuple(self._actions)

    def actions_for(self, domain_id: str) -> list[OperatorAction]:
        return [a for a in self._actions if a.domain_id == domain_id]

    def state(self, domain_id: str) -> DomainState:
        """The domain's state (a fresh, empty state for a domain nobody touched)."""
        state = self._states.get(domain_id)
        if state is None:
            return DomainState()
        return DomainState(
            state.acked_by, state.acked_at, state.assignee, state.assigned_at, list(state.notes)
        )

    def __len__(self) -> int:
        return len(self._actions)

    def subscribe(self, listener: Listener) -> None:
        """Call `listener(action)` after every recorded action."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    # -- internals -----------------------------------------------------------

    def _apply(self, action: OperatorAction) -> None:
        state = self._states.setdefault(action.domain_id, DomainState())
        kind = action.kind
        if kind is ActionKind.ACKNOWLEDGE:
            state.acked_by, state.acked_at = action.who, action.at
        elif kind is ActionKind.UNACKNOWLEDGE:
            state.acked_by, state.acked_at = None, None
        elif kind is ActionKind.ASSIGN:
            state.assignee, state.assigned_at = action.who, action.at
        elif kind is ActionKind.UNASSIGN:
            state.assignee, state.assigned_at = None, None
        else:
            state.notes.append(Note(action.who, action.at, action.text))


def _validate(action: OperatorAction) -> None:
    if not isinstance(action.kind, ActionKind):
        raise ValueError(f"unknown operator action {action.kind!r}")
    if not action.domain_id:
        raise ValueError("an operator action needs a domain id")
    if not action.who or not action.who.strip():
        raise ValueError("an operator action needs the operator's name")
    if action.at != action.at or action.at in (float("inf"), float("-inf")):
        raise ValueError(f"not a usable action time: {action.at!r}")
    if action.kind is ActionKind.NOTE and not action.text.strip():
        raise ValueError("a note needs text")
    if action.kind is not ActionKind.NOTE and action.text:
        raise ValueError(f"{action.kind} carries no text")
