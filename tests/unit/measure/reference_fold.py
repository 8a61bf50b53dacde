"""The measurement as it folded a journal before the one-pass fold: a frozen copy, kept as the tests' oracle.

``measure`` here re-pairs the journal for each figure (``probe_results``, ``all_samples``, ``link_samples``,
``build_ledger``) on a list of events, and judges the plan's criteria by scanning every probe at every step of
the 50 ms grid. It is slow on a large journal, and right by construction: the one-pass fold
(:mod:`drdrill.measure.fold`) must give the same :class:`Measurements`, so the same scorecard, on every journal.
Only this module's own copies are frozen; the pure figure functions they call are the shipped ones.
"""

# ruff: noqa

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from drdrill.journal import (
    FAILOVER,
    FAULT_REPORT,
    FINAL_READ,
    LINK,
    REPORT,
    SKIPPED,
    SUBMIT,
    Event,
    Kind,
    Phase,
    Type,
)
from drdrill.measure.checks import data_check_results
from drdrill.measure.containers import unexpected_downs
from drdrill.measure.duplicates import done_twice
from drdrill.measure.ledger import Ledger
from drdrill.measure.modes import ModeObjectives, mode_report
from drdrill.measure.notices import NoticeObjectives, communication
from drdrill.measure.recovery_point import loss_window
from drdrill.measure.steps import PlannedStep, step_results
from drdrill.measure.timeline import (
    GRID_NS,
    PROBE_SOURCE,
    WRITE_SOURCE,
    Bounded,
    Criterion,
    FaultWindow,
    ProbeResult,
    Recovery,
    Sample,
    detection,
    fault_window,
    longest_unseen_ns,
    median_latency,
    phase_span,
    service_recovery,
    signal_change,
)
from drdrill.measure.verdicts import MIN_SLOW_NS, Measurements, _bound
from drdrill.units import Bound


def _last_phase(events: Sequence[Event]) -> str | None:
    """The last runner phase started before teardown: where a drill that stopped early stopped."""
    last = None
    for event in events:
        if event.kind is Kind.PHASE and event.type is Type.START and event.name != Phase.TEARDOWN:
            last = event.name
    return last


def _baseline_probes(probes: Sequence[Sample], events: Sequence[Event]) -> list[Sample]:
    # Only probes that finished before the baseline ended judge it: one still running then may fail because
    # of the fault, and says nothing about the steady state before it.
    baseline = phase_span(events, Phase.BASELINE)
    if baseline is None:
        return []
    return [
        p
        for p in probes
        if p.invoke_ns >= baseline[0] and (baseline[1] is None or p.complete_ns <= baseline[1])
    ]


def _dated_after_failover(recovery: Recovery, failover_from_ns: int) -> tuple[int, int] | None:
    """Recovery re-dated so it is not before the earliest instant the failover signal could have switched.

    The system's own signal says it had not failed over yet: samples good before then do not date a recovery
    that the failover brought. Each source that had to recover is seen back at its first good completion from
    then on; the service when the last of them is. Returns (recovered at, recovered after), or None when
    nothing needs re-dating.
    """
    if recovery.recovered_at_ns is None or recovery.recovered_at_ns >= failover_from_ns:
        return None
    seen = [next((c for c in run if c >= failover_from_ns), failover_from_ns) for run in recovery.runs]
    return max(seen, default=failover_from_ns), failover_from_ns


@dataclass(frozen=True)
class _Timing:
    """The fault-window figures of :func:`measure`, in nanoseconds from the fault."""

    detect: Bounded | None = None
    detect_by_plan: Bounded | None = None
    failover: Bounded | None = None
    recover: Bounded | None = None
    failback: Bounded | None = None
    recovery_held_ns: int = 0
    fault_held_ns: int | None = None
    interrupted: bool = True
    unseen_gap_ns: int | None = None
    good_probes: int = 0
    after_failover: bool = False


