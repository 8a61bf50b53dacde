"""Benchmark: what one pass of the hold's stop condition costs as the journal grows.

The hold polls every 100 ms whether steady state is back, by the rule the scorecard dates recovery with. It reads
only the events recorded since its last poll (:class:`drdrill.measure.watch.RecoveryWatch`), so a pass should
cost the same whether the journal holds ten thousand events or a million. A drill at 1,000 writes a second with
200 probes a second adds about 240 events per poll; this builds journals of growing size from such a fault (writes
and probes failing, then good again), feeds each to a watch poll by poll, and reports the median and the largest
cost of a pass at each size, beside the cost of re-folding the whole journal once (what each pass cost before the
watch). Not a test: nothing here asserts a time.

    .venv/bin/python benchmarks/hold_watch.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from drdrill.clock import FakeClock
from drdrill.journal import CANARY, SUBMIT, Event, Journal, Kind, Type
from drdrill.measure.timeline import FaultWindow, all_samples, service_recovery
from drdrill.measure.watch import RecoveryWatch

S = 1_000_000_000
MS = 1_000_000
PER_POLL = 240  # events a 100 ms poll finds at 1,000 writes and 200 probes a second


def journal_of(size: int) -> list[Event]:
    """``size`` events of a fault held from 0: writes every 1 ms and probes every 5 ms, failing for the first
    tenth of the journal, good after."""
    clock = FakeClock(start_ns=0)
    journal = Journal(clock)
    n = recorded = 0
    while recorded < size:
        recorded += 4 if n % 5 == 0 else 2
        ok = n > size // 20
        journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=f"w{n}")
        if n % 5 == 0:
            journal.record(Kind.PROBE, Type.INVOKE, CANARY, process=f"p{n}")
        clock.advance(0.001)
        journal.record(Kind.OP, Type.OK if ok else Type.FAIL, SUBMIT, value=f"w{n}")
        if n % 5 == 0:
            journal.record(Kind.PROBE, Type.OK if ok else Type.FAIL, CANARY, process=f"p{n}")
        n += 1
    return journal.events()


def passes(events: list[Event]) -> list[float]:
    """The cost of each poll's pass over a journal fed ``PER_POLL`` events at a time, in seconds."""
    watch = RecoveryWatch(0, 3600 * S)  # a steady window never reached: every pass does its whole work
    took: list[float] = []
    for start in range(0, len(events), PER_POLL):
        now = events[min(start + PER_POLL, len(events)) - 1].t_ns
        began = time.perf_counter()
        watch.feed(events[start : start + PER_POLL])
        watch.recovered(now)
        took.append(time.perf_counter() - began)
    return took


def refold(events: list[Event]) -> float:
    """What one pass cost before the watch: the whole journal paired and judged again."""
    began = time.perf_counter()
    service_recovery(all_samples(events), FaultWindow(0, None), 3600 * S, events[-1].t_ns)
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="journal sizes in events")
    args = parser.parse_args(argv)
    print(
        f"one pass of the hold's stop condition, {PER_POLL} new events a pass (1,000 writes + 200 probes a second):"
    )
    for size in [int(s) for s in args.sizes.split(",")]:
        events = journal_of(size)
        took = passes(events)
        late = took[len(took) // 2 :]  # the passes made once the journal is at least half its size
        print(
            f"  {size:>9} events: pass median {statistics.median(took) * 1e3:.3f} ms (late passes "
            f"{statistics.median(late) * 1e3:.3f} ms), largest {max(took) * 1e3:.2f} ms; "
            f"re-folding the whole journal once {refold(events) * 1e3:.0f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
