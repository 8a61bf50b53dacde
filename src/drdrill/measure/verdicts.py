"""Measured figures judged against the scenario's objectives. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from drdrill.clock import NS_PER_S
from drdrill.journal import Event
from drdrill.measure.ledger import Ledger, build_ledger
from drdrill.measure.timeline import (
    Criterion,
    fault_window,
    first_signal_after,
    median_latency,
    phase_span,
    probe_results,
    recovery_point,
    time_to_detect,
    time_to_detect_by_criteria,
)

BASELINE_PHASE = "baseline"
FAILOVER = "failover"  # the signal whose state dates failover and fail-back


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


@dataclass(frozen=True)
class Measurements:
    """Figures taken from one drill's journal; durations in nanoseconds, None when not observed."""

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


def seconds(ns: int | None) -> str:
    """A duration for people: '12.3 s', or 'not observed'."""
    if ns is None:
        return "not observed"
    value = ns / NS_PER_S
    if value >= 3600:
        return f"{value / 3600:.2f} h"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


# A read-back probe polls every 50 ms, so "slow" below a few polls would be noise, not a symptom.
MIN_SLOW_NS = 250_000_000


def measure(
    events: Sequence[Event],
    steady_window_ns: int,
    slow_factor: float | None = None,
    criteria: Sequence[Criterion] = (),
    criteria_match_all: bool = False,
) -> Measurements:
    """Take every figure from the journal."""
    probes = probe_results(events)
    window = fault_window(events)
    baseline = phase_span(events, BASELINE_PHASE)
    # Only probes that finished before the baseline ended judge it: one still running then may fail because
    # of the fault, and says nothing about the steady state before it.
    in_baseline = [
        p
        for p in probes
        if baseline is not None
        and p.invoke_ns >= baseline[0]
        and (baseline[1] is None or p.complete_ns <= baseline[1])
    ]
    ttd = ttf = ttr = held = ttfb = None
    recovery_held = 0
    baseline_latency = median_latency(in_baseline)
    slow_after = None
    if slow_factor is not None and baseline_latency is not None:
        slow_after = max(MIN_SLOW_NS, round(baseline_latency * slow_factor))
    ttd_plan = None
    if window is not None:
        ttd = time_to_detect(probes, window.start_ns, window.end_ns, slow_after)
        ttd_plan = time_to_detect_by_criteria(probes, window, criteria, baseline_latency, criteria_match_all)
        # A switch after the revert is no failover (with both providers down, the backup may answer first).
        switched = first_signal_after(events, FAILOVER, "failed_over", window.start_ns, window.end_ns)
        ttf = None if switched is None else switched - window.start_ns
        recovery = recovery_point(probes, window, steady_window_ns)
        recovery_held = recovery.held_ns
        ttr = None if recovery.recovered_at_ns is None else recovery.recovered_at_ns - window.start_ns
        held = None if window.end_ns is None else window.end_ns - window.start_ns
        if window.end_ns is not None:
            back = first_signal_after(events, FAILOVER, "normal", window.end_ns)
            ttfb = None if back is None else back - window.end_ns
    return Measurements(
        time_to_detect_ns=ttd,
        time_to_failover_ns=ttf,
        time_to_recover_ns=ttr,
        recovery_held_ns=recovery_held,
        fault_held_ns=held,
        baseline_probes=len(in_baseline),
        baseline_failures=sum(1 for p in in_baseline if not p.ok),
        probes=len(probes),
        failed_probes=sum(1 for p in probes if not p.ok),
        ledger=build_ledger(events),
        fault_start_ns=None if window is None else window.start_ns,
        time_to_failback_ns=ttfb,
        baseline_latency_ns=baseline_latency,
        time_to_detect_by_plan_ns=ttd_plan,
        slow_after_ns=slow_after,
    )


def judge(m: Measurements, objectives: Objectives) -> list[Verdict]:
    """Every verdict of a drill, in the order a reader wants them."""
    return [
        _baseline(m),
        _recovery_bound(m, objectives),
        _projected_rto(m, objectives),
        _rpo(m, objectives),
        _drained(m, objectives),
        _unexpected(m, objectives),
    ]


def _baseline(m: Measurements) -> Verdict:
    ok = m.baseline_probes > 0 and m.baseline_failures == 0
    measured = f"{m.baseline_probes - m.baseline_failures}/{m.baseline_probes} probes good"
    if m.baseline_probes == 0:
        message = "no probe completed before the fault, so there is no steady state to compare with"
    elif ok:
        message = "steady state held before the fault"
    else:
        message = f"steady state did not hold before the fault: {m.baseline_failures} probe(s) failed"
    return _verdict("baseline", ok, measured, "every probe good", message)


NO_FAULT = (
    "not judged: no fault was injected (the drill stops before the fault when the baseline is not steady)"
)


def _recovery_bound(m: Measurements, o: Objectives) -> Verdict:
    bound = seconds(o.recovery_bound_ns)
    objective = f"recover within {bound}, steady for {seconds(o.steady_window_ns)}"
    ttr = m.time_to_recover_ns
    if m.fault_start_ns is None:
        return Verdict("recovery_bound", "unknown", "not measured", objective, NO_FAULT)
    if ttr is None:
        if m.fault_held_ns is None:
            message = f"RTO missed: steady state did not return while the fault was in place (staging bound {bound})"
        else:
            held = seconds(m.fault_held_ns)
            message = (
                f"RTO missed: steady state did not return during the {held} the fault was held "
                f"(staging bound {bound})"
            )
        return _verdict("recovery_bound", False, "not recovered", objective, message)
    if ttr <= o.recovery_bound_ns:
        message = f"recovered in {seconds(ttr)}, within the staging bound of {bound}"
        return _verdict("recovery_bound", True, seconds(ttr), objective, message)
    message = f"RTO missed: recovered in {seconds(ttr)}, {seconds(ttr - o.recovery_bound_ns)} over the staging bound of {bound}"
    return _verdict("recovery_bound", False, seconds(ttr), objective, message)


