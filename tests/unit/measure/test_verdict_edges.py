"""Figures and verdicts at their edges: each rule that decides a client's PASS pinned by an exact value.

Mutation testing found these rules unpinned: the bounds of a recovery that a too-slow probe stretches, the
instant the failover signal re-dates a recovery, the plan's criteria on a component's own link, a verdict
judged at the very staging bound, and the sentences a reader sees when a drill stopped early or a step let
the recovery down. Journals are told in time order with :func:`at`, so overlapping operations stay exact.
"""

from __future__ import annotations

from dataclasses import replace

from drdrill.journal import LINK, Kind, Phase, Type
from drdrill.measure.steps import Serves, StepOutcome, StepResult
from drdrill.measure.timeline import Criterion
from drdrill.measure.verdicts import (
    MIN_GOOD_PROBES_IN_FAULT,
    DrillEnd,
    Measurements,
    Objectives,
    Verdict,
    judge,
    measure,
    measure_and_judge,
    not_measured,
)
from tests.unit.measure.drill_timeline import START_NS, DrillScript, s
from tests.unit.measure.test_verdicts import GOOD, OBJECTIVES, verdict


def at(d: DrillScript, seconds: float) -> None:
    """Move the drill's clock to ``seconds`` after its start (never back)."""
    target = START_NS + s(seconds)
    assert target >= d.now, "a journal is told in time order"
    d.clock.advance((target - d.now) / 1e9)


def op(
    d: DrillScript, kind: Kind, type_: Type, process: str, *, name: str = "health", value: str | None = None
) -> int:
    return d.journal.record(kind, type_, name, process=process, value=value).t_ns


def steady_baseline(d: DrillScript, latency: float = 0.25) -> None:
    """A baseline of three good probes, 1 s apart, from 0 s to 3 s."""
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3, latency=latency)
    d.phase(Phase.BASELINE, Type.END)


# the phase a drill stopped in, the baseline's edge, the writes held in the fault


def test_the_phase_a_drill_stopped_in_is_the_last_one_started() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.wait(1)
    d.phase(Phase.BASELINE, Type.END)
    d.phase(Phase.FAULT, Type.START)
    d.phase(Phase.TEARDOWN, Type.START)

    assert measure(d.events(), s(5)).stopped_in == Phase.FAULT


def test_a_baseline_probe_completing_as_the_baseline_ends_is_in_it() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probe(True)
    d.phase(Phase.BASELINE, Type.END)  # at the very instant the probe completed

    m = measure(d.events(), s(5))

    assert (m.baseline_probes, m.baseline_latency_ns) == (1, s(0.25))


def test_writes_acknowledged_at_the_instants_the_fault_began_and_ended_were_held_in_it() -> None:
    d = DrillScript()
    d.submit("c0", Type.OK)  # before the fault
    d.invoke("c1")
    d.wait(0.1)
    d.fault(Type.START)
    d.complete("c1", Type.OK)  # acknowledged as the fault began
    d.submit("c2", Type.OK)
    d.invoke("c3")
    d.wait(0.1)
    d.fault(Type.END)
    d.complete("c3", Type.OK)  # acknowledged as it was reverted
    d.submit("c4", Type.OK)  # after it

    assert measure(d.events(), s(5)).acknowledged_in_fault == 3


def test_a_drill_without_a_fault_held_no_write_in_it_and_skipped_nothing() -> None:
    d = DrillScript()
    d.submit("c1", Type.OK)
    d.journal.record(Kind.NOTE, Type.INFO, "link", data={"why": "a note of another kind"})

    m = measure(d.events(), s(5))

    assert (m.acknowledged_in_fault, m.fault_skipped) == (0, False)


def test_a_good_probe_invoked_at_the_instant_of_the_fault_counts_as_one_of_the_faults() -> None:
    d = DrillScript()
    steady_baseline(d)
    d.fault(Type.START)
    d.probes(True, 3)
    d.fault(Type.END)

    assert measure(d.events(), s(1)).good_probes_in_fault == 3


# a too-slow probe stretches the recovery's bound back to its invocation


