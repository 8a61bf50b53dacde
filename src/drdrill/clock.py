"""Clocks for the runner: monotonic nanoseconds for durations, UTC wall time for display only.

The clock is injected everywhere, so tests advance a :class:`FakeClock` instead of patching ``time``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the runner needs from a clock."""

    def monotonic_ns(self) -> int:
        """Nanoseconds from an arbitrary origin; never goes backwards."""

    def wall(self) -> datetime:
        """The current UTC time, for display."""

    def sleep(self, seconds: float) -> None:
        """Wait for ``seconds``."""


class SystemClock:
    """The real clock."""

    def monotonic_ns(self) -> int:
        return time.monotonic_ns()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class Timer(Protocol):
    """Work a :class:`FakeClock` runs from its sleeps (a :class:`~drdrill.pacing.PacedLoop` started on one)."""

    def next_due_ns(self) -> int | None:
        """When it next wants to run; None once it is over."""

    def fire(self) -> None:
        """Run once, now."""


class FakeClock:
    """A clock that only moves when told to; ``sleep`` advances it at once.

    Background loops started on a fake clock get no thread: they are :class:`Timer` s the clock runs from
    ``sleep``, each at its due time, in time order. A drill on a fake clock is then one thread, and runs the
    same way every time. One thread sleeps; a sleep inside a timer only advances the clock.
    """

    def __init__(self, start_ns: int = 1_000_000_000, wall_start: datetime | None = None) -> None:
        self._origin_ns = start_ns
        self._now_ns = start_ns
        self._wall_start = wall_start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()
        self._timers: list[Timer] = []
        self._driving = False

    def monotonic_ns(self) -> int:
        with self._lock:
            return self._now_ns

    def wall(self) -> datetime:
        with self._lock:
            elapsed = self._now_ns - self._origin_ns
        return self._wall_start + timedelta(microseconds=elapsed / 1000)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now_ns += round(seconds * 1e9)

    def drive(self, timer: Timer) -> None:
        """Run ``timer`` from this clock's sleeps, rather than on a thread of its own."""
        with self._lock:
            self._timers.append(timer)

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds``, first running every timer due on the way at its due time."""
        target = self.monotonic_ns() + round(max(0.0, seconds) * 1e9)
        if not self._driving:
            self._driving = True
            try:
                while (found := self._next_due(target)) is not None:
                    due, timer = found
                    with self._lock:
                        self._now_ns = max(self._now_ns, due)
                    timer.fire()
            finally:
                self._driving = False
        with self._lock:
            self._now_ns = max(self._now_ns, target)

    def _next_due(self, until_ns: int) -> tuple[int, Timer] | None:
        """The earliest timer due by ``until_ns`` (the first started on a tie); timers that are over are dropped."""
        with self._lock:
            timers = list(self._timers)
        dues = [(timer.next_due_ns(), timer) for timer in timers]
        with self._lock:
            self._timers = [timer for due, timer in dues if due is not None]
        ready = [(due, timer) for due, timer in dues if due is not None and due <= until_ns]
        return min(ready, key=lambda pair: pair[0]) if ready else None
