"""Operator state follows a failure domain that merged into another.

Actions stay on the domain the operator acted on; what the surviving domain
shows is derived from them and the merges the engine has seen
(`OperatorLog.shown`), never copied into the log.
"""

from __future__ import annotations

from core.engine import Engine
from core.model import Status
from core.operator import ActionKind, Note, OperatorLog
from tests.builders import estate, event


def test_merge_shows_acknowledgement_assignee_and_notes_without_copying() -> None:
    log = OperatorLog()
    log.acknowledge("D2", "alice", 10.0)
    log.assign("D2", "alice", 11.0)
    log.note("D2", "alice", "power feed A down", 12.0)
    heard: list[str] = []
    log.subscribe(lambda action: heard.append(action.domain_id))
    state = log.shown("D1", ["D2"])
    assert (state.acked_by, state.acked_at) == ("alice", 10.0)
    assert (state.assignee, state.assigned_at) == ("alice", 11.0)
    assert state.notes == [Note("alice", 12.0, "power feed A down")]
    assert heard == [] and len(log) == 3  # nothing recorded: the log is what the operator did
    assert not log.state("D1").acknowledged  # D1's own state: untouched
    assert log.shown("D1") == log.state("D1")  # before the merge: only its own
    assert log.shown("D2") == log.state("D2")
    # A persisted log replays to the same state.
    assert OperatorLog(log.actions).shown("D1", ["D2"]) == state


def test_the_surviving_domain_keeps_its_own_and_never_repeats_a_note() -> None:
    log = OperatorLog()
    log.acknowledge("D1", "bob", 5.0)
    log.note("D1", "bob", "looking at the core switch", 6.0)
    log.acknowledge("D2", "alice", 10.0)
    log.note("D2", "alice", "power feed A down", 12.0)
    state = log.shown("D1", ["D2", "D2"])  # the same merge named twice: nothing twice
    assert state.acked_by == "bob" and state.assignee is None
    assert [n.text for n in state.notes] == ["looking at the core switch", "power feed A down"]
    # acknowledged later on the surviving domain: still its own wins over the merged one's
    log2 = OperatorLog()
    log2.acknowledge("D2", "alice", 10.0)
    log2.acknowledge("D1", "bob", 20.0)
    assert log2.shown("D1", ["D2"]).acked_by == "bob"


def test_unacknowledging_the_merged_incident_clears_what_came_with_the_merge() -> None:
    log = OperatorLog()
    log.acknowledge("D2", "alice", 10.0)
    log.assign("D2", "alice", 11.0)
    log.unacknowledge("D1", "bob", 20.0)  # on the merged incident, after the merge
    log.unassign("D1", "bob", 21.0)
    state = log.shown("D1", ["D2"])
    assert not state.acknowledged and state.assignee is None
    log.acknowledge("D3", "carol", 30.0)  # a third domain, acknowledged after that, merges in
    assert log.shown("D1", ["D2", "D3"]).acked_by == "carol"
    # a merged domain's own unacknowledge clears only its own contribution
    log2 = OperatorLog()
    log2.acknowledge("D1", "bob", 5.0)
    log2.acknowledge("D2", "alice", 10.0)
    log2.unacknowledge("D2", "alice", 12.0)
    assert log2.shown("D1", ["D2"]).acked_by == "bob"
    log3 = OperatorLog()
    log3.acknowledge("D2", "alice", 10.0)
    log3.acknowledge("D3", "carol", 11.0)
    log3.unacknowledge("D2", "alice", 12.0)
    assert log3.shown("D1", ["D2", "D3"]).acked_by == "carol"  # D3 is still acknowledged
    log3.unacknowledge("D1", "bob", 13.0)
    assert log3.shown("D1", ["D2", "D3"]).acked_by is None
    assert log3.state("D3").acked_by == "carol"


def test_a_log_written_when_merges_copied_actions_shows_each_note_once() -> None:
    """History files and snapshots from before hold the copies follow_merge recorded."""
    log = OperatorLog()
    log.acknowledge("D2", "alice", 10.0)
    log.note("D2", "alice", "power feed A down", 12.0)
    log.acknowledge("D1", "alice", 10.0)  # the copies
    log.note("D1", "alice", "power feed A down", 12.0)
    state = log.shown("D1", ["D2"])
    assert state.acked_by == "alice" and [n.text for n in state.notes] == ["power feed A down"]
    assert [a.kind for a in log.actions].count(ActionKind.NOTE) == 2


def test_the_engine_keeps_the_merges_up_to_its_clock_and_forgets_closed_ones() -> None:
    engine = Engine(estate())
    engine.apply([event("web", at=1)])
    engine.apply([event("disk", at=2)])  # not adjacent to web: a second domain
    older = engine.domain_of(engine.topology.index["web"])
    younger = engine.domain_of(engine.topology.index["disk"])
    assert older and younger and older != younger
    assert engine.merged_from(older) == [] and dict(engine.merged_into) == {}
    delta = engine.apply([event("db", at=3)])  # joins disk, and (through api) web: one domain
    assert delta.merged_into == {younger: older}
    assert engine.merged_from(older) == [younger]
    assert dict(engine.merged_into) == {younger: older}
    # the merged incident resolves: its merges are forgotten (nothing left to show them on)
    for n, name in enumerate(("web", "disk", "db")):
        engine.apply([event(name, at=10 + n, status=Status.RESOLVED, starts=1, ends=10 + n)])
    assert engine.domain_ids() == []
    assert engine.merged_from(older) == [] and dict(engine.merged_into) == {}
