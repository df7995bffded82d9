"""Operator state follows a failure domain that merged into another."""

from __future__ import annotations

from core.operator import ActionKind, Note, OperatorLog


def test_merge_carries_acknowledgement_assignee_and_notes() -> None:
    log = OperatorLog()
    log.acknowledge("D2", "alice", 10.0)
    log.assign("D2", "alice", 11.0)
    log.note("D2", "alice", "power feed A down", 12.0)
    heard: list[str] = []
    log.subscribe(lambda action: heard.append(action.domain_id))
    carried = log.follow_merge("D2", "D1")
    assert [a.kind for a in carried] == [ActionKind.ACKNOWLEDGE, ActionKind.ASSIGN, ActionKind.NOTE]
    state = log.state("D1")
    assert (state.acked_by, state.acked_at) == ("alice", 10.0)
    assert (state.assignee, state.assigned_at) == ("alice", 11.0)
    assert state.notes == [Note("alice", 12.0, "power feed A down")]
    assert heard == ["D1", "D1", "D1"]
    assert log.state("D2").acknowledged  # the merged domain's own history stays as it was
    # A persisted log replays to the same state.
    assert OperatorLog(log.actions).state("D1") == state


def test_merge_keeps_what_the_surviving_domain_has_and_never_repeats_a_note() -> None:
    log = OperatorLog()
    log.acknowledge("D1", "bob", 5.0)
    log.note("D1", "bob", "looking at the core switch", 6.0)
    log.acknowledge("D2", "alice", 10.0)
    log.note("D2", "alice", "power feed A down", 12.0)
    log.follow_merge("D2", "D1")
    assert log.follow_merge("D2", "D1") == []  # the same merge reported again: nothing new
    state = log.state("D1")
    assert state.acked_by == "bob" and state.assignee is None
    assert [n.text for n in state.notes] == ["looking at the core switch", "power feed A down"]


def test_merge_of_an_untouched_domain_records_nothing() -> None:
    log = OperatorLog()
    log.acknowledge("D1", "bob", 5.0)
    assert log.follow_merge("D7", "D1") == []
    assert log.follow_merge("D1", "D1") == []
    assert len(log) == 1
