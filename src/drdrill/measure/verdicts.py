"""Measured figures judged against the scenario's objectives. Pure: no I/O, no clock.

A verdict is judged only on inputs the drill reached: a drill that errored or was interrupted before the fault
judges nothing about recovery, one that stopped before the final read nothing about data, and a drill where
nothing happened (too few writes or probes while the fault was held) does not pass by default.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import repeat
from operator import and_, ge, le
from typing import Any, Literal

from drdrill.journal import FAILOVER, SKIPPED, Event, Kind, Phase, Type, fault_reports
from drdrill.measure.checks import (
    CheckResult,
    ScoreResult,
    data_check_results,
    golden_set_result,
    index_recall_result,
)
from drdrill.measure.containers import ContainerDown, unexpected_downs
from drdrill.measure.credentials import LeakResult, leak_results
from drdrill.measure.duplicates import done_twice
from drdrill.measure.fold import Folded, collector_paused, fold
from drdrill.measure.host import HostLoad, host_load
from drdrill.measure.ledger import Ledger
from drdrill.measure.modes import ModeObjectives, ModeReport, judge_modes, mode_report
from drdrill.measure.notices import (
    Communication,
    NoticeObjectives,
    StageResult,
    communication,
    wording_result,
)
from drdrill.measure.recovery_point import LossWindow, loss_window
from drdrill.measure.steps import PlannedStep, Serves, StepResult, step_results
from drdrill.measure.timeline import (
    GRID_NS,
    PROBE_SOURCE,
    Bounded,
    Criterion,
    FaultWindow,
    Recovery,
    Sample,
    checks_cleared,
    detection,
    fault_window,
    longest_unseen_ns,
    median_latency,
    phase_span,
    service_recovery,
    signal_change,
    signal_lag_ns,
    signal_states,
    time_to_detect_by_criteria,
    within,
)
from drdrill.measure.warmup import Warmup, warmup_of
from drdrill.measure.workload import WorkloadFigures, late_allowed, workload_figures
from drdrill.units import NS_PER_S, Bound, bounded, fine, seconds, unseen_outage

# No vacuous pass (Jepsen's lesson: a check passes when nothing happened). Data loss is judged on the writes
# acknowledged while the fault was held: five is the fewest that still spread over a short outage at the
# workload's usual rate, so that a pass says writes went through the disaster, not past it. Recovery is
# judged on good probes during the fault: three is the fewest that show steady state came back and stayed,
# not one probe that got lucky.
MIN_ACKNOWLEDGED_IN_FAULT = 5
MIN_GOOD_PROBES_IN_FAULT = 3


@dataclass(frozen=True)
class Objectives:
    """What a drill is judged against, in nanoseconds."""

    rto_ns: int  # the tier's recovery time objective (production)
    rpo_ns: int  # the tier's recovery point objective
    recovery_bound_ns: int  # staging bound on the automated recovery
    steady_window_ns: int  # steady state must hold this long to count as recovered
    manual_ns: int = 0  # declared duration of the manual recovery steps
    slow_factor: float | None = None  # a probe slower than this multiple of the baseline median is a symptom
    criteria: tuple[Criterion, ...] = ()  # the plan's detection criteria that probes can evaluate
    criteria_match_all: bool = False
    unit: Words = field(default_factory=lambda: Words("write", "writes"))  # the plan's unit of work
    failover_signal: bool = True  # the system declares a failover signal, so failover can be dated
    steps: tuple[PlannedStep, ...] = ()  # the scenario's recovery steps, automated and manual, in order
    rpo_bound_ns: int | None = None  # the RPO at staging time scale (staging.rpo_bound); None: the tier's RPO
    counts_done: bool = False  # the system says how many times it did each unit (duplicates can be judged)
    min_accuracy: float | None = None  # the scenario's golden set must score this much (None: it has none)
    min_recall: float | None = None  # the scenario's index must reach this recall@k (None: no query set)
    recall_k: int = 10
    notices: NoticeObjectives | None = None  # the communication protocol; None: the plan routes no message
    alert_within_ns: int | None = None  # the system's own alerting must fire within this of the fault
    alert_within_source: str = ""  # where that bound comes from, in words
    modes: ModeObjectives | None = None  # None: the system declares no mode signal


@dataclass(frozen=True)
class DrillEnd:
    """How the runner says the drill ended: ``completed``, ``errored`` or ``aborted``, and its error text.

    The runner's abort text names the phase ("interrupted (Ctrl-C) during the fault phase"); the journal's
    phase events say the same, and say it for errors too.
    """

    status: str = "completed"
    error: str | None = None

    @property
    def stopped(self) -> bool:
        """The drill did not run its phases to the end."""
        return self.status in ("errored", "aborted")


@dataclass(frozen=True)
class Measurements:
    """Figures taken from one drill's journal; durations in nanoseconds, None when not observed.

    Each ``*_bound_ns`` is ``(minus, plus)``: the sampling leaves the true time in [value - minus, value + plus].
    """

    time_to_detect_ns: int | None
    time_to_failover_ns: int | None
    time_to_recover_ns: int | None
    recovery_held_ns: int
    fault_held_ns: int | None
    baseline_probes: int
    baseline_failures: int
    probes: int
    failed_probes: int
    ledger: Ledger
    fault_start_ns: int | None = None
    time_to_failback_ns: int | None = None  # from the revert until the failover signal says normal again
    baseline_latency_ns: int | None = None  # median canary latency before the fault
    time_to_detect_by_plan_ns: int | None = None  # until the plan's own detection criteria held
    slow_after_ns: int | None = None  # a probe unanswered this long counted as a symptom
    time_to_detect_bound_ns: Bound | None = None
    time_to_failover_bound_ns: Bound | None = None
    time_to_recover_bound_ns: Bound | None = None
    time_to_failback_bound_ns: Bound | None = None
    time_to_detect_by_plan_bound_ns: Bound | None = None
    # a probe or write during the fault was a symptom, or the system's own check flagged it (False: neither)
    interrupted: bool = True
    unseen_gap_ns: int | None = None  # the longest outage during the fault the samples could have missed
    good_probes_in_fault: int = 0  # probes invoked while the fault was held that passed
    acknowledged_in_fault: int = 0  # writes acknowledged while the fault was held
    stopped_in: str | None = None  # the last phase the runner started before teardown
    fault_skipped: bool = False  # the runner applied no fault because the baseline was not steady
    recovery_after_failover: bool = (
        False  # recovery was dated from the failover, not from the first good sample
    )
    # The system's own checks (signals the plan's criteria read) that flagged a failure no probe saw: recovery
    # is dated when they all cleared.
    flagged_by_checks: tuple[str, ...] = ()
    steps: tuple[StepResult, ...] = ()  # each recovery step's outcome (hook or action), in the plan's order
    containers_down: tuple[ContainerDown, ...] = ()  # containers that went down when no fault stopped them
    loss: LossWindow | None = None  # the lost writes and when they were acknowledged, before the failure
    done_twice: Mapping[str, int] | None = None  # units done more than once; None: the system does not say
    data_checks: tuple[CheckResult, ...] = ()  # the scenario's data checks as run after recovery
    golden_set: ScoreResult | None = None  # the golden set's accuracy after recovery; None: never started
    index_recall: ScoreResult | None = None  # the index's recall@k after recovery; None: never started
    communication: Communication | None = None  # the alerts and notices the sink received, judged
    # What each fault's target counted while it was in place: (target, counts), e.g. a provider's calls made
    # before a Retry-After allowed them.
    fault_reports: tuple[tuple[str, Mapping[str, int]], ...] = ()
    modes: ModeReport | None = None  # the degraded modes the system reported
    leaks: tuple[LeakResult, ...] = ()  # each leaked secret's uses by drdrill, and what every place answered
    workload: WorkloadFigures | None = None  # whether the writes kept their schedule (None: no workload ran)
    host: HostLoad | None = None  # how busy the host was while the drill ran (None: not measured)
    # what the failed baseline probes said, each answer with its count, most common first
    baseline_problems: tuple[tuple[str, int], ...] = ()
    warmup: Warmup | None = None  # how the warm-up before the baseline went (None: none journalled)

    def lost_window_ns(self) -> int:
        """Work lost, in time, counted back from the failure."""
        return self.ledger.lost_window_ns(self.fault_start_ns)

    def projected_rto_ns(self, manual_ns: int) -> int | None:
        """Measured automated recovery plus the declared manual steps."""
        return None if self.time_to_recover_ns is None else self.time_to_recover_ns + manual_ns


@dataclass(frozen=True)
class Words:
    """The plan's words for one unit of work and many."""

    one: str
    many: str

    def count(self, n: int) -> str:
        """``1 ticket``, ``3 tickets``."""
        return f"{n} {self.one if n == 1 else self.many}"