def slowed_drill() -> DrillScript:
    """Baseline probes take 0.25 s; with a slow factor of 4 a probe is a symptom past 1 s. Fault F at 4 s:

    P1 invoked at F takes 3 s (slow, seen slow at F+1 s); P3 invoked at F+0.2 s takes exactly 1 s (not slow,
    done at F+1.2 s: the first good completion); a write invoked at F+0.5 s takes 2 s (a slow write is no
    symptom); a write at F+1 s takes 0.1 s; P4 invoked at F+1.2 s takes 2 s (slow, but invoked when the
    service was seen back); then good probes every second from F+3.5 s; reverted at F+9.5 s.
    """
    d = DrillScript()
    steady_baseline(d)
    at(d, 4)
    d.fault(Type.START)
    op(d, Kind.PROBE, Type.INVOKE, "p1")
    at(d, 4.2)
    op(d, Kind.PROBE, Type.INVOKE, "p3")
    at(d, 4.5)
    d.invoke("w-slow")
    at(d, 5)
    d.invoke("w-fast")
    at(d, 5.1)
    d.complete("w-fast", Type.OK)
    at(d, 5.2)
    op(d, Kind.PROBE, Type.OK, "p3")
    op(d, Kind.PROBE, Type.INVOKE, "p4")
    at(d, 6.5)
    d.complete("w-slow", Type.OK)
    at(d, 7)
    op(d, Kind.PROBE, Type.OK, "p1")
    at(d, 7.2)
    op(d, Kind.PROBE, Type.OK, "p4")
    at(d, 7.5)
    d.probes(True, 6)
    at(d, 13.5)
    d.fault(Type.END)
    return d


def test_a_too_slow_probe_bounds_the_recovery_by_its_invocation_and_nothing_else_does() -> None:
    m = measure(slowed_drill().events(), s(5), slow_factor=4)

    assert m.slow_after_ns == s(1)
    assert (m.time_to_detect_ns, m.time_to_detect_bound_ns) == (s(1), (s(1), 0))
    # seen back when P3 completed at F+1.2 s; the service broke by P1's invocation at F, the last sample
    # invoked before then that was too slow (not P3, exactly as slow as the threshold; not the slow write)
    assert (m.time_to_recover_ns, m.time_to_recover_bound_ns) == (s(1.2), (s(1.2), 0))


def test_measure_and_judge_pass_the_slow_factor_and_the_match_rule_on() -> None:
    objectives = replace(OBJECTIVES, steady_window_ns=s(5), slow_factor=4)

    m, _ = measure_and_judge(slowed_drill().events(), objectives)

    assert (m.slow_after_ns, m.time_to_recover_bound_ns) == (s(1), (s(1.2), 0))


# the failover signal re-dates a recovery only when it came after the first good samples


def failover_drill(polled_since: float, *, signal_at: float = 9.5) -> DrillScript:
    """Fault F at 3 s, a failing probe at F, then good probes invoked every second from F+1 s to F+5 s
    (done 0.25 s later); the failover signal says failed over at ``signal_at``, polled since
    ``polled_since``; reverted at F+7 s."""
    d = DrillScript()
    steady_baseline(d)
    d.fault(Type.START)
    d.probe(False)
    at(d, 4)
    d.probes(True, 5)
    at(d, signal_at)
    d.failover("failed_over", "backup", polled_since=START_NS + s(polled_since))
    at(d, 10)
    d.fault(Type.END)
    return d


def test_a_failover_that_may_have_switched_as_the_service_came_back_re_dates_nothing() -> None:
    m = measure(failover_drill(polled_since=4.25).events(), s(3))  # the first good probe was done at 4.25 s

    assert (m.time_to_recover_ns, m.recovery_after_failover) == (s(1.25), False)


def test_recovery_after_the_failover_is_when_a_sample_was_seen_at_or_after_the_switch() -> None:
    m = measure(failover_drill(polled_since=6.25).events(), s(3))  # the third good probe was done at 6.25 s

    assert (m.time_to_recover_ns, m.time_to_recover_bound_ns, m.recovery_after_failover) == (
        s(3.25),
        (0, 0),
        True,
    )


def test_a_failover_after_every_good_sample_dates_the_recovery_at_the_switch() -> None:
    m = measure(failover_drill(polled_since=9.0).events(), s(3))

    assert (m.time_to_recover_ns, m.time_to_recover_bound_ns, m.recovery_after_failover) == (
        s(6),
        (0, 0),
        True,
    )


# the plan's criteria: on the system's probes against their baseline, on a component's link against its own


def link_probe(d: DrillScript, n: int, type_: Type) -> None:
    op(d, Kind.PROBE, type_, f"link-llm-{n:05d}", name=LINK, value="llm")