def _fault_timing(
    events: Sequence[Event],
    window: FaultWindow,
    samples: Sequence[Sample],
    steady_window_ns: int,
    slow_after: int | None,
    criteria: Sequence[Criterion],
    baseline_latency: int | None,
    criteria_match_all: bool,
    links: Mapping[str, Sequence[Sample]],
    link_baselines: Mapping[str, int | None],
) -> _Timing:
    start = window.start_ns
    probes = [s for s in samples if s.source == PROBE_SOURCE]
    detect = detection(samples, window, slow_after)
    by_plan = time_to_detect_by_criteria(
        probes, window, criteria, baseline_latency, criteria_match_all, links, link_baselines
    )
    # The criteria are evaluated on a 50 ms grid: they first held within one step before the time found.
    plan = None if by_plan is None else Bounded(by_plan, minus_ns=min(GRID_NS, by_plan))
    # A switch after the revert is no failover (with both providers down, the backup may answer first).
    failover = signal_change(events, FAILOVER, "failed_over", start, window.end_ns)
    recovery = service_recovery(samples, window, steady_window_ns)
    last = max((s.complete_ns for s in samples), default=start)
    end = window.end_ns if window.end_ns is not None else max(last, start)
    in_fault = [s for s in samples if start <= s.invoke_ns < end]
    recover = None
    # A probe slower than the plan's latency criterion is a symptom too (a hang): service was interrupted even
    # if every probe succeeded in the end, and recovery is when a probe was seen answering again.
    interrupted = recovery.interrupted or detect is not None
    after_failover = False
    if recovery.recovered_at_ns is not None:
        recovered_at = recovery.recovered_at_ns
        broken_until = recovery.broken_until_ns if recovery.broken_until_ns is not None else start
        redated = None
        if interrupted and failover is not None:
            redated = _dated_after_failover(recovery, start + failover.value_ns - failover.minus_ns)
        if redated is not None:
            (recovered_at, broken_until), after_failover = redated, True
        if slow_after is not None:
            # A too-slow probe is a symptom as a failed one is: service was not back when it was invoked.
            slow = [
                x.invoke_ns
                for x in samples
                if x.source == PROBE_SOURCE
                and x.complete_ns - x.invoke_ns > slow_after
                and start <= x.invoke_ns < recovered_at
            ]
            broken_until = max([broken_until, *slow])
        if interrupted and detect is not None:
            # A sample may show service working before the first symptom is seen (a probe that gave up late):
            # a recovery is only known once the failure is, so it is never dated before the detection. The
            # bound still reaches back to the last symptom, so the true instant stays inside it.
            recovered_at = max(recovered_at, start + detect.value_ns)
        if not interrupted:  # nothing to recover from: no time lost, up to the widest unseen gap
            recover = Bounded(0, plus_ns=longest_unseen_ns(samples, start, end))
        else:
            confirmed = recovery.confirmed_at_ns if recovery.confirmed_at_ns is not None else recovered_at
            recover = Bounded(
                recovered_at - start,
                minus_ns=recovered_at - max(start, broken_until),
                plus_ns=max(0, confirmed - recovered_at),
            )
    failback = None
    if window.end_ns is not None:
        failback = signal_change(events, FAILOVER, "normal", window.end_ns)
    return _Timing(
        detect=detect,
        detect_by_plan=plan,
        failover=failover,
        recover=recover,
        failback=failback,
        recovery_held_ns=recovery.held_ns,
        fault_held_ns=None if window.end_ns is None else window.end_ns - start,
        interrupted=interrupted,
        unseen_gap_ns=longest_unseen_ns(samples, start, end) if not interrupted else None,
        good_probes=sum(1 for s in in_fault if s.ok and s.source == PROBE_SOURCE),
        after_failover=after_failover,
    )


def _restored(window: FaultWindow, timing: _Timing) -> int | None:
    """When full operation came back, from the fault's start, for the client notices: a system that failed over
    is restored when it fails back (at the earliest its signal allows); else when drdrill saw it recover; one
    whose outage no sample saw, at the revert."""
    if timing.failover is not None and timing.failback is not None and window.end_ns is not None:
        return window.end_ns - window.start_ns + timing.failback.value_ns - timing.failback.minus_ns
    if timing.interrupted and timing.recover is not None:
        return timing.recover.value_ns
    return None if window.end_ns is None else window.end_ns - window.start_ns


