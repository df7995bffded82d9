"""Operator actions on failure domains: ordered frozen records and the state they imply."""

from __future__ import annotations

import dataclasses

import pytest

from core.operator import ActionKind, OperatorAction, OperatorLog


def test_acknowledge_assign_note_and_state() -> None:
    log = OperatorLog()
    log.acknowledge("D1", "alice", 100.0)
    log.assign("D1", "bob", 110.0)
    log.note("D1", "alice", "rack r03 power checked", 120.0)
    state = log.state("D1")
    assert (state.acked_by, state.acked_at) == ("alice", 100.0)
    assert (state.assignee, state.assigned_at) == ("bob", 110.0)
    assert [(n.who, n.at, n.text) for n in state.notes] == [
        ("alice", 120.0, "rack r03 power checked")
    ]
    assert state.acknowledged
    assert not log.state("D2").acknowledged and log.state("D2").notes == []


def test_unacknowledge_and_reassign_keep_full_history() -> None:
    log = OperatorLog()
    log.acknowledge("D1", "alice", 1.0)
    log.unacknowledge("D1", "bob", 2.0)
    log.assign("D1", "alice", 3.0)
    log.assign("D1", "carol", 4.0)
    log.unassign("D1", "carol", 5.0)
    state = log.state("D1")
    assert state.acked_by is None and state.assignee is None
    assert [a.kind for a in log.actions] == [
        ActionKind.ACKNOWLEDGE,
        ActionKind.UNACKNOWLEDGE,
        ActionKind.ASSIGN,
        ActionKind.ASSIGN,
        ActionKind.UNASSIGN,
    ]
    assert [a.at for a in log.actions] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_actions_are_frozen_and_replaying_them_gives_the_same_state() -> None:
    log = OperatorLog()
    log.acknowledge("D1", "alice", 1.0)
    log.note("D2", "bob", "looking", 2.0)
    log.assign("D2", "bob", 3.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        log.actions[0].who = "mallory"  # type: ignore[misc]
    # what a history store or snapshot would persist and load back
    persisted = [dataclasses.asdict(a) for a in log.actions]
    reloaded = OperatorLog(
        OperatorAction(ActionKind(d["kind"]), d["domain_id"], d["who"], d["at"], d["text"])
        for d in persisted
    )
    assert reloaded.actions == log.actions
    for domain in ("D1", "D2"):
        assert reloaded.state(domain) == log.state(domain)
    assert [a.kind for a in log.actions_for("D2")] == [ActionKind.NOTE, ActionKind.ASSIGN]


def test_state_is_a_copy() -> None:
    log = OperatorLog()
    log.note("D1", "alice", "first", 1.0)
    log.state("D1").notes.clear()
    assert len(log.state("D1").notes) == 1


def test_listeners_hear_each_action() -> None:
    log = OperatorLog()
    heard: list[OperatorAction] = []
    log.subscribe(heard.append)
    action = log.acknowledge("D1", "alice", 1.0)
    log.unsubscribe(heard.append)
    log.assign("D1", "alice", 2.0)
    assert heard == [action]


@pytest.mark.parametrize(
    "action",
    [
        OperatorAction(ActionKind.ACKNOWLEDGE, "", "alice", 1.0),
        OperatorAction(ActionKind.ACKNOWLEDGE, "D1", " ", 1.0),
        OperatorAction(ActionKind.NOTE, "D1", "alice", 1.0, "   "),
        OperatorAction(ActionKind.ASSIGN, "D1", "alice", float("nan")),
        OperatorAction(ActionKind.ACKNOWLEDGE, "D1", "alice", 1.0, "text on an ack"),
    ],
)
def test_invalid_actions_are_refused_and_not_logged(action: OperatorAction) -> None:
    log = OperatorLog()
    with pytest.raises(ValueError):
        log.record(action)
    assert len(log) == 0


def test_core_operator_does_not_read_the_clock_or_import_qt() -> None:
    import core.operator as module

    with open(module.__file__, encoding="utf-8") as handle:
        source = handle.read()
    assert "import time" not in source and "datetime" not in source
    assert "PySide6" not in source
