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


class FakeClock:
    """A clock that only moves when told to; ``sleep`` advances it at once."""

    def __init__(self, start_ns: int = 1_000_000_000, wall_start: datetime | None = None) -> None:
        self._origin_ns = start_ns
        self._now_ns = start_ns
        self._wall_start = wall_start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

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

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))


NS_PER_S = 1_000_000_000


def ns_to_s(ns: int) -> float:
    """Nanoseconds to seconds, for reports."""
    return ns / NS_PER_S
