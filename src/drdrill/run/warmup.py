"""The warm-up: between a replica reported healthy and the baseline that judges its steady state.

A container's health check says a process answers; it does not say the system is warm (imports done, pools
filled, caches and indexes loaded). Judging the baseline from the first probe would fail a sound system whose
start-up merely ran long, most of all when other work shares the cores. So the baseline starts once the system
has answered ``WARM_STREAK`` probes in a row, or when the plan's ``staging.warmup`` bound has passed; in the
second case the baseline goes on and judges what it sees, and the journal says the warm-up never settled.

The streak is not waited for at the plan's probe interval (two intervals at least, a second at 500 ms): a warm-up
probe runs every :data:`WARM_PROBE_S` beside the steady-state probe, from the moment the stack start has opened the
system (so the system's slow first answers overlap drdrill's own connecting) until the warm-up ends. Its probes
are journalled like the others (ids ``<run>-warm-<n>``); none is judged, since the baseline starts after them.
"""

from __future__ import annotations

from drdrill.journal import WARMUP, Event, Kind, Type
from drdrill.measure.timeline import probe_results
from drdrill.probes import WarmupProbe, payloads_of
from drdrill.run.context import DrillContext
from drdrill.units import NS_PER_S, ns

WARM_STREAK = 3  # good probes in a row that say the system is warm
WARM_POLL_S = 0.05  # how soon the journal is read again for new probe results (a read costs microseconds)
WARM_PROBE_S = 0.1  # the warm-up probe's interval, when the plan's probe interval is longer


def warm_streak(oks: list[bool]) -> int:
    """How many probes at the end of ``oks`` (completed probes, in invocation order) were good in a row."""
    count = 0
    for ok in reversed(oks):
        if not ok:
            break
        count += 1
    return count


def warm_up(ctx: DrillContext) -> None:
    """Wait until the last ``WARM_STREAK`` completed probes were good, at most ``staging.warmup`` from the first
    warm-up probe (or from now, when the plan's probe interval is short enough to need none)."""
    s = ctx.scenario.staging
    start_ns = ctx.clock.monotonic_ns()
    # the bound counts from the first warm-up probe, when the stack start sent one (its loop ends there too)
    bound_ns = (ctx.warmup_from_ns if ctx.warmup_from_ns is not None else start_ns) + ns(s.warmup)
    interval_s = s.probe_interval.total_seconds()
    poll_s = min(interval_s, WARM_POLL_S)
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
    # No warm-up probe starts from now on; one still in flight is not waited for (it was invoked before the
    # baseline, so it judges nothing): the drain's end, or teardown, stops it for good.
    found = ctx.observers.get(WarmupProbe.thread_name)
    if found is not None:
        found[0].halt()
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
            "probe_interval_s": min(interval_s, WARM_PROBE_S),
        },
    )


def start_warmup_probe(ctx: DrillContext) -> None:
    """Probe every :data:`WARM_PROBE_S` (when the plan's probe interval is longer) from the moment the replica
    answers until the warm-up ends: started by the stack start, once the system is open, so the system's first
    and slowest answers overlap drdrill's own connecting (the watch, Toxiproxy, the first final read, the
    observers). The warm-up's bound counts from this moment, and the probe's loop ends there by itself if
    :func:`warm_up` has not halted it before; teardown stops it if the drill ends sooner."""
    s = ctx.scenario.staging
    if s.probe_interval.total_seconds() <= WARM_PROBE_S:
        return
    payloads = payloads_of(ctx.system)
    timeout_s = s.probe_timeout.total_seconds()
    probe = WarmupProbe(
        ctx.system,
        ctx.journal,
        ctx.clock,
        ctx.settings.run_id,
        payloads,
        WARM_PROBE_S,
        timeout_s,
        s.warmup.total_seconds(),
    )
    ctx.warmup_from_ns = ctx.clock.monotonic_ns()
    probe.start()
    ctx.observers[probe.thread_name] = (probe, ctx.undo.push(f"stop {probe.thread_name}", probe.stop))
