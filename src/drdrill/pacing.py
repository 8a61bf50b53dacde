"""A steady, bounded background loop: the one scheduler behind the workload, the probes and the signals.

Ticks are due at ``start + n * interval`` on the injected monotonic clock, so a slow tick does not shift the
ones after it. The loop is bounded in count and in time and stops by itself; ``stop()`` ends it early and
waits for every tick in flight. On a :class:`~drdrill.clock.FakeClock` the loop has no thread: the clock
runs each tick inline, at its due time, from its ``sleep`` (so unit tests of the runner are deterministic).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from drdrill.clock import Clock, FakeClock
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
        self._action = action
        self._interval_ns = round(interval_s * NS_PER_S)
        # The first tick comes this long after the start: two loops offset by half a period interleave their
        # samples instead of landing on the same instants.
        self._offset_ns = round(offset_s * NS_PER_S)
        self._max_ns = round(max_seconds * NS_PER_S)
        self._max_ticks = max_ticks
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name) if workers else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"{name}-scheduler", daemon=True)
        self._start_ns: int | None = None  # set when a fake clock drives the loop
        self.ticks = 0

    def start(self) -> None:
        if isinstance(self._clock, FakeClock):
            self._start_ns = self._clock.monotonic_ns()
            self._clock.drive(self)
            return
        self._thread.start()

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the loop to end by itself (its bounds); True when it has."""
        if self._start_ns is not None:
            return self.next_due_ns() is None
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def next_due_ns(self) -> int | None:
        """On a fake clock: when the next tick is due, or None once the loop is stopped or out of bounds."""
        if self._start_ns is None or self._stop.is_set():
            return None
        if self._max_ticks is not None and self.ticks >= self._max_ticks:
            return None
        due = self._start_ns + self._offset_ns + self.ticks * self._interval_ns
        return None if due - self._start_ns >= self._max_ns else due

    def fire(self) -> None:
        """On a fake clock: run the next tick inline (the clock calls this at its due time)."""
        self.ticks += 1
        self._action(self.ticks)

    def stop(self) -> None:
        """Start no more ticks and wait for those in flight."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _run(self) -> None:
        start = self._clock.monotonic_ns()
        while not self._stop.is_set() and (self._max_ticks is None or self.ticks < self._max_ticks):
            due = start + self._offset_ns + self.ticks * self._interval_ns
            now = self._clock.monotonic_ns()
            if now - start >= self._max_ns:
                break
            if due > now and self._stop.wait((due - now) / NS_PER_S):
                break
            self.ticks += 1
            if self._pool is None:
                self._action(self.ticks)
            else:
                self._pool.submit(self._action, self.ticks)