def _projected_rto(m: Measurements, o: Objectives) -> Verdict:
    objective = f"tier RTO {seconds(o.rto_ns)}"
    if m.fault_start_ns is None:  # nothing was injected, so nothing failed to recover
        return Verdict("projected_rto", "unknown", "not measured", objective, NO_FAULT)
    projected = m.projected_rto_ns(o.manual_ns)
    if projected is None:
        return _verdict(
            "projected_rto",
            False,
            "unknown",
            objective,
            "no projected RTO: the automated recovery never completed",
        )
    measured = (
        f"{seconds(projected)} ({seconds(m.time_to_recover_ns)} measured + {seconds(o.manual_ns)} manual)"
    )
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


def _no_read(name: str, objective: str, m: Measurements) -> Verdict:
    why = m.ledger.read_failure or "the final read did not happen"
    return Verdict(name, "unknown", "not measured", objective, f"not judged: {why}")


def _rpo(m: Measurements, o: Objectives) -> Verdict:
    ledger, unit = m.ledger, o.unit
    objective = f"RPO {seconds(o.rpo_ns)}" if o.rpo_ns else f"RPO 0 (no acknowledged {unit.one} lost)"
    if not ledger.read_done:
        return _no_read("rpo", objective, m)
    lost = len(ledger.lost)
    measured = f"{lost} lost of {len(ledger.acknowledged)} acknowledged"
    if lost == 0:
        message = (
            f"no acknowledged {unit.one} lost ({len(ledger.acknowledged)} checked against the final read)"
        )
        return _verdict("rpo", True, measured, objective, message)
    window = m.lost_window_ns()
    if o.rpo_ns == 0 or window > o.rpo_ns:
        message = (
            f"RPO missed: {unit.count(lost)} acknowledged and lost, spanning {seconds(window)}; {objective}"
        )
        return _verdict("rpo", False, measured, objective, message)
    message = f"{unit.count(lost)} lost spanning {seconds(window)}, within {objective}"
    return _verdict("rpo", True, measured, objective, message)


def _drained(m: Measurements, o: Objectives) -> Verdict:
    unit = o.unit
    if not m.ledger.read_done:
        return _no_read("drained", "0 not done", m)
    pending = len(m.ledger.unprocessed)
    measured = f"{pending} not done"
    if pending == 0:
        message = f"every acknowledged {unit.one} held was done after the fault"
        return _verdict("drained", True, measured, "0 not done", message)
    message = f"{unit.count(pending)} acknowledged and held, but never done by the end of the drain"
    return _verdict("drained", False, measured, "0 not done", message)


def _unexpected(m: Measurements, o: Objectives) -> Verdict:
    unit = o.unit
    if not m.ledger.read_done:
        return _no_read("no_unexpected_data", "0", m)
    extra = len(m.ledger.unexpected)
    if extra == 0:
        return _verdict(
            "no_unexpected_data", True, "0", "0", f"the system holds only {unit.many} the drill wrote"
        )
    message = f"the system holds {unit.count(extra)} the drill never wrote"
    return _verdict("no_unexpected_data", False, str(extra), "0", message)


def not_measured(m: Measurements, o: Objectives) -> dict[str, str]:
    """Why each figure the scorecard shows as empty is empty, in words a reader can act on."""
    reasons: dict[str, str] = {}
    if m.fault_start_ns is None:
        for figure in ("time_to_detect_s", "time_to_failover_s", "time_to_recover_s", "time_to_failback_s"):
            reasons[figure] = "not measured, because no fault was applied"
    else:
        if m.time_to_detect_ns is None:
            reasons["time_to_detect_s"] = "no probe failed or was slow while the fault was held"
        if not o.failover_signal:
            why = "not measured, because the plan declares no failover signal (staging_topology.system.signals.failover)"
            reasons["time_to_failover_s"] = reasons["time_to_failback_s"] = why
        else:
            if m.time_to_failover_ns is None:
                reasons["time_to_failover_s"] = (
                    "the failover signal never said failed over while the fault was held"
                )
            if m.time_to_failback_ns is None:
                reasons["time_to_failback_s"] = "the failover signal never said normal again after the revert"
        if m.time_to_recover_ns is None:
            reasons["time_to_recover_s"] = "steady state did not return while the fault was held"
    if not m.ledger.read_done:
        why = m.ledger.read_failure or "not measured, because the final read did not happen"
        for figure in ("lost", "done", "not_done", "read", "unexpected", "recovered"):
            reasons[f"ledger.{figure}"] = why
    return reasons


def measure_and_judge(events: Sequence[Event], objectives: Objectives) -> tuple[Measurements, list[Verdict]]:
    """Shortcut for the runner and for re-judging an old journal."""
    m = measure(
        events,
        objectives.steady_window_ns,
        objectives.slow_factor,
        objectives.criteria,
        objectives.criteria_match_all,
    )
    return m, judge(m, objectives)
