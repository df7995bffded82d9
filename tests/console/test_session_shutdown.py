"""Closing the session stops its workers, the bridge's domain-view worker included."""

from __future__ import annotations

import pytest

from console.session import Session


def test_shutdown_stops_the_domain_view_worker(qtbot) -> None:
    session = Session()
    executor = session.bridge.views._background._executor
    assert executor.submit(lambda: 1).result(timeout=10) == 1
    session.shutdown()
    with pytest.raises(RuntimeError):
        executor.submit(lambda: 1)