VerdictOutcome = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True)
class Verdict:
    """One objective: met, missed, or unknown (its input was never measured), with a sentence that says why."""

    name: str
    outcome: VerdictOutcome
    measured: str
    objective: str
    message: str

    @property
    def passed(self) -> bool:
        return self.outcome == "pass"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def _verdict(name: str, ok: bool, measured: str, objective: str, message: str) -> Verdict:
    return Verdict(name, "pass" if ok else "fail", measured, objective, message)


def no_interruption(gap_ns: int) -> str:
    """What a drill whose samples saw no symptom during the fault says instead of a recovery time."""
    return unseen_outage(gap_ns / NS_PER_S)


# A read-back probe polls every 50 ms, so "slow" below a few polls would be noise, not a symptom.
MIN_SLOW_NS = 250_000_000


def _last_phase(events: Sequence[Event]) -> str | None:
    """The last runner phase started before teardown: where a drill that stopped early stopped."""
    last = None
    for event in events:
        if event.kind is Kind.PHASE and event.type is Type.START and event.name != Phase.TEARDOWN:
            last = event.name
    return last


def _baseline_probes(probes: Sequence[Sample], events: Sequence[Event]) -> list[Sample]:
    baseline = phase_span(events, Phase.BASELINE)
    return [] if baseline is None else within(probes, *baseline)


def _bound(b: Bounded | None) -> Bound | None:
    return None if b is None else (b.minus_ns, b.plus_ns)


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
    flagged_by_checks: tuple[str, ...] = ()


def _fault_timing(
    events: Sequence[Event],
    window: FaultWindow,
    samples: Sequence[Sample],
    last_complete_ns: int | None,
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
        probes,
        window,
        criteria,
        baseline_latency,
        criteria_match_all,
        links,
        link_baselines,
        signal_states(events),
    )
    # The criteria are evaluated on a 50 ms grid: they first held within one step before the time found; a
    # signal is polled, so one on a signal may have held up to a poll interval before it was seen.
    lag = signal_lag_ns(events, [c.signal for c in criteria if c.signal is not None])
    plan = None if by_plan is None else Bounded(by_plan, minus_ns=min(max(GRID_NS, lag), by_plan))
    # A switch after the revert is no failover (with both providers down, the backup may answer first).
    failover = signal_change(events, FAILOVER, "failed_over", start, window.end_ns)
    recovery = service_recovery(samples, window, steady_window_ns)
    last = start if last_complete_ns is None else last_complete_ns
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
    flagged: tuple[str, ...] = ()
    checks = [c.signal for c in criteria if c.signal is not None]
    if not interrupted and checks and recovery.recovered_at_ns is not None:
        # Nothing the probes saw, but the system's own check flagged the failure (a model answering worse,
        # rows corrupted and still served): the system recovered when its check cleared.
        cleared, flagged = checks_cleared(window, checks, signal_states(events))
        if flagged:
            interrupted, recover = True, cleared
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
        flagged_by_checks=flagged,
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