def measure(
    events: Sequence[Event],
    steady_window_ns: int,
    slow_factor: float | None = None,
    criteria: Sequence[Criterion] = (),
    criteria_match_all: bool = False,
    steps: Sequence[PlannedStep] = (),
    notices: NoticeObjectives | None = None,
    modes: ModeObjectives | None = None,
) -> Measurements:
    """Take every figure from the journal: detection and recovery from every probe and write, with bounds,
    and what each of the plan's recovery ``steps`` did."""
    probes = probe_results(events)
    samples = all_samples(events)
    window = fault_window(events)
    in_baseline = _baseline_probes(probes, events)
    baseline_latency = median_latency(in_baseline)
    slow_after = None
    if slow_factor is not None and baseline_latency is not None:
        slow_after = max(MIN_SLOW_NS, round(baseline_latency * slow_factor))
    timing = _Timing()
    ledger = build_ledger(events)
    acknowledged_in_fault = 0
    links = link_samples(events)
    link_baselines = {name: median_latency(_baseline_probes(found, events)) for name, found in links.items()}
    if window is not None:
        timing = _fault_timing(
            events,
            window,
            samples,
            steady_window_ns,
            slow_after,
            criteria,
            baseline_latency,
            criteria_match_all,
            links,
            link_baselines,
        )
        acknowledged_in_fault = sum(
            1
            for t in ledger.ack_ns.values()
            if t >= window.start_ns and (window.end_ns is None or t <= window.end_ns)
        )

    def value(b: Bounded | None) -> int | None:
        return None if b is None else b.value_ns

    comm = report = None
    if window is not None and notices is not None:
        comm = communication(
            events, notices, window.start_ns, value(timing.detect), _restored(window, timing)
        )
    if window is not None and modes is not None:
        report = mode_report(events, window.start_ns, window.end_ns, modes.allowed)

    return Measurements(
        time_to_detect_ns=value(timing.detect),
        time_to_failover_ns=value(timing.failover),
        time_to_recover_ns=value(timing.recover),
        recovery_held_ns=timing.recovery_held_ns,
        fault_held_ns=timing.fault_held_ns,
        baseline_probes=len(in_baseline),
        baseline_failures=sum(1 for p in in_baseline if not p.ok),
        probes=len(probes),
        failed_probes=sum(1 for p in probes if not p.ok),
        ledger=ledger,
        fault_start_ns=None if window is None else window.start_ns,
        time_to_failback_ns=value(timing.failback),
        baseline_latency_ns=baseline_latency,
        time_to_detect_by_plan_ns=value(timing.detect_by_plan),
        slow_after_ns=slow_after,
        time_to_detect_bound_ns=_bound(timing.detect),
        time_to_failover_bound_ns=_bound(timing.failover),
        time_to_recover_bound_ns=_bound(timing.recover),
        time_to_failback_bound_ns=_bound(timing.failback),
        time_to_detect_by_plan_bound_ns=_bound(timing.detect_by_plan),
        interrupted=timing.interrupted,
        unseen_gap_ns=timing.unseen_gap_ns,
        good_probes_in_fault=timing.good_probes,
        acknowledged_in_fault=acknowledged_in_fault,
        stopped_in=_last_phase(events),
        fault_skipped=any(e.kind is Kind.NOTE and e.name == SKIPPED for e in events),
        recovery_after_failover=timing.after_failover,
        steps=step_results(events, steps),
        containers_down=unexpected_downs(events),
        loss=loss_window(ledger, None if window is None else window.start_ns),
        done_twice=done_twice(
            events, frozenset(e.process for e in events if e.kind is Kind.PROBE and e.process)
        ),
        data_checks=data_check_results(events),
        communication=comm,
        modes=report,
        fault_reports=tuple(
            (e.value or e.name, dict(e.data[REPORT]))
            for e in events
            if (e.kind is Kind.FAULT and e.type is Type.END)
            or (e.kind is Kind.NOTE and e.name == FAULT_REPORT)
            if isinstance(e.data.get(REPORT), dict) and e.data[REPORT]
        ),
    )


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
    links: Mapping[str, Sequence[Sample]] | None = None,
    link_baselines: Mapping[str, int | None] | None = None,
) -> int | None:
    """Nanoseconds from the fault until the plan's criteria first held over a whole window of the fault.

    Windows start at the fault at the earliest, so a criterion holds only on what the fault caused; they end
    at the revert at the latest. ``match_all`` wants every criterion at once, else any one is enough. A
    criterion on a component is judged on that component's ``links`` samples against its own baseline.
    """
    usable = [c for c in criteria if c.metric in ("error_rate", "latency")]
    links = links or {}
    link_baselines = link_baselines or {}

    def source(c: Criterion) -> tuple[Sequence[Sample], int | None]:
        if c.component is None:
            return probes, baseline_ns
        return links.get(c.component, ()), link_baselines.get(c.component)

    sources = [source(c) for c in usable]
    completions = [s.complete_ns for samples, _ in sources for s in samples]
    if not usable or not completions:
        return None
    last = max(completions)
    end = min(last, window.end_ns) if window.end_ns is not None else last
    t = window.start_ns + min(c.window_ns for c in usable)
    while t <= end:
        held = [
            t - c.window_ns >= window.start_ns and _holds(c, samples, t, baseline)
            for c, (samples, baseline) in zip(usable, sources, strict=True)
        ]
        if all(held) if match_all else any(held):
            return t - window.start_ns
        t += GRID_NS
    return None


