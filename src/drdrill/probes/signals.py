"""System signals: what the system says about itself (which provider, which mode), journalled when it changes.

A signal the system gives a meaning (``normal`` / ``failed_over`` values) is journalled with its state, which is what
time to fail over and time to fail back are measured from; its raw value goes alongside, and so does when the
poll before began (``previous_poll_ns``): the change happened between the two, which bounds those times.
"""

from __future__ import annotations

from collections.abc import Mapping

from drdrill.clock import Clock
from drdrill.journal import PREVIOUS_POLL, Journal, Kind, Type
from drdrill.probes.observer import Observer
from drdrill.system import DrillSystem, SignalMeaning


class SystemSignals(Observer):
    """Poll ``system.signals()`` every ``interval_s`` and record each change of each signal."""

    thread_name = "drdrill-signals"

    def __init__(
        self,
        system: DrillSystem,
        journal: Journal,
        clock: Clock,
        meanings: Mapping[str, SignalMeaning],
        interval_s: float,
        max_seconds: float,
    ) -> None:
        super().__init__(system, journal, clock, interval_s, max_seconds)
        self._meanings = dict(meanings)
        self._current: dict[str, str] = {}
        self._polled_ns: int | None = None  # when the last poll began
        self.last: dict[str, str] = {}

    def stop(self) -> None:
        """Stop polling, after one last read: a change just before the stop is not lost to the poll interval."""
        super().stop()
        self.tick(0)

    def tick(self, n: int) -> None:
        previous, self._polled_ns = self._polled_ns, self.clock.monotonic_ns()
        try:
            values = dict(self.system.signals())
        except Exception as exc:  # an unreadable signal is itself worth journalling, not a crash
            values = {name: f"unreadable ({type(exc).__name__})" for name in self._meanings}
        self.last = values
        for name, raw in values.items():
            if self._current.get(name) == raw:
                continue
            meaning = self._meanings.get(name)
            state = meaning.state(raw) if meaning is not None else raw
            data: dict[str, object] = {"raw": raw}
            if previous is not None:
                data[PREVIOUS_POLL] = previous
            self.journal.record(Kind.SIGNAL, Type.INFO, name, value=state, data=data)
            self._current[name] = raw