@collector_paused()
def measure(
    journal: Sequence[Event] | Folded,
    steady_window_ns: int,
    slow_factor: float | None = None,
    criteria: Sequence[Criterion] = (),
    criteria_match_all: bool = False,
    steps: Sequence[PlannedStep] = (),
    notices: NoticeObjectives | None = None,
    modes: ModeObjectives | None = None,
) -> Measurements:
    """Take every figure from the journal (its events, or the journal already folded): detection and recovery
    from every probe and write, with bounds, and what each of the plan's recovery ``steps`` did.

    The journal is folded once (:mod:`drdrill.measure.fold`). The fault window's figures read the probes and
    only the writes that overlap the window (completed after it began, invoked before it ended): a write
    before it cannot show the fault's first symptom nor bound it, which only the writes of the window do.
    """
    folded = journal if isinstance(journal, Folded) else fold(journal)
    events = folded.events
    probes = folded.probes
    window = fault_window(events)
    in_baseline = _baseline_probes(probes, events)
    baseline_latency = median_latency(in_baseline)
    slow_after = None
    if slow_factor is not None and baseline_latency is not None:
        slow_after = max(MIN_SLOW_NS, round(baseline_latency * slow_factor))
    timing = _Timing()
    ledger = folded.ledger
    acknowledged_in_fault = 0
    links = folded.links
    link_baselines = {name: median_latency(_baseline_probes(found, events)) for name, found in links.items()}
    if window is not None:
        writes = folded.writes.overlapping(window.start_ns, window.end_ns)
        samples = sorted([*probes, *writes], key=lambda sample: sample.invoke_ns)
        last = max(
            (
                t
                for t in (folded.writes.last_complete_ns(), *(p.complete_ns for p in probes))
                if t is not None
            ),
            default=None,
        )
        timing = _fault_timing(
            events,
            window,
            samples,
            last,
            steady_window_ns,
            slow_after,
            criteria,
            baseline_latency,
            criteria_match_all,
            links,
            link_baselines,
        )
        times = ledger.ack_ns.values()
        in_fault = map(ge, times, repeat(window.start_ns))
        if window.end_ns is not None:
            in_fault = map(and_, in_fault, map(le, times, repeat(window.end_ns)))
        acknowledged_in_fault = sum(in_fault)

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
        flagged_by_checks=timing.flagged_by_checks,
        steps=step_results(events, steps),
        containers_down=unexpected_downs(events),
        loss=loss_window(ledger, None if window is None else window.start_ns),
        done_twice=done_twice(events, folded.probe_ids),
        data_checks=data_check_results(events),
        golden_set=golden_set_result(events),
        index_recall=index_recall_result(events),
        communication=comm,
        leaks=leak_results(events),
        modes=report,
        fault_reports=tuple((target or label, counts) for label, target, counts in fault_reports(events)),
        workload=workload_figures(events, folded.starts, folded.lags),
        host=host_load(events),
        baseline_problems=_problems(in_baseline),
        warmup=warmup_of(events),
    )


def _problems(samples: Sequence[Sample]) -> tuple[tuple[str, int], ...]:
    """What the failed samples said (those that said anything), each answer with its count, most common first."""
    counts = Counter(p.detail for p in samples if not p.ok and p.detail)
    return tuple(counts.most_common())


# The phases a client reads about in words of their own; the others read as "during the fault phase".
_PHASE_WORDS: dict[str, str] = {
    Phase.SWEEP: "while clearing what earlier runs left",
    Phase.STACK_START: "while starting the staging replica",
    Phase.WARMUP: "while waiting for the staging replica to warm up",
    Phase.FINAL_READ: "during the final read",
}


def _during(phase: str | None) -> str:
    if phase is None:
        return "during the preflight phase"
    return _PHASE_WORDS.get(phase, f"during the {phase} phase")


def _how(m: Measurements, end: DrillEnd) -> str:
    """Where and how a drill that stopped early stopped, as a clause: 'the drill errored during the fault phase'."""
    phase = m.stopped_in
    if end.status == "aborted":
        first = (end.error or "").split("; ")[0]
        if first.startswith("interrupted"):
            return f"the drill was {first}"
        return f"the drill was interrupted {_during(phase)}"
    if phase is None:
        return "the drill errored before it started"
    return f"the drill errored {_during(phase)}"


def _no_fault_why(m: Measurements, end: DrillEnd) -> str:
    """Why a drill without a fault window judges nothing that needs one."""
    if end.stopped:
        return f"not judged: the fault was never applied; {_how(m, end)}"
    if m.fault_skipped:
        return (
            "not judged: no fault was applied (steady state did not hold during the baseline, so the drill "
            "stopped before the fault)"
        )
    return "not judged: no fault was applied"


def _baseline_reached(m: Measurements, end: DrillEnd) -> bool:
    """The baseline ran to its end: the drill did not stop in it or before it."""
    return not end.stopped or m.stopped_in not in (
        None,
        Phase.SWEEP,
        Phase.STACK_START,
        Phase.WARMUP,
        Phase.BASELINE,
    )


