"""Whether the workload kept its schedule: declared and achieved rates, start lag, writes refused. Pure.

The workload starts each write at its due time (an open model) and journals that time with the write's invoke,
so every write's start lag is ``invoke - due``. Its notes say the schedule (rate, how many writes it keeps in
flight at most) when it starts, and when it stops how many writes fell due and how many it refused because that
many were in flight. A drill is sampled as densely as its plan declares only if writes started on time:
:data:`ON_SCHEDULE_NS` and :func:`on_schedule_ns` say how late is still on time.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import WORKLOAD, Event, Kind, Type
from drdrill.measure.timeline import GRID_NS
from drdrill.units import NS_PER_S

# A write that starts within this long of its due time is on schedule whatever the rate: the 50 ms grid a drill
# resolves its criteria on, and the shortest staging window a plan may declare. At a slower rate one write
# interval is allowed (a write that starts before the next is due has kept its place).
ON_SCHEDULE_NS = GRID_NS


def on_schedule_ns(interval_ns: int) -> int:
    """How late a write may start and still be on schedule: one write interval, at least :data:`ON_SCHEDULE_NS`."""
    return max(interval_ns, ON_SCHEDULE_NS)


def late_allowed(started: int) -> int:
    """How many writes may start later than on schedule before the workload counts as behind it: one in a
    hundred (the p99), and always one, so that a single hiccup of a short drill's host is said, not failed."""
    return max(1, started // 100)


@dataclass(frozen=True)
class WorkloadFigures:
    """What the workload did against what it declared; times in nanoseconds."""

    declared_rate_per_s: float
    interval_ns: int
    max_in_flight: int
    mode: str  # "async" (an event loop) or "threads" (a pool)
    started: int  # writes invoked
    scheduled: int | None = None  # writes that fell due (None: the workload never said, it did not stop)
    refused: int | None = None  # writes drdrill did not start because max_in_flight were waiting
    achieved_rate_per_s: float | None = None  # writes started a second, from the first start to the last
    lag_median_ns: int | None = None
    lag_p99_ns: int | None = None
    lag_max_ns: int | None = None
    late: int = 0  # writes that started later than on schedule
    first_refused_ns: int | None = None
    last_refused_ns: int | None = None

    @property
    def on_schedule_ns(self) -> int:
        """The start lag within which a write counts as on schedule (see :func:`on_schedule_ns`)."""
        return on_schedule_ns(self.interval_ns)

    @property
    def behind(self) -> bool:
        """More writes started late than :func:`late_allowed` allows."""
        return self.late > late_allowed(self.started)


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def workload_figures(
    events: Sequence[Event], starts: Sequence[int], lags: Sequence[int]
) -> WorkloadFigures | None:
    """The workload's figures from its notes (``events``), when each write started (``starts``, journal
    order) and how late each started (``lags``); None when the journal has no workload (an older journal, or
    a drill that stopped before its workload started)."""
    begun = next(
        (e for e in events if e.kind is Kind.NOTE and e.name == WORKLOAD and e.type is Type.START), None
    )
    if begun is None:
        return None
    ended = next(
        (e for e in events if e.kind is Kind.NOTE and e.name == WORKLOAD and e.type is Type.END), None
    )
    schedule = begun.data
    rate = schedule.get("rate_per_s")
    achieved = None
    if len(starts) >= 2:
        span = max(starts) - min(starts)
        achieved = (len(starts) - 1) * NS_PER_S / span if span > 0 else None
    ordered = sorted(lags)
    found = ended.data if ended is not None else {}
    interval = _int(schedule.get("interval_ns")) or 0
    return WorkloadFigures(
        declared_rate_per_s=float(rate) if isinstance(rate, int | float) else 0.0,
        interval_ns=interval,
        max_in_flight=_int(schedule.get("max_in_flight")) or 0,
        mode=str(schedule.get("mode", "")),
        started=len(starts),
        scheduled=_int(found.get("scheduled")),
        refused=_int(found.get("refused")),
        achieved_rate_per_s=achieved,
        lag_median_ns=ordered[(len(ordered) - 1) // 2] if ordered else None,  # the lower median
        lag_p99_ns=ordered[math.ceil(0.99 * len(ordered)) - 1] if ordered else None,  # nearest rank
        lag_max_ns=ordered[-1] if ordered else None,
        late=len(ordered) - bisect_right(ordered, on_schedule_ns(interval)),
        first_refused_ns=_int(found.get("first_refused_ns")),
        last_refused_ns=_int(found.get("last_refused_ns")),
    )