def linked_drill() -> DrillScript:
    """Baseline: system probes (0.25 s) and llm's link probes (0.05 s), 1 s apart. Fault F at 3 s: the
    system's probes fail fast every half second; llm's link probes take 2 s each."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    for n in range(3):
        link_probe(d, n, Type.INVOKE)
        d.wait(0.05)
        link_probe(d, n, Type.OK)
        d.probe(True)
        d.wait(0.7)
    d.phase(Phase.BASELINE, Type.END)
    at(d, 3)
    d.fault(Type.START)
    for n in range(3, 6):
        link_probe(d, n, Type.INVOKE)
        for _ in range(4):
            d.probe(False)
            d.wait(0.25)
        link_probe(d, n, Type.OK)
    d.fault(Type.END)
    return d


def test_a_latency_criterion_on_a_component_is_judged_on_its_link_against_its_own_baseline() -> None:
    # llm's baseline is 0.05 s, so its first slow request is slow from F+0.5 s, and the 1 s window holds at F+1 s
    on_llm = Criterion("latency", s(1), factor=10, component="llm")

    assert measure(linked_drill().events(), s(1), criteria=[on_llm]).time_to_detect_by_plan_ns == s(1)


def test_a_latency_criterion_on_the_system_is_judged_against_the_system_probes_baseline() -> None:
    d = DrillScript()
    steady_baseline(d)
    d.fault(Type.START)
    d.probe(True, latency=3)  # slow from F+1 s against 4 x 0.25 s
    d.fault(Type.END)
    slow = Criterion("latency", s(1), factor=4)

    assert measure(d.events(), s(1), criteria=[slow]).time_to_detect_by_plan_ns == s(1)


def test_the_criteria_need_only_one_to_hold_unless_the_plan_wants_them_all() -> None:
    events = linked_drill().events()
    errors = Criterion("error_rate", s(1), above=0.5)
    slow = Criterion("latency", s(1), factor=100)  # 25 s against the system's baseline: never

    assert measure(events, s(1), criteria=[errors, slow]).time_to_detect_by_plan_ns == s(1)
    assert (
        measure(events, s(1), criteria=[errors, slow], criteria_match_all=True).time_to_detect_by_plan_ns
        is None
    )
    all_of = replace(OBJECTIVES, criteria=(errors, slow), criteria_match_all=True)
    assert measure_and_judge(events, all_of)[0].time_to_detect_by_plan_ns is None


# verdicts: the exact sentences of a drill that stopped early


def verdict_of(m: Measurements, name: str, end: DrillEnd, objectives: Objectives = OBJECTIVES) -> Verdict:
    (found,) = [v for v in judge(m, objectives, end) if v.name == name]
    return found


def test_a_drill_aborted_before_any_phase_was_interrupted_during_the_preflight() -> None:
    m = replace(GOOD, stopped_in=None, fault_start_ns=None)

    found = verdict_of(m, "baseline", DrillEnd("aborted", "the runner was killed"))

    assert found == Verdict(
        "baseline",
        "unknown",
        "5/5 probes good",
        "every probe good",
        "not judged: the drill was interrupted during the preflight phase",
    )


def test_a_drill_aborted_in_a_phase_without_the_runners_words_names_the_phase() -> None:
    m = replace(GOOD, stopped_in=Phase.FAULT, time_to_recover_ns=None)

    found = verdict_of(m, "recovery_bound", DrillEnd("aborted", "the runner was killed"))

    assert (
        found.message
        == "not judged: the drill was interrupted during the fault phase, before steady state returned"
    )


def test_a_drill_that_applied_no_fault_says_so() -> None:
    assert (
        verdict(replace(GOOD, fault_start_ns=None), "recovery_bound").message
        == "not judged: no fault was applied"
    )


# verdicts: the steps that let a recovery down, each in its own words

RECOVERED = "recovered in 4.00 s (+0/-0.50 s), within the staging bound of 30.0 s"


def step(
    title: str, outcome: StepOutcome, serves: Serves = "recovery", detail: str | None = None
) -> StepResult:
    """An automated step's result, as :func:`~drdrill.measure.steps.step_results` gives it."""
    return StepResult(title, "hook", "owner", serves, outcome, detail=detail, duration_ns=s(1.5))