def judge(m: Measurements, objectives: Objectives, end: DrillEnd | None = None) -> list[Verdict]:
    """Every verdict of a drill, in the order a reader wants them; ``end`` says how the runner ended it."""
    end = end or DrillEnd()
    recovery = _recovery_bound(m, objectives, end)
    verdicts = [
        _baseline(m, end),
        _with_steps(recovery, _let_down(m, end, "recovery")),
        _projected_rto(m, objectives, end, recovery),
        _rpo(m, objectives, end),
        _drained(m, objectives, end),
        _unexpected(m, objectives, end),
        *([_duplicates(m, objectives, end)] if objectives.counts_done else []),
        *([_data_checks(m)] if m.data_checks else []),
        *([_golden(m, objectives, end)] if objectives.min_accuracy is not None else []),
        *([_recall(m, objectives, end)] if objectives.min_recall is not None else []),
    ]
    failback = _failback(m, end)
    if failback is not None:
        verdicts.append(failback)
    if m.containers_down:
        verdicts.append(_containers(m))
    retry_after = _retry_after(m)
    if retry_after is not None:
        verdicts.append(retry_after)
    verdicts += [_secret_refused(leak, objectives) for leak in m.leaks]
    verdicts += _communication(m, objectives, end)
    if objectives.modes is not None:
        verdicts.append(_modes(m, objectives.modes, end))
    schedule = _schedule(m, objectives)
    if schedule is not None:
        verdicts.append(schedule)
    return verdicts


def _schedule(m: Measurements, o: Objectives) -> Verdict | None:
    """The writes started on their schedule, so the drill sampled the system as densely as its plan declares
    and loaded it while it was slow; None when no workload ran (an older journal)."""
    w = m.workload
    if w is None:
        return None
    bound = w.on_schedule_ns
    objective = f"writes start on schedule: at most 1 in 100 (and one) more than {fine(bound)} late"
    if w.lag_p99_ns is None or w.lag_median_ns is None or w.lag_max_ns is None:
        return Verdict("schedule", "unknown", "no write started", objective, "not judged: no write started")
    achieved = "not measured" if w.achieved_rate_per_s is None else f"{w.achieved_rate_per_s:.4g}"
    rates = f"{w.declared_rate_per_s:g} {o.unit.many} a second declared, {achieved} a second started"
    late = (
        f"started late by {fine(w.lag_median_ns)} (median), {fine(w.lag_p99_ns)} (p99), {fine(w.lag_max_ns)} at "
        "most"
    )
    measured = f"p99 start lag {fine(w.lag_p99_ns)}"
    said = ""
    if w.refused:
        said = (
            f"; {o.unit.count(w.refused)} not started: {w.max_in_flight} were already waiting on the system, "
            "drdrill's cap (journalled, never queued)"
        )
    saturated = m.host.why_saturated() if m.host is not None else []
    if saturated:
        said += (
            f"; the host was saturated while the drill ran ({', '.join(saturated)}): its timings may include "
            "time spent waiting for a core"
        )
    if w.behind:
        message = (
            f"the workload fell behind its schedule: {rates}; {late}; {w.late} of {w.started} more than the "
            f"{fine(bound)} a write may start late and still sample the system as the plan declares (at most "
            f"{late_allowed(w.started)} may); late writes spared the system load "
            "while it was slow, so the figures above rest on fewer samples than declared: lower workload_rate, "
            f"or drill on a host with cores to spare{said}"
        )
        return _verdict("schedule", False, measured, objective, message)
    if w.late:
        said = f"; {w.late} of {w.started} more than {fine(bound)} late, within the {late_allowed(w.started)} allowed{said}"
    message = f"writes kept their schedule: {rates}; {late}{said}"
    return _verdict("schedule", True, measured, objective, message)


def _retry_after(m: Measurements) -> Verdict | None:
    """Retry-After honoured: no call reached a provider before the Retry-After it sent allowed it. None when no
    provider sent one (nothing to honour)."""
    told = [(target, counts) for target, counts in m.fault_reports if counts.get("retry_after_sent", 0) > 0]
    if not told:
        return None
    objective = "no call before a provider's Retry-After allowed it"
    early = [(t, c["early_calls"]) for t, c in told if c.get("early_calls", 0) > 0]
    sent = sum(c["retry_after_sent"] for _, c in told)
    if early:
        named = ", ".join(f"{n} call(s) reached {t} before its Retry-After allowed them" for t, n in early)
        return _verdict(
            "retry_after",
            False,
            f"{sum(n for _, n in early)} early",
            objective,
            f"{named} ({sent} Retry-After sent)",
        )
    return _verdict(
        "retry_after", True, "0 early", objective, f"every one of {sent} Retry-After was honoured"
    )


def _secret_refused(leak: LeakResult, o: Objectives) -> Verdict:
    """The leaked secret refused by every place that took it, for good, within the staging recovery bound."""
    bound = o.recovery_bound_ns
    objective = f"refused by every place that took it within {seconds(bound)} of the leak, and ever after"
    secret = leak.secret
    accepting = leak.accepting
    if accepting:
        named = "; ".join(
            f"{p.name} accepted {p.accepted} of {p.calls} calls with it, the last "
            f"{seconds(p.last_accepted_ns or 0)} after the leak"
            for p in accepting
        )
        places = ", ".join(p.name for p in accepting)
        message = f"the leaked {secret} was still accepted when the fault was reverted by {places}: {named}"
        return _verdict("secret_refused", False, f"still accepted by {places}", objective, message)
    if leak.unknown or not leak.places:
        silent = ", ".join(p.name for p in leak.unknown) or "no place"
        message = f"not judged: no call with the leaked {secret} got an answer from {silent}"
        return Verdict("secret_refused", "unknown", "not measured", objective, message)
    refused = leak.refused_everywhere_ns
    assert refused is not None  # every place answered, none accepts: each refused it from some call on
    measured = f"refused everywhere after {seconds(refused)}"
    names = ", ".join(p.name for p in leak.places)
    if refused > bound:
        message = (
            f"the leaked {secret} was refused by every place that took it ({names}) only {seconds(refused)} after "
            f"the leak, {seconds(refused - bound)} over the bound of {seconds(bound)}"
        )
        return _verdict("secret_refused", False, measured, objective, message)
    message = f"the leaked {secret} was refused by every place that took it ({names}) {seconds(refused)} after the leak"
    return _verdict("secret_refused", True, measured, objective, message)


