"""The warm-up: between a replica reported healthy and the baseline that judges its steady state.

A container's health check says a process answers; it does not say the system is warm (imports done, pools
filled, caches and indexes loaded). Judging the baseline from the first probe would fail a sound system whose
start-up merely ran long, most of all when other work shares the cores. So the baseline starts once the system
has answered ``WARM_STREAK`` probes in a row, or when the plan's ``staging.warmup`` bound has passed; in the
second case the baseline goes on and judges what it sees, and the journal says the warm-up never settled.
"""

from __future__ import annotations

from drdrill.journal import WARMUP, Event, Kind, Type
from drdrill.measure.timeline import probe_results
from drdrill.run.context import DrillContext
from drdrill.units import NS_PER_S, ns

WARM_STREAK = 3  # good probes in a row that say the system is warm
WARM_POLL_S = 0.05  # how soon the journal is read again for new probe results (a read costs microseconds)


def warm_streak(oks: list[bool]) -> int:
    """How many probes at the end of ``oks`` (completed probes, in invocation order) were good in a row."""
    count = 0
    for ok in reversed(oks):
        if not ok:
            break
        count += 1
    return count


def warm_up(ctx: DrillContext) -> None:
    """Wait until the last ``WARM_STREAK`` completed probes were good, at most ``staging.warmup``."""
    s = ctx.scenario.staging
    start_ns = ctx.clock.monotonic_ns()
    bound_ns = start_ns + ns(s.warmup)
    poll_s = min(s.probe_interval.total_seconds(), WARM_POLL_S)
    # Each poll reads only the events recorded since the last one, as the hold does, and keeps the probes'
    # (a few a second): the workload's writes, hundreds a second, are never read twice.
    probes: list[Event] = []
    seen = 0
    while True:
        fresh = ctx.journal.since(seen)
        seen += len(fresh)
        probes += [e for e in fresh if e.kind is Kind.PROBE]
        oks = [p.ok for p in probe_results(probes)]
        streak = warm_streak(oks)
        now = ctx.clock.monotonic_ns()
        if streak >= WARM_STREAK or now >= bound_ns:
            break
        ctx.wait(poll_s)
    ctx.journal.record(
        Kind.NOTE,
        Type.INFO,
        WARMUP,
        data={
            "settled": streak >= WARM_STREAK,
            "waited_s": (now - start_ns) / NS_PER_S,
            "streak": streak,
            "needed": WARM_STREAK,
            "probes": len(oks),
            "failed": oks.count(False),
        },
    )
