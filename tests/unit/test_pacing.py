"""The paced background loop behind the workload, the probes and the signals (real clock, short intervals)."""

from __future__ import annotations

import threading
import time

import pytest

from drdrill.clock import SystemClock
from drdrill.pacing import PacedLoop


def test_stops_by_itself_after_max_ticks() -> None:
    seen: list[int] = []
    loop = PacedLoop(SystemClock(), "t", seen.append, interval_s=0.005, max_seconds=10, max_ticks=5)
    loop.start()
    assert loop.join(timeout_s=5)
    assert seen == [1, 2, 3, 4, 5]
    loop.stop()


def test_stops_by_itself_after_max_seconds() -> None:
    seen: list[int] = []
    loop = PacedLoop(SystemClock(), "t", seen.append, interval_s=0.01, max_seconds=0.1)
    started = time.monotonic()
    loop.start()
    assert loop.join(timeout_s=5)
    assert time.monotonic() - started < 2
    assert 1 <= len(seen) <= 11


def test_stop_waits_for_ticks_in_flight_on_the_pool() -> None:
    release = threading.Event()
    finished: list[int] = []

    def action(n: int) -> None:
        release.wait(5)
        finished.append(n)

    loop = PacedLoop(SystemClock(), "t", action, interval_s=0.001, max_seconds=10, max_ticks=3, workers=3)
    loop.start()
    assert loop.join(timeout_s=5)
    assert finished == []
    release.set()
    loop.stop()
    assert sorted(finished) == [1, 2, 3]


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="workload: the interval must be positive, got 0"):
        PacedLoop(SystemClock(), "workload", lambda n: None, interval_s=0, max_seconds=1)
