"""What every background observer of a drill is: a paced, bounded loop over the system, started and stopped.

The workload, the steady-state probe and the signal poll differ only in what one tick does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from drdrill.clock import Clock, Driven, Timer
from drdrill.journal import Journal
from drdrill.pacing import PacedLoop
from drdrill.system import DrillSystem


class Observer(ABC):
    """Runs :meth:`tick` every ``interval_s`` on ``workers`` threads until stopped or the bounds run out."""

    thread_name = "drdrill-observer"

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        interval_s: float,
        max_seconds: float,
        *,
        max_ticks: int | None = None,
        workers: int = 1,
        offset_s: float = 0.0,
    ) -> None:
        self.system = system
        self.journal = journal
        self.clock = clock
        self._loop = PacedLoop(
            clock,
            self.thread_name,
            self.tick,
            interval_s,
            max_seconds,
            max_ticks=max_ticks,
            workers=workers,
            offset_s=offset_s,
        )

    @property
    def ticks(self) -> int:
        """Ticks started so far."""
        return self._loop.ticks

    def due_ns(self, tick: int) -> int:
        """When tick ``tick`` (from 1) is due on the clock (once started)."""
        return self._loop.due_ns(tick)

    def start(self) -> None:
        self._loop.start()

    def _start_on(self, drive: Callable[[Timer, str], Driven]) -> None:
        """Start with the schedule run by ``drive`` (an event loop's) instead of a thread of its own."""
        self._loop.start(drive)

    def halt(self) -> None:
        """Stop starting ticks; those in flight finish by themselves (:meth:`stop` waits for them)."""
        self._loop.halt()

    def stop(self) -> None:
        """Stop starting ticks and wait for those in flight to finish."""
        self._loop.stop()

    @abstractmethod
    def tick(self, n: int) -> None:
        """One unit of the observer's work (the n-th, from 1)."""