def _communication(m: Measurements, o: Objectives, end: DrillEnd) -> list[Verdict]:
    """The system's own alert in time, each notice stage by its deadline, and the words of the notices."""
    if o.notices is None:
        return []
    if m.communication is None:
        why = _no_fault_why(m, end)
        names = (["system_alert"] if o.notices.has_alerts else []) + (
            [r.stage for r in o.notices.stages if r.stage != "degraded"] if o.notices.has_notices else []
        )
        return [Verdict(name, "unknown", "not measured", "", why) for name in names]
    comm = m.communication
    found: list[Verdict] = []
    if o.notices.has_alerts:
        found.append(_system_alert(comm, o))
    results: list[StageResult] = list(comm.stages)
    wording = wording_result(comm)
    if wording is not None:
        results.append(wording)
    found += [
        Verdict(_STAGE_VERDICT.get(r.stage, r.stage), r.outcome, r.measured, r.objective, r.message)
        for r in results
    ]
    return found


_STAGE_VERDICT = {"wording": "notice_wording"}


def _system_alert(comm: Communication, o: Objectives) -> Verdict:
    bound = o.alert_within_ns
    objective = "the system's own alerting fires" + (
        f" within {seconds(bound)} of the fault ({o.alert_within_source})" if bound is not None else ""
    )
    ttd = comm.time_to_detect_by_system_ns
    if ttd is None:
        return _verdict(
            "system_alert",
            False,
            "no alert",
            objective,
            f"the system's own alerting never alerted during the {seconds(comm.drill_end_ns)} after the fault",
        )
    measured = f"first alert after {seconds(ttd)}"
    if bound is not None and ttd > bound:
        return _verdict(
            "system_alert",
            False,
            measured,
            objective,
            f"the system's own alerting alerted after {seconds(ttd)}, {seconds(ttd - bound)} over the bound of {seconds(bound)}",
        )
    return _verdict(
        "system_alert",
        True,
        measured,
        objective,
        f"the system's own alerting alerted {seconds(ttd)} after the fault",
    )


def _modes(m: Measurements, objectives: ModeObjectives, end: DrillEnd) -> Verdict:
    allowed = ", ".join(repr(x) for x in objectives.allowed) or "none"
    objective = f"enter one of {allowed} during the fault, and return to normal"
    if m.modes is None:
        return Verdict("degraded_mode", "unknown", "not measured", objective, _no_fault_why(m, end))
    judged = judge_modes(m.modes, objectives)
    return Verdict(
        "degraded_mode",
        "pass" if judged.outcome == "pass" else "fail",
        judged.measured,
        judged.objective,
        judged.message,
    )


def _containers(m: Measurements) -> Verdict:
    """A container of the replica that went down by itself is named: it explains whatever else failed."""
    found = "; ".join(down.describe() for down in m.containers_down)
    return _verdict(
        "replica",
        False,
        f"{len(m.containers_down)} went down",
        "no container down unless a fault stopped it",
        f"{found}, and no fault of the drill stopped it",
    )


def _let_down(m: Measurements, end: DrillEnd, serves: Serves) -> list[str]:
    """What each automated step serving ``serves`` that did not complete says, in its own words.

    A step that ran and failed always counts. One never run (or cut off) counts when the drill went on to its
    end with a fault applied: then nothing excused it. In a drill that stopped early, or never applied its
    fault, the verdict it serves is not judged for that reason, and says so itself.
    """
    found = []
    for step in m.steps:
        if not step.automated or step.serves != serves:
            continue
        if step.outcome == "failed":
            found.append(f"the automated step '{step.title}' failed: {step.detail or 'it gave no reason'}")
        elif step.outcome in ("not_run", "unfinished") and not end.stopped and m.fault_start_ns is not None:
            never = "never ran" if step.outcome == "not_run" else "never completed"
            found.append(f"the automated step '{step.title}' {never}")
    return found


def _with_steps(verdict: Verdict, let_down: Sequence[str]) -> Verdict:
    """``verdict`` failed by the steps that served it and did not complete: a recovery the plan's own steps
    did not earn is no pass, whatever the service did by itself."""
    if not let_down:
        return verdict
    message = "; ".join(let_down) + f"; the service: {verdict.message}"
    return Verdict(verdict.name, "fail", verdict.measured, verdict.objective, message)


def _failback(m: Measurements, end: DrillEnd) -> Verdict | None:
    """The fail-back steps (run after the revert) completed; None when the scenario has none."""
    steps = [s for s in m.steps if s.automated and s.serves == "failback"]
    if not steps:
        return None
    objective = "every automated fail-back step completes"
    done = [s for s in steps if s.outcome == "ok"]
    measured = f"{len(done)} of {len(steps)} completed"
    let_down = _let_down(m, end, "failback")
    if let_down:
        return Verdict("failback", "fail", measured, objective, "; ".join(let_down))
    if len(done) < len(steps):
        why = _no_fault_why(m, end) if m.fault_start_ns is None else f"not judged: {_how(m, end)}"
        return Verdict("failback", "unknown", measured, objective, why)
    ran = ", ".join(
        f"'{s.title}' in {seconds(s.duration_ns)}" + (f" ({s.detail})" if s.detail else "") for s in done
    )
    return Verdict("failback", "pass", measured, objective, f"every fail-back step completed: {ran}")


def _baseline(m: Measurements, end: DrillEnd) -> Verdict:
    measured = f"{m.baseline_probes - m.baseline_failures}/{m.baseline_probes} probes good"
    if not _baseline_reached(m, end):
        return Verdict("baseline", "unknown", measured, "every probe good", f"not judged: {_how(m, end)}")
    ok = m.baseline_probes > 0 and m.baseline_failures == 0
    if m.baseline_probes == 0:
        message = "no probe completed before the fault, so there is no steady state to compare with"
    elif ok:
        message = "steady state held before the fault"
    else:
        said = "; ".join(f"{n}x {detail}" for detail, n in m.baseline_problems[:3])
        message = f"steady state did not hold before the fault: {m.baseline_failures} probe(s) failed"
        message += f" ({said})" if said else ""
        if m.warmup is not None and not m.warmup.settled:
            message += (
                f"; before it, the system never answered {m.warmup.needed} probes in a row in "
                f"{seconds(m.warmup.waited_ns)} of warm-up"
            )
    return _verdict("baseline", ok, measured, "every probe good", message)


