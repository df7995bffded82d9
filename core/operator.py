"""What operators did about failure domains: acknowledge, assign, annotate.

Every action is a small frozen record appended to one ordered log, so the
history can persist the log as it is, a snapshot can carry it, and the state
of a domain is always a replay of its actions. Times are given by the caller
(core never reads the wall clock); the console passes the time the operator
acted.

An action stays on the domain the operator acted on. When domains merge, what
the surviving domain *shows* is derived (`OperatorLog.shown`) from its own
actions and those on the domains merged into it, as far as the engine in use
has seen merges (`Engine.merged_from`): nothing is copied. So the state
follows the replay clock whatever the operator does with it: after a seek past
a merge the surviving domain shows the merged one's acknowledgement, after a
seek back before it each domain shows only its own again, and playing through
the merge shows it once. `at` is when the operator acted (wall time: an
acknowledgement is a fact about the incident, not an event of the stream, so
a seek back before that time still shows it on the domain acknowledged; the
history stores the event clock of the moment beside it). What a domain shows
never depends on `at`, only on which domain each action names, the log's
order and the merges.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, KeysView, Sequence
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
        self._positions: dict[str, list[int]] = {}  # domain -> its actions' places in the log
        # shown() per (domain, merged_from) until the next action: tables repaint it every frame
        self._shown: dict[tuple[str, tuple[str, ...]], DomainState] = {}
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
        self._positions.setdefault(action.domain_id, []).append(len(self._actions))
        self._shown.clear()
        self._actions.append(action)
        self._apply(action)
        for listener in list(self._listeners):
            listener(action)
        return action

    # -- queries -------------------------------------------------------------

    @property
    def actions(self) -> tuple[OperatorAction, ...]:
        """Every action so far, in the order it was recorded."""
        return tuple(self._actions)

    def domains(self) -> KeysView[str]:
        """The domains with at least one action of their own."""
        return self._positions.keys()

    def actions_for(self, domain_id: str) -> list[OperatorAction]:
        return [a for a in self._actions if a.domain_id == domain_id]

    def state(self, domain_id: str) -> DomainState:
        """The domain's own state (a fresh, empty state for a domain nobody touched)."""
        state = self._states.get(domain_id)
        return DomainState() if state is None else _copy(state)

    def shown(self, domain_id: str, merged_from: Sequence[str] = ()) -> DomainState:
        """What a domain shows: its own actions and those on the domains merged into it.

        `merged_from` names the domains merged into `domain_id` so far (directly
        or through others; `Engine.merged_from`). The actions of all of them
        apply in log order, each to its own domain, and the surviving domain's
        own win: a merged-in acknowledgement or assignee shows only while the
        domain has none of its own (the first one taken shows), and the
        domain's own unacknowledge or unassign hides the merged-in ones taken
        before it. Notes are listed once each (a log written when merges
        copied them carries them twice).
        """
        if not merged_from:
            return self.state(domain_id)
        key = (domain_id, tuple(merged_from))
        cached = self._shown.get(key)
        if cached is None:
            cached = self._shown[key] = self._derive(domain_id, merged_from)
        return _copy(cached)

    def _derive(self, domain_id: str, merged_from: Sequence[str]) -> DomainState:
        positions = self._positions
        places = sorted(
            place
            for member in dict.fromkeys((domain_id, *merged_from))
            for place in positions.get(member, ())
        )
        # Each domain's own acknowledgement and assignee as (place, who, at), folded in log
        # order; the surviving domain's unacknowledge / unassign hides the merged-in ones
        # taken before it.
        acks: dict[str, tuple[int, str, float]] = {}
        assignees: dict[str, tuple[int, str, float]] = {}
        ack_cleared = assign_cleared = -1
        notes: list[Note] = []
        for place in places:
            action = self._actions[place]
            kind, domain = action.kind, action.domain_id
            if kind is ActionKind.ACKNOWLEDGE:
                acks[domain] = (place, action.who, action.at)
            elif kind is ActionKind.UNACKNOWLEDGE:
                acks.pop(domain, None)
                if domain == domain_id:
                    ack_cleared = place
            elif kind is ActionKind.ASSIGN:
                assignees[domain] = (place, action.who, action.at)
            elif kind is ActionKind.UNASSIGN:
                assignees.pop(domain, None)
                if domain == domain_id:
                    assign_cleared = place
            else:
                notes.append(Note(action.who, action.at, action.text))
        state = DomainState(notes=list(dict.fromkeys(notes)))
        ack = _winner(acks, domain_id, ack_cleared)
        if ack is not None:
            state.acked_by, state.acked_at = ack
        assignee = _winner(assignees, domain_id, assign_cleared)
        if assignee is not None:
            state.assignee, state.assigned_at = assignee
        return state

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


def _winner(
    held: dict[str, tuple[int, str, float]], domain_id: str, cleared: int
) -> tuple[str, float] | None:
    """The domain's own (who, at) if it holds one, else the first merged-in one after `cleared`."""
    own = held.get(domain_id)
    if own is None:
        later = [entry for entry in held.values() if entry[0] > cleared]
        own = min(later) if later else None
    return None if own is None else (own[1], own[2])


def _copy(state: DomainState) -> DomainState:
    return DomainState(
        state.acked_by, state.acked_at, state.assignee, state.assigned_at, list(state.notes)
    )


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
