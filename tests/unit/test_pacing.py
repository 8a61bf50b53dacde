"""The paced background loop behind the workload, the probes and the signals (real clock, short intervals)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from drdrill.clock import FakeClock, SystemClock
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
    # due at 0, 10, ..., 90 ms; a tick due at 100 ms is outside the 0.1 s bound, however late the thread runs
    assert seen == list(range(1, 11))


def test_on_the_real_clock_no_tick_starts_before_its_due_time_offset_included() -> None:
    clock = SystemClock()
    started: list[int] = []
    loop = PacedLoop(
        clock, "t", lambda n: started.append(clock.monotonic_ns()), 0.02, 10, max_ticks=4, offset_s=0.05
    )
    before = clock.monotonic_ns()
    loop.start()
    assert loop.join(timeout_s=5)
    loop.stop()
    # the same schedule a fake clock runs: offset, then one interval apart, never early
    assert started[0] - before >= 50_000_000
    assert all(at >= loop.due_ns(n) for n, at in enumerate(started, start=1))


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


def test_halt_starts_no_more_ticks_and_returns_while_one_is_in_flight() -> None:
    release = threading.Event()
    started: list[int] = []
    finished: list[int] = []

    def action(n: int) -> None:
        started.append(n)
        release.wait(5)
        finished.append(n)

    loop = PacedLoop(SystemClock(), "t", action, interval_s=0.01, max_seconds=10, workers=2)
    loop.start()
    deadline = time.monotonic() + 5
    while not started and time.monotonic() < deadline:
        time.sleep(0.001)
    loop.halt()  # returns with tick 1 still waiting
    assert finished == []
    time.sleep(0.02)  # a tick being handed to the pool as the halt came is let start
    halted_at = len(started)
    time.sleep(0.05)  # five intervals more: no tick starts after the halt
    assert len(started) == halted_at and loop.next_due_ns() is None
    release.set()
    loop.stop()  # waits for what was in flight
    assert sorted(finished) == sorted(started)


def test_a_non_positive_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="workload: the interval must be positive, got 0"):
        PacedLoop(SystemClock(), "workload", lambda n: None, interval_s=0, max_seconds=1)


# on a fake clock: no thread, the clock's sleeps run the ticks at their due times


def test_on_a_fake_clock_ticks_run_at_their_due_times_from_the_clocks_sleep() -> None:
    clock = FakeClock(start_ns=0)
    seen: list[tuple[int, int]] = []
    loop = PacedLoop(clock, "t", lambda n: seen.append((n, clock.monotonic_ns())), 0.25, max_seconds=10)
    loop.start()
    assert seen == []  # started, but nothing runs until the clock moves

    clock.sleep(1.0)

    assert seen == [(1, 0), (2, 250_000_000), (3, 500_000_000), (4, 750_000_000), (5, 1_000_000_000)]
    assert clock.monotonic_ns() == 1_000_000_000
    loop.stop()
    clock.sleep(1.0)
    assert len(seen) == 5  # a stopped loop runs no more


def test_on_a_fake_clock_loops_interleave_in_time_order_and_ties_go_to_the_first_started() -> None:
    clock = FakeClock(start_ns=0)
    order: list[str] = []
    fast = PacedLoop(clock, "fast", lambda n: order.append(f"fast{n}"), 0.2, max_seconds=10)
    slow = PacedLoop(clock, "slow", lambda n: order.append(f"slow{n}"), 0.3, max_seconds=10)
    fast.start()
    slow.start()

    clock.sleep(0.6)

    assert order == ["fast1", "slow1", "fast2", "slow2", "fast3", "fast4", "slow3"]


def test_on_a_fake_clock_the_bounds_end_the_loop() -> None:
    clock = FakeClock(start_ns=0)
    counted: list[int] = []
    by_count = PacedLoop(clock, "n", counted.append, 0.1, max_seconds=10, max_ticks=3)
    timed: list[int] = []
    by_time = PacedLoop(clock, "t", timed.append, 0.1, max_seconds=0.5)
    by_count.start()
    by_time.start()

    clock.sleep(5)

    assert counted == [1, 2, 3]
    assert timed == [1, 2, 3, 4, 5]  # due at 0.0 .. 0.4 s; one due at 0.5 s is out of the 0.5 s bound
    assert by_count.join() and by_time.join()


def test_on_a_fake_clock_a_sleep_inside_a_tick_only_moves_the_clock() -> None:
    clock = FakeClock(start_ns=0)
    seen: list[int] = []

    def slow_tick(n: int) -> None:
        seen.append(clock.monotonic_ns())
        clock.sleep(0.3)  # a tick that takes 0.3 s: the next one (due 0.5 s after the first) keeps its time

    loop = PacedLoop(clock, "t", slow_tick, 0.5, max_seconds=10)
    loop.start()
    clock.sleep(1.2)

    assert seen == [0, 500_000_000, 1_000_000_000]
    assert clock.monotonic_ns() == 1_300_000_000  # the last tick's own 0.3 s ran past the outer sleep


def test_on_a_fake_clock_an_error_in_a_tick_comes_out_of_the_sleep_and_the_clock_runs_on() -> None:
    clock = FakeClock(start_ns=0)
    seen: list[int] = []

    def tick(n: int) -> None:
        seen.append(n)
        if n == 2:
            raise KeyboardInterrupt

    loop = PacedLoop(clock, "t", tick, 1.0, max_seconds=10)
    loop.start()
    with pytest.raises(KeyboardInterrupt):
        clock.sleep(5)
    assert clock.monotonic_ns() == 1_000_000_000  # stopped where the tick raised

    clock.sleep(1)
    assert seen == [1, 2, 3]


def test_two_loops_offset_by_half_a_period_interleave_their_ticks() -> None:
    clock = FakeClock(start_ns=0)
    seen: list[tuple[str, int]] = []
    probes = PacedLoop(clock, "probe", lambda n: seen.append(("probe", clock.monotonic_ns())), 0.5, 2.0)
    writes = PacedLoop(
        clock, "write", lambda n: seen.append(("write", clock.monotonic_ns())), 0.5, 2.0, offset_s=0.25
    )
    probes.start()
    writes.start()
    clock.sleep(2.0)
    assert seen == [
        ("probe", 0),
        ("write", 250_000_000),
        ("probe", 500_000_000),
        ("write", 750_000_000),
        ("probe", 1_000_000_000),
        ("write", 1_250_000_000),
        ("probe", 1_500_000_000),
        ("write", 1_750_000_000),
    ]


# the event loops a clock runs coroutines on: side by side, each from its start


def test_on_a_fake_clock_coroutines_run_side_by_side_from_the_clocks_sleeps() -> None:
    clock = FakeClock(start_ns=0)
    seen: list[tuple[str, int]] = []

    async def job(name: str, took_s: float) -> None:
        seen.append((f"{name} begins", clock.monotonic_ns()))
        await clock.sleep_async(took_s)
        seen.append((f"{name} ends", clock.monotonic_ns()))

    loop = clock.event_loop("t")
    loop.start(job("a", 0.3))  # runs at once, up to its first await
    clock.advance(0.1)
    loop.start(job("b", 0.1))
    assert seen == [("a begins", 0), ("b begins", 100_000_000)]
    clock.sleep(0.15)
    assert seen[-1] == ("b ends", 200_000_000)
    assert loop.close()  # runs the clock until the last coroutine is done
    assert seen[-1] == ("a ends", 300_000_000)
    assert clock.monotonic_ns() == 300_000_000


def test_on_a_fake_clock_an_answer_due_with_a_tick_comes_first() -> None:
    clock = FakeClock(start_ns=0)
    order: list[str] = []

    async def answered() -> None:
        await clock.sleep_async(0.5)
        order.append("answer")

    ticks = PacedLoop(clock, "t", lambda n: order.append(f"tick{n}"), 0.5, max_seconds=10)
    ticks.start()
    loop = clock.event_loop("t")
    clock.sleep(0)  # tick 1 at 0
    loop.start(answered())
    clock.sleep(0.5)
    assert order == ["tick1", "answer", "tick2"]
    ticks.stop()
    loop.close()


def test_a_coroutine_on_a_fake_clock_may_await_only_the_clocks_sleep() -> None:
    clock = FakeClock(start_ns=0)

    async def real_sleep() -> None:
        await asyncio.sleep(0)

    with pytest.raises(
        RuntimeError, match=r"a coroutine on a fake clock awaited None: it may only await clock"
    ):
        clock.event_loop("t").start(real_sleep())


def test_closing_a_fake_loop_gives_up_after_its_timeout() -> None:
    clock = FakeClock(start_ns=0)

    async def long() -> None:
        await clock.sleep_async(60)

    loop = clock.event_loop("t")
    loop.start(long())
    assert loop.close(timeout_s=1.0) is False
    assert clock.monotonic_ns() <= 1_000_000_000


def test_on_the_real_clock_coroutines_run_side_by_side_on_a_loop_of_their_own() -> None:
    clock = SystemClock()
    ends: list[float] = []

    async def job() -> None:
        await clock.sleep_async(0.2)
        ends.append(time.monotonic())

    loop = clock.event_loop("t")
    started = time.monotonic()
    for _ in range(20):
        loop.start(job())
    assert loop.close(timeout_s=5)
    assert len(ends) == 20
    assert max(ends) - started < 1.0  # twenty 0.2 s waits side by side, not one after the other (4 s)


def test_closing_a_real_loop_gives_up_on_a_coroutine_that_outlives_the_timeout() -> None:
    clock = SystemClock()
    loop = clock.event_loop("t")
    loop.start(clock.sleep_async(30))  # type: ignore[arg-type]
    started = time.monotonic()
    assert loop.close(timeout_s=0.2) is False
    assert time.monotonic() - started < 2
