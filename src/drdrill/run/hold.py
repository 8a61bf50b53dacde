"""Hold the fault until steady state is back (by the rule the scorecard dates recovery with) or the bound ends."""

from __future__ import annotations

from collections.abc import Callable

from drdrill.clock import Clock
from drdrill.journal import Journal
from drdrill.measure.watch import RecoveryWatch

HOLD_POLL_S = 0.1


def hold_until_steady(
    check: Callable[[], None],
    journal: Journal,
    clock: Clock,
    fault_start_ns: int,
    deadline_ns: int,
    steady_window_ns: int,
) -> bool:
    """Wait until the samples show steady state back for the steady window, or until ``deadline_ns``; True when
    it came back. Each poll reads only the events recorded since the last one, and first calls ``check``
    (which raises when the drill cannot go on)."""
    watch = RecoveryWatch(fault_start_ns, steady_window_ns)
    while clock.monotonic_ns() < deadline_ns:
        check()
        now = clock.monotonic_ns()
        watch.feed(journal.since(watch.seen))
        if watch.recovered(now):
            return True
        clock.sleep(HOLD_POLL_S)
    return False
