"""A steady, bounded background loop: the one scheduler behind the workload, the probes and the signals.

Ticks are due at ``start + offset + n * interval`` on the injected monotonic clock, so a slow tick does not
shift the ones after it. The loop is bounded in count and in time and stops by itself; ``stop()`` ends it early
and waits for every tick in flight. The loop only says when its next tick is due and what a tick does; the clock
runs it (the real clock on a thread, a fake one from its sleeps), so there is one schedule, tested on a fake clock
and kept by the real one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor

from drdrill.clock import Clock, Driven, Timer
from drdrill.units import NS_PER_S


class PacedLoop:
    """Call ``action(n)`` for n = 1, 2, ... every ``interval_s``, on a pool of ``workers`` threads (0: inline)."""

    def __init__(
        self,
        clock: Clock,
        name: str,
        action: Callable[[int], None],
        interval_s: float,
        max_seconds: float,
        max_ticks: int | None = None,
        workers: int = 0,
        offset_s: float = 0.0,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"{name}: the interval must be positive, got {interval_s}")
        self._clock = clock
        self._name = name
        self._action = action
        self._interval_ns = round(interval_s * NS_PER_S)
        # The first tick comes this long after the start: two loops offset by half a period interleave their
        # samples instead of landing on the same instants.
        self._offset_ns = round(offset_s * NS_PER_S)
        self._max_ns = round(max_seconds * NS_PER_S)
        self._max_ticks = max_ticks
        self._pool: Executor | None = clock.executor(workers, name) if workers else None
        self._stop = threading.Event()
        self._start_ns: int | None = None
        self._driven: Driven | None = None
        self.ticks = 0

    def start(self, drive: Callable[[Timer, str], Driven] | None = None) -> None:
        """Start the schedule, run by the clock (a thread of its own), or by ``drive`` (an event loop's)."""
        self._start_ns = self._clock.monotonic_ns()
        self._driven = (drive or self._clock.drive)(self, self._name)

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the loop to end by itself (its bounds); True when it has."""
        return self._driven is not None and self._driven.join(timeout_s)

    def due_ns(self, tick: int) -> int:
        """When tick ``tick`` (from 1) is due on the clock."""
        assert self._start_ns is not None, "the loop has not started"
        return self._start_ns + self._offset_ns + (tick - 1) * self._interval_ns

    def next_due_ns(self) -> int | None:
        """When the next tick is due, or None once the loop is stopped or out of bounds."""
        if self._start_ns is None or self._stop.is_set():
            return None
        if self._max_ticks is not None and self.ticks >= self._max_ticks:
            return None
        due = self.due_ns(self.ticks + 1)
        return None if due - self._start_ns >= self._max_ns else due

    def fire(self) -> None:
        """Run the next tick now (the clock calls this at its due time)."""
        self.ticks += 1
        if self._pool is None:
            self._action(self.ticks)
        else:
            self._pool.submit(self._action, self.ticks)

    def halt(self) -> None:
        """Start no more ticks, and return at once: those in flight finish by themselves (:meth:`stop` waits)."""
        self._stop.set()
        if self._driven is not None:
            self._driven.cancel()

    def stop(self) -> None:
        """Start no more ticks and wait for those in flight."""
        self.halt()
        if self._driven is not None:
            self._driven.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