def test_every_step_that_let_the_recovery_down_is_named_in_its_own_words() -> None:
    steps = (
        step("Fail over", "failed"),
        step("Page the team", "unfinished"),
        step("Warm the cache", "not_run"),
    )

    found = verdict(replace(GOOD, steps=steps), "recovery_bound")

    assert found == Verdict(
        "recovery_bound",
        "fail",
        "4.00 s (+0/-0.50 s)",
        "recover within 30.0 s, steady for 10.0 s",
        "the automated step 'Fail over' failed: it gave no reason; the automated step 'Page the team' never "
        f"completed; the automated step 'Warm the cache' never ran; the service: {RECOVERED}",
    )


def test_every_fail_back_step_that_let_the_drill_down_is_named() -> None:
    steps = (
        step("Fail back", "failed", "failback", "still 'backup'"),
        step("Drain", "unfinished", "failback"),
    )

    found = verdict(replace(GOOD, steps=steps), "failback")

    assert found == Verdict(
        "failback",
        "fail",
        "0 of 2 completed",
        "every automated fail-back step completes",
        "the automated step 'Fail back' failed: still 'backup'; the automated step 'Drain' never completed",
    )


def test_fail_back_steps_that_completed_are_each_named_with_their_words_if_any() -> None:
    steps = (
        step("Fail back", "ok", "failback", "the signal says 'primary'"),
        step("Drain", "ok", "failback"),
    )

    found = verdict(replace(GOOD, steps=steps), "failback")

    assert found.message == (
        "every fail-back step completed: 'Fail back' in 1.50 s (the signal says 'primary'), 'Drain' in 1.50 s"
    )


def test_a_fail_back_step_not_run_in_a_drill_without_a_fault_is_not_judged_for_that_reason() -> None:
    m = replace(GOOD, fault_start_ns=None, steps=(step("Fail back", "not_run", "failback"),))

    assert verdict(m, "failback") == Verdict(
        "failback",
        "unknown",
        "0 of 1 completed",
        "every automated fail-back step completes",
        "not judged: no fault was applied",
    )


# verdicts: the baseline and the staging bound at their edges


def test_one_good_baseline_probe_is_a_steady_baseline() -> None:
    found = verdict(replace(GOOD, baseline_probes=1), "baseline")

    assert (found.outcome, found.message) == ("pass", "steady state held before the fault")


def test_a_recovery_whose_bound_reaches_past_the_staging_bound_misses_it() -> None:
    m = replace(GOOD, time_to_recover_ns=s(29), time_to_recover_bound_ns=(0, s(2)))

    found = verdict(m, "recovery_bound")

    assert (found.outcome, found.message) == (
        "fail",
        "staging bound missed: recovered in 29.0 s (+2.00/-0 s), 1.00 s over the bound of 30.0 s",
    )


def test_a_recovery_exactly_at_the_staging_bound_without_a_sampling_bound_meets_it() -> None:
    m = replace(GOOD, time_to_recover_ns=s(30), time_to_recover_bound_ns=None)

    found = verdict(m, "recovery_bound")

    assert (found.outcome, found.message) == (
        "pass",
        "recovered in 30.0 s, within the staging bound of 30.0 s",
    )


def test_too_few_good_probes_leave_the_recovery_unknown_with_its_measure_and_objective() -> None:
    m = replace(GOOD, good_probes_in_fault=MIN_GOOD_PROBES_IN_FAULT - 1)

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        "unknown",
        "4.00 s (+0/-0.50 s)",
        "recover within 30.0 s, steady for 10.0 s",
        "not judged: only 2 probe(s) passed while the fault was held; at least 3 are needed to say steady "
        "state came back",
    )


# why a figure is empty, when the plan has detection criteria

CRITERIA = replace(OBJECTIVES, criteria=(Criterion("error_rate", s(1), above=0.5),))


def test_criteria_never_checked_because_no_fault_was_applied() -> None:
    reasons = not_measured(replace(GOOD, fault_start_ns=None), CRITERIA)

    assert reasons["time_to_detect_by_plan_s"] == "not checked, because no fault was applied"


def test_criteria_never_checked_because_the_drill_stopped_before_the_fault() -> None:
    reasons = not_measured(replace(GOOD, fault_start_ns=None), CRITERIA, DrillEnd("errored", "boom"))

    assert reasons["time_to_detect_by_plan_s"] == "not checked, because the fault was never applied"


def test_criteria_that_never_held_during_the_fault_say_so() -> None:
    reasons = not_measured(GOOD, CRITERIA)

    assert reasons == {"time_to_detect_by_plan_s": "never held over a whole staging window of the fault"}
