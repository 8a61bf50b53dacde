"""Pure functions from journal events to detection and recovery times. No I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import Event, Kind, Type


@dataclass(frozen=True)
class ProbeResult:
    """One completed steady-state probe."""

    invoke_ns: int
    complete_ns: int
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class FaultWindow:
    """When the disaster was in place: from the first fault applied to the last fault reverted."""

    start_ns: int
    end_ns: int | None  # None while the fault is still held


def probe_results(events: Sequence[Event]) -> list[ProbeResult]:
    """Pair probe invocations with their completions, in invocation order; pending probes are left out."""
    started: dict[str, int] = {}
    results: list[ProbeResult] = []
    for event in events:
        if event.kind is not Kind.PROBE or event.process is None:
            continue
        if event.type is Type.INVOKE:
            started[event.process] = event.t_ns
        elif event.process in started and event.type in (Type.OK, Type.FAIL, Type.INFO):
            results.append(
                ProbeResult(
                    invoke_ns=started.pop(event.process),
                    complete_ns=event.t_ns,
                    ok=event.type is Type.OK,
                    detail=str(event.data.get("detail", "")),
                )
            )
    results.sort(key=lambda p: p.invoke_ns)
    return results


def fault_window(events: Sequence[Event]) -> FaultWindow | None:
    """The span the faults were applied, or None when no fault was applied."""
    start: int | None = None
    end: int | None = None
    active = 0
    for event in events:
        if event.kind is not Kind.FAULT:
            continue
        if event.type is Type.START:
            if start is None:
                start = event.t_ns
            active += 1
            end = None
        elif event.type is Type.END and start is not None:
            active -= 1
            if active <= 0:
                end = event.t_ns
    if start is None:
        return None
    return FaultWindow(start_ns=start, end_ns=end)


def phase_span(events: Sequence[Event], name: str) -> tuple[int, int | None] | None:
    """Start and end of a runner phase (end None while it runs)."""
    start: int | None = None
    for event in events:
        if event.kind is Kind.PHASE and event.name == name:
            if event.type is Type.START:
                start = event.t_ns
            elif event.type is Type.END and start is not None:
                return start, event.t_ns
    return None if start is None else (start, None)


def time_to_detect(
    probes: Sequence[ProbeResult],
    fault_start_ns: int,
    fault_end_ns: int | None = None,
    slow_after_ns: int | None = None,
) -> int | None:
    """Nanoseconds from the fault to its first symptom seen by a probe (None: never seen).

    A symptom is a probe that failed (seen when it completed) or, when ``slow_after_ns`` is given, a probe still
    unanswered ``slow_after_ns`` after it started (seen at that moment, even if it succeeded later). A probe
    started after the fault was reverted says nothing about the fault, so it is not counted.
    """
    seen: list[int] = []
    for p in probes:
        if fault_end_ns is not None and p.invoke_ns >= fault_end_ns:
            continue
        if not p.ok:
            seen.append(p.complete_ns)
        if slow_after_ns is not None and p.complete_ns - p.invoke_ns > slow_after_ns:
            seen.append(p.invoke_ns + slow_after_ns)
    after = [t for t in seen if t >= fault_start_ns]
    return min(after) - fault_start_ns if after else None


def median_latency(probes: Sequence[ProbeResult]) -> int | None:
    """Median time a good probe took, the baseline that "slow" is measured against."""
    latencies = sorted(p.complete_ns - p.invoke_ns for p in probes if p.ok)
    return latencies[(len(latencies) - 1) // 2] if latencies else None  # the lower median


@dataclass(frozen=True)
class Recovery:
    """Where steady state came back for good, as seen by the probes."""

    recovered_at_ns: int | None  # when the first probe of the final unbroken good run succeeded, if it lasted
    held_ns: int  # how long that final run lasted, by invocation times (0 when there is none)


def recovery_point(
    probes: Sequence[ProbeResult], window: FaultWindow, steady_window_ns: int, now_ns: int | None = None
) -> Recovery:
    """Find the final run of good probes during the fault and check it lasted ``steady_window_ns``.

    Steady state must come back and stay until the fault is reverted (or until ``now_ns`` while the fault is
    still held), so a system that flaps back into failure has not recovered. Only probes invoked while the
    fault was in place count. Recovery is dated at the completion of the run's first probe: that is when the
    service was seen working again (a probe started during the outage may succeed only once it is over).
    """
    end_ns = window.end_ns if window.end_ns is not None else now_ns
    during = [
        p for p in probes if p.invoke_ns >= window.start_ns and (end_ns is None or p.invoke_ns < end_ns)
    ]
    run: list[ProbeResult] = []
    for probe in reversed(during):
        if not probe.ok:
            break
        run.append(probe)
    if not run:
        return Recovery(recovered_at_ns=None, held_ns=0)
    run_start = run[-1].invoke_ns
    held = run[0].invoke_ns - run_start
    if held < steady_window_ns:
        return Recovery(recovered_at_ns=None, held_ns=held)
    return Recovery(recovered_at_ns=run[-1].complete_ns, held_ns=held)


def first_signal_after(
    events: Sequence[Event], name: str, value: str, after_ns: int, before_ns: int | None = None
) -> int | None:
    """Time of the first system signal ``name == value`` at or after ``after_ns`` (and before ``before_ns``)."""
    for event in events:
        if (
            event.kind is Kind.SIGNAL
            and event.name == name
            and event.value == value
            and event.t_ns >= after_ns
        ):
            return event.t_ns if before_ns is None or event.t_ns < before_ns else None
    return None


@dataclass(frozen=True)
class Criterion:
    """A detection criterion of the plan, on the canary probes, at staging time scale.

    ``error_rate``: the share of failed probes among those that finished in the window is above ``above``.
    ``latency``: the median latency of the probes started in the window is above ``factor`` times the
    baseline median (a probe still running counts as slow once it has waited that long).
    """

    metric: str  # "error_rate" | "latency"
    window_ns: int
    above: float | None = None
    factor: float | None = None
    description: str = ""


GRID_NS = 50_000_000  # criteria are evaluated every 50 ms, finer than any probe interval


def _holds(criterion: Criterion, probes: Sequence[ProbeResult], t: int, baseline_ns: int | None) -> bool:
    """Whether ``criterion`` holds over the window ending at ``t``, on the probe outcomes known in it."""
    since = t - criterion.window_ns
    if criterion.metric == "error_rate" and criterion.above is not None:
        done = [p for p in probes if since < p.complete_ns <= t]
        return bool(done) and sum(1 for p in done if not p.ok) / len(done) > criterion.above
    if criterion.metric == "latency" and criterion.factor is not None and baseline_ns:
        # The median is above the threshold when more probes were seen slow than fast in the window. A probe
        # is seen fast when it finishes in time, and seen slow the moment it has waited past the threshold.
        threshold = round(criterion.factor * baseline_ns)
        slow = fast = 0
        for p in probes:
            if p.complete_ns - p.invoke_ns <= threshold:
                fast += since < p.complete_ns <= t
            else:
                slow += since < p.invoke_ns + threshold <= t
        return slow > fast
    return False


def time_to_detect_by_criteria(
    probes: Sequence[ProbeResult],
    window: FaultWindow,
    criteria: Sequence[Criterion],
    baseline_ns: int | None,
    match_all: bool = False,
) -> int | None:
    """Nanoseconds from the fault until the plan's criteria first held over a whole window of the fault.

    Windows start at the fault at the earliest, so a criterion holds only on what the fault caused; they end
    at the revert at the latest. ``match_all`` wants every criterion at once, else any one is enough.
    """
    usable = [c for c in criteria if c.metric in ("error_rate", "latency")]
    if not usable or not probes:
        return None
    last = max(p.complete_ns for p in probes)
    end = min(last, window.end_ns) if window.end_ns is not None else last
    t = window.start_ns + min(c.window_ns for c in usable)
    while t <= end:
        held = [t - c.window_ns >= window.start_ns and _holds(c, probes, t, baseline_ns) for c in usable]
        if all(held) if match_all else any(held):
            return t - window.start_ns
        t += GRID_NS
    return None
