"""The events/s both sources report: work of the ticks in the last second."""

from __future__ import annotations

import pytest

from console.source import RateMeter


def test_rate_is_the_work_of_the_last_second_of_ticks() -> None:
    meter = RateMeter(window=1.0)
    assert not meter.count(100, now=0.0)  # first tick: no span measured yet, rate 0
    assert meter.rate == 0.0
    for k in range(1, 11):  # 100 events every 0.1 s = 1,000/s
        meter.count(100, now=k / 10)
    assert meter.rate == pytest.approx(1000.0)
    meter.report()
    assert not meter.count(100, now=1.1)  # unchanged rate: nothing to report
    for k in range(12, 30):  # slows to 10 every 0.1 s; the old ticks leave the window
        meter.count(10, now=k / 10)
    assert meter.rate == pytest.approx(100.0)


def test_a_single_tick_uses_the_tick_length_and_reset_says_zero() -> None:
    meter = RateMeter(tick_seconds=0.05, reported=-1.0)
    assert meter.count(10, now=5.0) and meter.rate == pytest.approx(200.0)
    assert meter.report() == pytest.approx(200.0)
    meter.reset()
    assert meter.rate == 0.0 and meter.report() == 0.0