def _paired(events: Sequence[Event], source: str, links: bool = False) -> list[Sample]:
    """Operations of one source paired invoke -> completion, in invocation order; pending ones are left out.

    Probes (the steady-state probes, or with ``links`` the ``link`` probes of a component's link) are keyed by
    their process, writes by their value (the unit's id).
    """
    started: dict[str, int] = {}
    found: list[Sample] = []
    for event in events:
        if source == PROBE_SOURCE:
            wanted = event.kind is Kind.PROBE and (event.name == LINK) is links
            key = event.process if wanted else None
        else:
            key = event.value if event.kind is Kind.OP and event.name == SUBMIT else None
        if key is None:
            continue
        if event.type is Type.INVOKE:
            started[key] = event.t_ns
        elif key in started and event.type in (Type.OK, Type.FAIL, Type.INFO):
            found.append(
                Sample(
                    invoke_ns=started.pop(key),
                    complete_ns=event.t_ns,
                    ok=event.type is Type.OK,
                    detail=str(event.data.get("detail", "")),
                    source=source,
                )
            )
    found.sort(key=lambda sample: sample.invoke_ns)
    return found


def probe_results(events: Sequence[Event]) -> list[ProbeResult]:
    """Pair probe invocations with their completions, in invocation order; pending probes are left out."""
    return _paired(events, PROBE_SOURCE)


def link_samples(events: Sequence[Event]) -> dict[str, list[Sample]]:
    """drdrill's own requests through each component's link, by component (the journal's ``link`` probes)."""
    components = sorted({e.value for e in events if e.kind is Kind.PROBE and e.name == LINK and e.value})
    return {
        component: _paired([e for e in events if e.name != LINK or e.value == component], PROBE_SOURCE, True)
        for component in components
    }


def write_samples(events: Sequence[Event]) -> list[Sample]:
    """Each completed workload write as a sample: acknowledged is good, failed or unknown (a timeout) is not.

    A write that never completed says nothing about when the service broke, so it is left out.
    """
    return _paired(events, WRITE_SOURCE)


def all_samples(events: Sequence[Event]) -> list[Sample]:
    """Every probe and every write of the history, in invocation order: what detection and recovery read."""
    return sorted([*probe_results(events), *write_samples(events)], key=lambda s: s.invoke_ns)


def build_ledger(events: Sequence[Event]) -> Ledger:
    """Fold the write operations and the final read of the journal into a :class:`Ledger`.

    Probe units are the drill's own (they check the path, they are not workload): the final read leaves them
    out, so they count neither as lost nor as unexpected.
    """
    attempted: set[str] = set()
    completed: dict[str, Type] = {}
    ack_ns: dict[str, int] = {}
    probes: set[str] = set()
    held: set[str] = set()
    done: set[str] = set()
    read_done = False
    read_failure: str | None = None
    for event in events:
        if event.kind is Kind.OP and event.name == SUBMIT and event.value is not None:
            if event.type is Type.INVOKE:
                attempted.add(event.value)
            else:
                completed[event.value] = event.type
                if event.type is Type.OK:
                    ack_ns[event.value] = event.t_ns
        elif event.kind is Kind.PROBE and event.process is not None:
            probes.add(event.process)
        elif event.kind is Kind.READ and event.name == FINAL_READ:
            if event.type is Type.OK:
                read_done, read_failure = True, None
                held = {str(i) for i in event.data.get("held", [])}
                done = {str(i) for i in event.data.get("done", [])}
            elif event.type in (Type.FAIL, Type.INFO):  # an invocation alone is a read still in flight
                read_failure = str(event.data.get("why", "the final read failed"))

    def with_type(t: Type) -> frozenset[str]:
        return frozenset(i for i, outcome in completed.items() if outcome is t)

    return Ledger(
        attempted=frozenset(attempted),
        acknowledged=with_type(Type.OK),
        failed=with_type(Type.FAIL),
        indeterminate=with_type(Type.INFO) | frozenset(attempted - completed.keys()),
        read=frozenset(held - probes),
        processed=frozenset(done - probes),
        read_done=read_done,
        ack_ns=ack_ns,
        read_failure=read_failure if not read_done else None,
    )