def _recovery_unjudged(m: Measurements, end: DrillEnd) -> str | None:
    """Why recovery cannot be judged on this drill, or None when it can."""
    if m.fault_start_ns is None:
        return _no_fault_why(m, end)
    if end.stopped and m.stopped_in == Phase.FAULT and m.time_to_recover_ns is None:
        return f"not judged: {_how(m, end)}, before steady state returned"
    return None


def _recovery_bound(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    bound = seconds(o.recovery_bound_ns)
    objective = f"recover within {bound}, steady for {seconds(o.steady_window_ns)}"
    unjudged = _recovery_unjudged(m, end)
    if unjudged is not None:
        return Verdict("recovery_bound", "unknown", "not measured", objective, unjudged)
    ttr = m.time_to_recover_ns
    if ttr is None:
        return _verdict("recovery_bound", False, "not recovered", objective, _not_recovered(m, o))
    if not m.interrupted:
        measured = "no interruption seen"
        message = f"{no_interruption(m.unseen_gap_ns or 0)}, within the staging bound of {bound}"
    else:
        measured = bounded(ttr, m.time_to_recover_bound_ns)
        message = f"recovered in {measured}, within the staging bound of {bound}"
        if m.flagged_by_checks:
            message = (
                f"recovered in {measured}, when the system's own {_checks(m.flagged_by_checks)} cleared, within "
                f"the staging bound of {bound}"
            )
        if m.recovery_after_failover:
            message += (
                "; dated from the failover, since the system's failover signal had not switched yet when "
                "good samples first came back"
            )
    # Judged at the latest the recovery may have been (its upper bound): the uncertainty never flatters.
    latest = ttr + (m.time_to_recover_bound_ns[1] if m.time_to_recover_bound_ns else 0)
    if latest > o.recovery_bound_ns:
        over = seconds(latest - o.recovery_bound_ns)
        message = f"staging bound missed: recovered in {measured}, {over} over the bound of {bound}"
        return _verdict("recovery_bound", False, measured, objective, message)
    if m.good_probes_in_fault < MIN_GOOD_PROBES_IN_FAULT:
        message = (
            f"not judged: only {m.good_probes_in_fault} probe(s) passed while the fault was held; at least "
            f"{MIN_GOOD_PROBES_IN_FAULT} are needed to say steady state came back"
        )
        return Verdict("recovery_bound", "unknown", measured, objective, message)
    return _verdict("recovery_bound", True, measured, objective, message)


def _checks(names: Sequence[str]) -> str:
    return ("check " if len(names) == 1 else "checks ") + ", ".join(repr(n) for n in names)


def _not_recovered(m: Measurements, o: Objectives) -> str:
    bound = seconds(o.recovery_bound_ns)
    if m.flagged_by_checks:
        still = "while the fault was in place" if m.fault_held_ns is None else "when the fault was reverted"
        return (
            f"staging bound missed: the system's own {_checks(m.flagged_by_checks)} still flagged the failure "
            f"{still} (staging bound {bound})"
        )
    failed_over = ""
    if m.time_to_failover_ns is not None:
        failed_over = (
            f"the system failed over after {bounded(m.time_to_failover_ns, m.time_to_failover_bound_ns)}, "
            "but "
        )
    if m.fault_held_ns is None:
        return (
            f"staging bound missed: {failed_over}steady state did not return while the fault was in place "
            f"(staging bound {bound})"
        )
    held = seconds(m.fault_held_ns)
    return (
        f"staging bound missed: {failed_over}steady state did not return during the {held} the fault was held "
        f"(staging bound {bound})"
    )


def _projected_rto(m: Measurements, o: Objectives, end: DrillEnd, recovery: Verdict) -> Verdict:
    objective = f"tier RTO {seconds(o.rto_ns)}"
    if recovery.outcome == "unknown":  # what the projection adds to was not judged, so neither is it
        return Verdict("projected_rto", "unknown", "not measured", objective, recovery.message)
    projected = m.projected_rto_ns(o.manual_ns)
    if projected is None:
        return _verdict(
            "projected_rto",
            False,
            "unknown",
            objective,
            "no projected RTO: the service did not recover on staging while the fault was held",
        )
    # the recovery verdict gives the measured time's bound; here it would only crowd the sum
    automated = "no interruption seen" if not m.interrupted else f"{seconds(m.time_to_recover_ns)} measured"
    measured = f"{seconds(projected)} ({automated} + {seconds(o.manual_ns)} manual)"
    if projected <= o.rto_ns:
        return _verdict(
            "projected_rto", True, measured, objective, f"projected RTO {measured} meets the {objective}"
        )
    over = seconds(projected - o.rto_ns)
    return _verdict(
        "projected_rto",
        False,
        measured,
        objective,
        f"projected RTO {measured} exceeds the {objective} by {over}",
    )


def _data_unjudged(m: Measurements, end: DrillEnd) -> str | None:
    """Why a verdict on the data the system holds cannot be judged, or None when it can."""
    if m.fault_start_ns is None:
        return _no_fault_why(m, end)
    if m.ledger.read_done:
        return None
    if m.ledger.read_failure is not None:
        return f"not judged: {m.ledger.read_failure}"
    if end.stopped:
        return f"not judged: the final read did not happen; {_how(m, end)}"
    return "not judged: the final read did not happen"


def _few_writes(m: Measurements, o: Objectives) -> str:
    return (
        f"not judged: only {o.unit.count(m.acknowledged_in_fault)} acknowledged while the fault was held; "
        f"at least {MIN_ACKNOWLEDGED_IN_FAULT} are needed to say none was lost"
    )


def _rpo(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    ledger, unit = m.ledger, o.unit
    bound_ns = o.rpo_ns if o.rpo_bound_ns is None else o.rpo_bound_ns
    scaled = "" if o.rpo_bound_ns is None else f" (the tier's RPO {seconds(o.rpo_ns)} at staging scale)"
    objective = f"RPO {seconds(bound_ns)}{scaled}" if bound_ns else f"RPO 0 (no acknowledged {unit.one} lost)"
    unjudged = _data_unjudged(m, end)
    if unjudged is not None:
        return Verdict("rpo", "unknown", "not measured", objective, unjudged)
    lost = len(ledger.lost)
    measured = f"{lost} lost of {len(ledger.acknowledged)} acknowledged"
    window = m.lost_window_ns()
    if lost and (bound_ns == 0 or window > bound_ns):
        message = (
            f"RPO missed: {unit.count(lost)} acknowledged and lost, spanning {seconds(window)}"
            f"{_when_lost(m.loss)}; {objective}"
        )
        return _verdict("rpo", False, measured, objective, message)
    if m.acknowledged_in_fault < MIN_ACKNOWLEDGED_IN_FAULT:
        return Verdict("rpo", "unknown", measured, objective, _few_writes(m, o))
    if lost == 0:
        message = (
            f"no acknowledged {unit.one} lost ({len(ledger.acknowledged)} checked against the final read)"
        )
        return _verdict("rpo", True, measured, objective, message)
    message = f"{unit.count(lost)} lost spanning {seconds(window)}{_when_lost(m.loss)}, within {objective}"
    return _verdict("rpo", True, measured, objective, message)


SHOWN_IDS = 5  # lost ids named in a verdict; the scorecard lists them all


def _when_lost(loss: LossWindow | None) -> str:
    """', acknowledged between 2.31 s and 0.05 s before the failure (ids a, b, ...)': what the RPO verdict adds."""
    if loss is None:
        return ""
    first, last = loss.oldest_before_ns, loss.newest_before_ns
    if first == last:
        when = f"{seconds(abs(first))} {'before' if first >= 0 else 'after'}"
    elif last >= 0:
        when = f"between {seconds(first)} and {seconds(last)} before"
    elif first < 0:
        when = f"between {seconds(-first)} and {seconds(-last)} after"
    else:
        when = f"from {seconds(first)} before to {seconds(-last)} after"
    more = len(loss.ids) - SHOWN_IDS
    ids = ", ".join(loss.ids[:SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")
    return f", acknowledged {when} the failure (ids {ids})"


def _duplicates(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    unit = o.unit
    objective = f"no {unit.one} done twice"
    unjudged = _data_unjudged(m, end)
    if unjudged is None and m.done_twice is None:
        unjudged = "not judged: the final read did not say how many times each was done (final_read.times)"
    if unjudged is not None:
        return Verdict("no_duplicates", "unknown", "not measured", objective, unjudged)
    assert m.done_twice is not None
    twice = sorted(m.done_twice)
    if not twice:
        return _verdict("no_duplicates", True, "0", objective, f"no {unit.one} was done more than once")
    shown = ", ".join(f"{i} ({m.done_twice[i]} times)" for i in twice[:SHOWN_IDS])
    message = f"{unit.count(len(twice))} done more than once: {shown}"
    return _verdict("no_duplicates", False, str(len(twice)), objective, message)


def _data_checks(m: Measurements) -> Verdict:
    checks = m.data_checks
    failed = [c for c in checks if c.outcome == "fail"]
    unknown = [c for c in checks if c.outcome == "unknown"]
    measured = f"{sum(c.outcome == 'pass' for c in checks)}/{len(checks)} passed"
    objective = "every data check gives its expected value"
    if failed:
        said = "; ".join(f"{c.name}: found {c.value!r}, expected {c.expect!r}" for c in failed)
        return _verdict("data_checks", False, measured, objective, f"data check failed: {said}")
    if unknown:
        said = "; ".join(f"{c.name}: {c.why}" for c in unknown)
        return Verdict("data_checks", "unknown", measured, objective, f"not judged: {said}")
    names = ", ".join(c.name for c in checks)
    return _verdict("data_checks", True, measured, objective, f"every data check passed ({names})")


def _score_unjudged(m: Measurements, end: DrillEnd, result: ScoreResult | None, what: str) -> str | None:
    """Why a score taken after recovery cannot be judged, or None when it can."""
    unjudged = _data_unjudged(m, end)
    if unjudged is not None:
        return unjudged
    if result is None:
        return f"not judged: {what} was never run" + (f"; {_how(m, end)}" if end.stopped else "")
    if result.outcome == "unknown":
        return f"not judged: {result.why}"
    return None


def _misses(result: ScoreResult, shown: int = 3) -> str:
    said = "; ".join(
        f"{x.text[:80]!r} gave {x.got!r}, expected {x.expected!r}" for x in result.misses[:shown]
    )
    return f" (e.g. {said})" if said else ""


def _golden(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    assert o.min_accuracy is not None
    objective = f"golden-set accuracy at least {o.min_accuracy:.2f}"
    result = m.golden_set
    unjudged = _score_unjudged(m, end, result, "the golden set")
    if unjudged is not None:
        return Verdict("golden_set", "unknown", "not measured", objective, unjudged)
    assert result is not None and result.score is not None
    never = result.total - result.answered
    measured = f"{result.score:.2f} ({result.right:g} of {result.total} right)"
    unanswered = f"; {never} never answered" if never else ""
    if result.score >= o.min_accuracy:
        message = f"golden-set accuracy {measured}{unanswered} after recovery, at least {o.min_accuracy:.2f}"
        return _verdict("golden_set", True, measured, objective, message)
    message = (
        f"golden-set accuracy missed: {measured}{unanswered} after recovery, below {o.min_accuracy:.2f}"
        f"{_misses(result)}"
    )
    return _verdict("golden_set", False, measured, objective, message)


def _recall(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    assert o.min_recall is not None
    objective = f"recall@{o.recall_k} at least {o.min_recall:.2f}"
    result = m.index_recall
    unjudged = _score_unjudged(m, end, result, "the query set")
    if unjudged is not None:
        return Verdict("index_recall", "unknown", "not measured", objective, unjudged)
    assert result is not None and result.score is not None
    k = result.k or o.recall_k
    measured = f"{result.score:.2f} on {result.total} queries"
    empty = result.total - result.answered
    nothing = f"; the index returned nothing for {empty} of them" if empty else ""
    if result.score >= o.min_recall:
        message = f"recall@{k} {measured} after recovery, at least {o.min_recall:.2f}"
        return _verdict("index_recall", True, measured, objective, message)
    message = f"recall@{k} missed: {measured}{nothing} after recovery, below {o.min_recall:.2f}"
    return _verdict("index_recall", False, measured, objective, message)


def _drained(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    unit = o.unit
    unjudged = _data_unjudged(m, end)
    if unjudged is not None:
        return Verdict("drained", "unknown", "not measured", "0 not done", unjudged)
    pending = len(m.ledger.unprocessed)
    measured = f"{pending} not done"
    if pending == 0:
        message = f"every acknowledged {unit.one} held was done after the fault"
        return _verdict("drained", True, measured, "0 not done", message)
    message = f"{unit.count(pending)} acknowledged and held, but never done by the end of the drain"
    return _verdict("drained", False, measured, "0 not done", message)


def _unexpected(m: Measurements, o: Objectives, end: DrillEnd) -> Verdict:
    unit = o.unit
    unjudged = _data_unjudged(m, end)
    if unjudged is not None:
        return Verdict("no_unexpected_data", "unknown", "not measured", "0", unjudged)
    extra = len(m.ledger.unexpected)
    if extra == 0:
        return _verdict(
            "no_unexpected_data", True, "0", "0", f"the system holds only {unit.many} the drill wrote"
        )
    message = f"the system holds {unit.count(extra)} the drill never wrote"
    return _verdict("no_unexpected_data", False, str(extra), "0", message)


TIMES = ("time_to_detect_s", "time_to_failover_s", "time_to_recover_s", "time_to_failback_s")


def not_measured(m: Measurements, o: Objectives, end: DrillEnd | None = None) -> dict[str, str]:
    """Why each figure the scorecard shows as empty is empty, in words a reader can act on."""
    end = end or DrillEnd()
    reasons: dict[str, str] = {}
    if m.fault_start_ns is None:
        why = "not measured, because no fault was applied"
        if end.stopped:
            why = f"not measured, because the fault was never applied: {_how(m, end)}"
        for figure in TIMES:
            reasons[figure] = why
        if o.criteria:  # a plan without criteria says so itself (its objectives list none)
            reasons["time_to_detect_by_plan_s"] = (
                "not checked, because the fault was never applied"
                if end.stopped
                else "not checked, because no fault was applied"
            )
    else:
        reasons.update(_fault_reasons(m, o, end))
    if o.notices is not None and o.notices.has_alerts:
        if m.communication is None:
            reasons["time_to_detect_by_system_s"] = "not measured, because no fault was applied"
        elif m.communication.time_to_detect_by_system_ns is None:
            reasons["time_to_detect_by_system_s"] = (
                "not measured, because the system's own alerting sent no alert after the fault"
            )
    if not m.ledger.read_done:
        why = m.ledger.read_failure or "not measured, because the final read did not happen"
        if m.ledger.read_failure is None and end.stopped:
            why = f"{why}: {_how(m, end)}"
        for figure in ("lost", "done", "not_done", "read", "unexpected", "recovered"):
            reasons[f"ledger.{figure}"] = why
    return reasons


def _fault_reasons(m: Measurements, o: Objectives, end: DrillEnd) -> dict[str, str]:
    reasons: dict[str, str] = {}
    if m.time_to_detect_ns is None:
        reasons["time_to_detect_s"] = (
            "no probe or write failed, and no probe was slow, while the fault was held"
        )
    if m.time_to_detect_by_plan_ns is None and o.criteria:
        reasons["time_to_detect_by_plan_s"] = "never held over a whole staging window of the fault"
    if not o.failover_signal:
        why = "not measured, because the plan declares no failover signal"
        reasons["time_to_failover_s"] = reasons["time_to_failback_s"] = why
    else:
        if m.time_to_failover_ns is None:
            reasons["time_to_failover_s"] = (
                "the failover signal never said failed over while the fault was held"
            )
        if m.time_to_failback_ns is None:
            reasons["time_to_failback_s"] = "the failover signal never said normal again after the revert"
    if m.time_to_recover_ns is None:
        if end.stopped and m.stopped_in == Phase.FAULT:
            reasons["time_to_recover_s"] = (
                f"not measured, because {_how(m, end)}, before steady state returned"
            )
        else:
            reasons["time_to_recover_s"] = "steady state did not return while the fault was held"
    return reasons


def measure_and_judge(
    events: Sequence[Event], objectives: Objectives, end: DrillEnd | None = None
) -> tuple[Measurements, list[Verdict]]:
    """Shortcut for the runner and for re-judging an old journal."""
    m = measure(
        events,
        objectives.steady_window_ns,
        objectives.slow_factor,
        objectives.criteria,
        objectives.criteria_match_all,
        objectives.steps,
        objectives.notices,
        objectives.modes,
    )
    return m, judge(m, objectives, end)
