"""Detection and recovery times from a journal: probe pairing, fault window, TTD, recovery point."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drdrill.journal import Event, Kind, Type
from drdrill.measure.timeline import (
    Bounded,
    Criterion,
    FaultWindow,
    ProbeResult,
    Recovery,
    checks_cleared,
    fault_window,
    first_signal_after,
    median_latency,
    phase_span,
    probe_results,
    recovery_point,
    signal_lag_ns,
    signal_states,
    time_to_detect,
    time_to_detect_by_criteria,
)
from tests.unit.measure.drill_timeline import START_NS, DrillScript, StandardDrill, s

# probe_results


# DrillScript probes take 0.25 s: recovery is dated when the first good probe of the final run completed.
LATENCY = s(0.25)


def test_probe_results_pairs_each_invoke_with_its_completion() -> None:
    d = DrillScript()
    first = d.probe(True, latency=0.5)
    d.wait(1)
    second = d.probe(False, latency=2)
    third = d.probe(None, latency=0.25)

    assert probe_results(d.events()) == [
        ProbeResult(invoke_ns=first, complete_ns=first + s(0.5), ok=True, detail="probe"),
        ProbeResult(invoke_ns=second, complete_ns=second + s(2), ok=False, detail="probe"),
        ProbeResult(invoke_ns=third, complete_ns=third + s(0.25), ok=False, detail="probe"),
    ]


def test_probe_results_are_in_invocation_order_across_processes() -> None:
    d = DrillScript()
    journal = d.journal
    journal.record(Kind.PROBE, Type.INVOKE, "health", process="slow")
    d.wait(1)
    journal.record(Kind.PROBE, Type.INVOKE, "health", process="fast")
    d.wait(1)
    journal.record(Kind.PROBE, Type.OK, "health", process="fast")
    d.wait(1)
    journal.record(Kind.PROBE, Type.FAIL, "health", process="slow", data={"detail": "timeout"})

    assert probe_results(d.events()) == [
        ProbeResult(invoke_ns=START_NS, complete_ns=START_NS + s(3), ok=False, detail="timeout"),
        ProbeResult(invoke_ns=START_NS + s(1), complete_ns=START_NS + s(2), ok=True, detail=""),
    ]


def test_probe_results_leave_out_pending_probes_and_other_events() -> None:
    d = DrillScript()
    d.probe(True)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="probe-2")  # never completes
    d.journal.record(Kind.PROBE, Type.OK, "health")  # no process: cannot be paired
    d.journal.record(Kind.PROBE, Type.OK, "health", process="never-invoked")
    d.submit("c1", Type.OK)
    d.fault(Type.START)

    assert [p.ok for p in probe_results(d.events())] == [True]


# fault_window


def test_no_fault_means_no_window() -> None:
    d = DrillScript()
    d.probes(True, 3)
    d.journal.record(Kind.FAULT, Type.END, "stray revert")  # a revert with nothing applied is ignored

    assert fault_window(d.events()) is None


def test_fault_window_of_a_single_fault() -> None:
    d = DrillScript()
    d.wait(2)
    start = d.fault(Type.START)
    d.wait(5)
    end = d.fault(Type.END)

    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=end)


def test_fault_still_held_has_no_end() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.wait(5)

    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=None)


def test_two_overlapping_faults_span_from_first_applied_to_last_reverted() -> None:
    d = DrillScript()
    start = d.fault(Type.START, "down primary-provider")
    d.wait(2)
    d.fault(Type.START, "latency backup-provider")
    d.wait(3)
    d.fault(Type.END, "down primary-provider")
    # one fault is still in place
    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=None)

    d.wait(4)
    end = d.fault(Type.END, "latency backup-provider")
    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=end)
    assert end - start == s(9)


def test_nested_faults_end_when_the_outer_one_is_reverted() -> None:
    d = DrillScript()
    start = d.fault(Type.START, "outer")
    d.wait(1)
    d.fault(Type.START, "inner")
    d.wait(1)
    d.fault(Type.END, "inner")
    d.wait(1)
    end = d.fault(Type.END, "outer")

    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=end)


def test_sequential_faults_span_both_and_the_gap() -> None:
    d = DrillScript()
    start = d.fault(Type.START, "first")
    d.wait(1)
    d.fault(Type.END, "first")
    d.wait(1)
    d.fault(Type.START, "second")
    # re-applying a fault reopens the window
    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=None)
    d.wait(1)
    end = d.fault(Type.END, "second")

    assert fault_window(d.events()) == FaultWindow(start_ns=start, end_ns=end)


# phase_span and first_signal_after


def test_phase_span() -> None:
    d = DrillScript()
    assert phase_span(d.events(), "baseline") is None
    start = d.phase("baseline", Type.START)
    d.wait(3)
    d.phase("other", Type.END)
    assert phase_span(d.events(), "baseline") == (start, None)
    end = d.phase("baseline", Type.END)
    assert phase_span(d.events(), "baseline") == (start, end)


def test_first_signal_after_takes_the_first_matching_signal_at_or_after_the_time() -> None:
    d = DrillScript()
    d.signal("active_provider", "backup")  # before the fault: a previous drill's leftovers
    d.wait(1)
    fault = d.fault(Type.START)
    d.wait(1)
    d.signal("active_provider", "primary")
    d.signal("circuit", "backup")
    d.wait(1)
    switched = d.signal("active_provider", "backup")
    d.wait(1)
    d.signal("active_provider", "backup")
    events = d.events()

    assert first_signal_after(events, "active_provider", "backup", fault) == switched
    assert first_signal_after(events, "active_provider", "backup", switched) == switched
    assert first_signal_after(events, "active_provider", "standby", fault) is None
    assert first_signal_after(events, "active_provider", "backup", d.now + 1) is None


# time_to_detect


def test_time_to_detect_is_none_when_no_probe_fails() -> None:
    d = DrillScript()
    d.probes(True, 3)
    fault = d.fault(Type.START)
    d.probes(True, 10)

    assert time_to_detect(probe_results(d.events()), fault) is None


def test_failures_before_the_fault_are_not_detection() -> None:
    d = DrillScript()
    d.probes(False, 2)
    fault = d.fault(Type.START)
    d.probes(True, 5)

    assert time_to_detect(probe_results(d.events()), fault) is None


def test_time_to_detect_runs_to_the_first_failing_completion() -> None:
    drill = StandardDrill()

    assert time_to_detect(probe_results(drill.events), drill.fault_start_ns) == s(0.75)


def test_probe_invoked_before_the_fault_failing_after_it_counts() -> None:
    d = DrillScript()
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="p")
    d.wait(1)
    fault = d.fault(Type.START)
    d.wait(2)
    d.journal.record(Kind.PROBE, Type.FAIL, "health", process="p")

    assert time_to_detect(probe_results(d.events()), fault) == s(2)


def test_time_to_detect_uses_the_earliest_completion_not_the_earliest_invocation() -> None:
    d = DrillScript()
    fault = d.fault(Type.START)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="slow")
    d.wait(1)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="fast")
    d.wait(1)
    d.journal.record(Kind.PROBE, Type.FAIL, "health", process="fast")
    d.wait(3)
    d.journal.record(Kind.PROBE, Type.FAIL, "health", process="slow")

    assert time_to_detect(probe_results(d.events()), fault) == s(2)


def test_a_failure_completing_exactly_at_the_fault_counts() -> None:
    probes = [ProbeResult(invoke_ns=s(1), complete_ns=s(5), ok=False)]

    assert time_to_detect(probes, s(5)) == 0
    assert time_to_detect(probes, s(5) + 1) is None


# recovery_point


def test_recovery_point_of_a_realistic_drill() -> None:
    drill = StandardDrill()
    window = fault_window(drill.events)
    assert window == FaultWindow(drill.fault_start_ns, drill.fault_end_ns)

    recovery = recovery_point(probe_results(drill.events), window, drill.steady_window_ns)

    assert recovery == Recovery(
        recovered_at_ns=drill.good_probe_ns[0] + LATENCY,
        held_ns=s(11),
        broken_until_ns=drill.fault_start_ns + s(2.5),
    )
    assert recovery.recovered_at_ns == drill.fault_start_ns + s(4) + LATENCY


def test_no_good_probe_during_the_fault_is_no_recovery() -> None:
    d = DrillScript()
    d.probes(True, 3)
    start = d.fault(Type.START)
    d.probes(False, 20)
    end = d.fault(Type.END)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(10))

    assert recovery == Recovery(recovered_at_ns=None, held_ns=0, broken_until_ns=start + s(19))


def test_flapping_resets_the_run() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 2)
    d.probes(True, 12)  # long enough on its own ...
    d.probes(False, 1)  # ... but steady state was lost again
    final_run = d.probes(True, 4)
    end = d.fault(Type.END)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(10))

    assert recovery == Recovery(
        recovered_at_ns=None, held_ns=final_run[-1] - final_run[0], broken_until_ns=final_run[0] - s(1)
    )
    assert recovery.held_ns == s(3)


def test_after_flapping_the_recovery_is_the_start_of_the_final_run() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 2)
    d.probes(True, 3)
    d.probes(False, 2)
    final_run = d.probes(True, 11)
    end = d.fault(Type.END)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(10))

    assert recovery == Recovery(
        recovered_at_ns=final_run[0] + LATENCY, held_ns=s(10), broken_until_ns=final_run[0] - s(1)
    )


def test_a_final_run_shorter_than_the_window_is_not_a_recovery() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 3)
    run = d.probes(True, 10)  # invoked over 9 s: one second short
    end = d.fault(Type.END)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(10))

    assert recovery == Recovery(recovered_at_ns=None, held_ns=s(9), broken_until_ns=run[0] - s(1))
    assert recovery_point(probe_results(d.events()), FaultWindow(start, end), s(9)) == Recovery(
        recovered_at_ns=run[0] + LATENCY, held_ns=s(9), broken_until_ns=run[0] - s(1)
    )


def test_probes_after_the_fault_end_are_ignored() -> None:
    d = DrillScript()
    d.probes(True, 5)
    start = d.fault(Type.START)
    d.probes(False, 2)
    run = d.probes(True, 11)
    end = d.fault(Type.END)
    d.probes(False, 3)  # the switch back to the primary blips: not part of this recovery
    d.probes(True, 30)  # and a long good run afterwards does not stretch it either
    window = FaultWindow(start, end)

    recovery = recovery_point(probe_results(d.events()), window, s(10))

    assert recovery == Recovery(
        recovered_at_ns=run[0] + LATENCY, held_ns=s(10), broken_until_ns=run[0] - s(1)
    )


def test_good_probes_after_the_fault_end_do_not_complete_a_short_run() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 2)
    d.probes(True, 3)
    end = d.fault(Type.END)
    d.probes(True, 30)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(10))

    assert recovery == Recovery(recovered_at_ns=None, held_ns=s(2), broken_until_ns=start + s(1))


def test_a_probe_invoked_at_the_fault_end_is_after_it() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(True, 2)
    end = d.fault(Type.END)
    d.probe(False)  # invoked at the very instant of the revert

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(1))

    assert recovery == Recovery(recovered_at_ns=start + LATENCY, held_ns=s(1), interrupted=False)


def test_probes_invoked_before_the_fault_are_ignored() -> None:
    d = DrillScript()
    d.probes(True, 20)
    start = d.fault(Type.START)
    d.probes(False, 1)
    end = d.fault(Type.END)

    assert recovery_point(probe_results(d.events()), FaultWindow(start, end), s(5)) == Recovery(
        None, 0, broken_until_ns=start
    )


def test_a_run_held_exactly_the_steady_window_is_a_recovery() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 1)
    run = d.probes(True, 6, every=2)
    end = d.fault(Type.END)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, end), s(10))

    assert recovery == Recovery(recovered_at_ns=run[0] + LATENCY, held_ns=s(10), broken_until_ns=start)


def test_live_evaluation_while_the_fault_is_held_stops_at_now() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 2)
    run = d.probes(True, 11)
    now = d.now
    d.probes(False, 1)  # recorded after "now": not seen by a live evaluation at ``now``
    window = fault_window(d.events())
    assert window == FaultWindow(start, None)
    probes = probe_results(d.events())

    assert recovery_point(probes, window, s(10), now_ns=now) == Recovery(
        run[0] + LATENCY, s(10), run[0] - s(1)
    )
    # without a "now", every probe since the fault counts, and the last one failed
    assert recovery_point(probes, window, s(10)) == Recovery(None, 0, broken_until_ns=now)


def test_live_evaluation_not_yet_held_long_enough() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.probes(False, 2)
    d.probes(True, 4)

    recovery = recovery_point(probe_results(d.events()), FaultWindow(start, None), s(10), now_ns=d.now)

    assert recovery == Recovery(recovered_at_ns=None, held_ns=s(3), broken_until_ns=start + s(1))


def test_now_is_ignored_once_the_fault_is_reverted() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    run = d.probes(True, 11)
    end = d.fault(Type.END)
    d.probes(False, 2)
    probes = probe_results(d.events())

    recovery = recovery_point(probes, FaultWindow(start, end), s(10), now_ns=d.now)

    assert recovery == Recovery(recovered_at_ns=run[0] + LATENCY, held_ns=s(10), interrupted=False)


# property: recovered_at, if set, starts an all-good suffix of the fault window that lasts the window

probe_plans = st.lists(
    st.tuples(
        st.sampled_from([True, True, True, False]),  # ok, mostly
        st.integers(min_value=1, max_value=3_000),  # ms until the next probe
        st.integers(min_value=0, max_value=2_000),  # ms latency
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(
    before=probe_plans,
    during=probe_plans,
    after=probe_plans,
    steady_ms=st.integers(min_value=0, max_value=15_000),
    held=st.booleans(),
)
def test_recovery_point_properties(
    before: list[tuple[bool, int, int]],
    during: list[tuple[bool, int, int]],
    after: list[tuple[bool, int, int]],
    steady_ms: int,
    held: bool,
) -> None:
    d = DrillScript()

    def run(plan: list[tuple[bool, int, int]]) -> None:
        for ok, gap_ms, latency_ms in plan:
            latency = min(latency_ms, gap_ms - 1) / 1000
            d.probe(ok, latency=latency)
            d.wait(gap_ms / 1000 - latency)

    run(before)
    start = d.fault(Type.START)
    run(during)
    end = None if held else d.fault(Type.END)
    run(after)
    window = fault_window(d.events())
    assert window == FaultWindow(start, end)
    probes = probe_results(d.events())
    in_window = [p for p in probes if p.invoke_ns >= start and (end is None or p.invoke_ns < end)]
    steady_ns = steady_ms * 1_000_000

    recovery = recovery_point(probes, window, steady_ns)

    # the longest all-good suffix of the probes invoked in the fault window
    suffix: list[ProbeResult] = []
    for probe in reversed(in_window):
        if not probe.ok:
            break
        suffix.insert(0, probe)
    expected_held = suffix[-1].invoke_ns - suffix[0].invoke_ns if suffix else 0
    assert recovery.held_ns == expected_held
    if recovery.recovered_at_ns is None:
        assert not suffix or expected_held < steady_ns
    else:
        starts = [i for i, p in enumerate(in_window) if p.complete_ns == recovery.recovered_at_ns and p.ok]
        assert starts, "recovered_at is the completion time of a good probe in the fault window"
        assert all(p.ok for p in in_window[starts[0] :])
        assert recovery.held_ns >= steady_ns
        assert start <= recovery.recovered_at_ns


def test_a_slow_probe_is_a_symptom_once_it_has_waited_longer_than_the_threshold() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.wait(0.2)
    slow = d.probe(True, latency=3.0)  # succeeds, but only after 3 s

    probes = probe_results(d.events())

    assert time_to_detect(probes, start) is None  # nothing failed
    assert time_to_detect(probes, start, slow_after_ns=s(1)) == slow + s(1) - start == s(1.2)
    assert time_to_detect(probes, start, slow_after_ns=s(5)) is None  # not slow enough


def test_a_probe_slow_before_the_fault_counts_from_when_it_crossed_the_threshold() -> None:
    d = DrillScript()
    d.probe(True, latency=0.1)
    slow = d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="p2").t_ns
    d.wait(0.5)
    start = d.fault(Type.START)
    d.wait(2.0)
    d.journal.record(Kind.PROBE, Type.OK, "health", process="p2")

    probes = probe_results(d.events())

    # it crossed 1 s at slow + 1 s, i.e. 0.5 s after the fault started
    assert time_to_detect(probes, start, slow_after_ns=s(1)) == slow + s(1) - start == s(0.5)
    assert median_latency(probes) == s(0.1)


def _criteria_drill(fail: bool, latency: float) -> tuple[list[ProbeResult], FaultWindow]:
    """Good probes for 3 s, a fault, then probes every 0.5 s for 6 s that fail or take ``latency``."""
    d = DrillScript()
    d.probes(True, 3, latency=0.1)
    start = d.fault(Type.START)
    for _ in range(12):
        d.probe(not fail, latency=latency)
        d.wait(max(0.0, 0.5 - latency))
    end = d.fault(Type.END)
    return probe_results(d.events()), FaultWindow(start, end)


ERRORS = Criterion("error_rate", s(2), above=0.5)
SLOW = Criterion("latency", s(2), factor=10)


def test_error_rate_criterion_holds_once_a_whole_window_of_the_fault_saw_failures() -> None:
    probes, window = _criteria_drill(fail=True, latency=0.1)
    assert time_to_detect_by_criteria(probes, window, [ERRORS], baseline_ns=s(0.1)) == s(2)


def test_latency_criterion_counts_a_waiting_probe_as_slow_once_past_the_threshold() -> None:
    # every probe takes 1.5 s: slow against 10 x 0.1 s; seen slow 1 s after it starts
    probes, window = _criteria_drill(fail=False, latency=1.5)
    assert time_to_detect_by_criteria(probes, window, [SLOW], baseline_ns=s(0.1)) == s(2)
    assert time_to_detect_by_criteria(probes, window, [SLOW], baseline_ns=s(0.2)) is None  # 1.5 s < 2 s
    assert time_to_detect_by_criteria(probes, window, [ERRORS], baseline_ns=s(0.1)) is None  # none failed


def test_match_all_needs_every_criterion_and_any_needs_one() -> None:
    probes, window = _criteria_drill(fail=True, latency=0.1)
    assert time_to_detect_by_criteria(probes, window, [ERRORS, SLOW], s(0.1), match_all=False) == s(2)
    assert time_to_detect_by_criteria(probes, window, [ERRORS, SLOW], s(0.1), match_all=True) is None


def test_a_healthy_system_never_meets_the_criteria() -> None:
    probes, window = _criteria_drill(fail=False, latency=0.1)
    assert time_to_detect_by_criteria(probes, window, [ERRORS, SLOW], baseline_ns=s(0.1)) is None
    assert time_to_detect_by_criteria(probes, window, [], baseline_ns=s(0.1)) is None


def test_a_criterion_on_a_component_is_judged_on_its_own_link_not_on_the_system() -> None:
    from drdrill.measure.timeline import Sample  # noqa: PLC0415

    window = FaultWindow(s(10), s(20))
    # the system's probes stay good (the worker failed over); the component's link refuses everything
    probes = [Sample(s(t), s(t) + s(0.05), True) for t in range(0, 20)]
    link = [Sample(s(t / 2), s(t / 2) + s(0.01), t / 2 < 10) for t in range(0, 40)]
    on_link = Criterion(metric="error_rate", window_ns=s(2), above=0.5, component="llm-main")
    on_system = Criterion(metric="error_rate", window_ns=s(2), above=0.5)
    assert time_to_detect_by_criteria(probes, window, [on_system], s(0.05)) is None
    assert time_to_detect_by_criteria(probes, window, [on_link], s(0.05)) is None  # no link samples given
    found = time_to_detect_by_criteria(probes, window, [on_link], s(0.05), links={"llm-main": link})
    assert found == s(2)  # a whole 2 s window of refusals after the fault


# a criterion on the system's own signal (an integrity check)

INTEGRITY = Criterion(metric="integrity_check", window_ns=s(1), signal="integrity")


def _signal_drill(changes: list[tuple[float, str]]) -> tuple[list[ProbeResult], FaultWindow, list[Event]]:
    """Probes every 0.5 s from 0 to 10 s, the fault held from 2 s to 10 s, and ``integrity`` journalled at each
    change (seconds after the fault, its state), each seen by a poll 0.2 s after the one before."""
    from drdrill.journal import PREVIOUS_POLL  # noqa: PLC0415

    d = DrillScript()
    d.journal.record(Kind.SIGNAL, Type.INFO, "integrity", value="normal", data={"raw": "0"})
    d.probes(True, 4, latency=0.1)
    start = d.fault(Type.START)
    at = 0.0
    for when, state in changes:
        while at + 0.5 <= when:
            d.probe(True, latency=0.1)
            d.wait(0.4)
            at += 0.5
        d.wait(when - at)
        at = when
        previous = d.clock.monotonic_ns() - s(0.2)
        d.journal.record(Kind.SIGNAL, Type.INFO, "integrity", value=state, data={PREVIOUS_POLL: previous})
    while at + 0.5 <= 8:
        d.probe(True, latency=0.1)
        d.wait(0.4)
        at += 0.5
    end = d.fault(Type.END)
    return probe_results(d.events()), FaultWindow(start, end), d.events()


def test_a_signal_criterion_holds_once_the_signal_stayed_off_normal_for_its_window() -> None:
    probes, window, events = _signal_drill([(0.6, "other")])
    found = time_to_detect_by_criteria(probes, window, [INTEGRITY], s(0.1), signals=signal_states(events))
    # seen corrupted 0.6 s into the fault, still so 1 s later: detected at 1.6 s (on the 50 ms grid)
    assert found == s(1.6)
    # the probes all passed: without the signal, nothing detects the corruption
    assert time_to_detect_by_criteria(probes, window, [ERRORS], s(0.1)) is None
    assert signal_lag_ns(events, ["integrity"]) == s(0.2)


def test_a_signal_back_to_normal_before_its_window_ends_never_holds() -> None:
    probes, window, events = _signal_drill([(0.6, "other"), (1.2, "normal")])
    assert (
        time_to_detect_by_criteria(probes, window, [INTEGRITY], s(0.1), signals=signal_states(events)) is None
    )
    # off normal again from 3 s on, for good: held from 4 s
    probes, window, events = _signal_drill([(0.6, "other"), (1.2, "normal"), (3.0, "other")])
    assert time_to_detect_by_criteria(
        probes, window, [INTEGRITY], s(0.1), signals=signal_states(events)
    ) == s(4)


def test_a_signal_criterion_needs_the_signal_it_names() -> None:
    probes, window, events = _signal_drill([(0.6, "other")])
    other = Criterion(metric="integrity_check", window_ns=s(1), signal="checksums")
    assert time_to_detect_by_criteria(probes, window, [other], s(0.1), signals=signal_states(events)) is None


# a failure only the system's own check sees: recovered when that check cleared


def test_checks_cleared_dates_the_recovery_when_the_flagging_check_said_normal_again() -> None:
    _, window, events = _signal_drill([(0.6, "other"), (1.0, "other"), (3.0, "normal")])
    cleared, flagged = checks_cleared(window, ["integrity"], signal_states(events))
    # seen normal again 3 s into the fault, by a poll 0.2 s after the one that still saw it flagged
    assert flagged == ("integrity",)
    assert cleared == Bounded(s(3), minus_ns=s(0.2))


def test_checks_cleared_is_none_while_the_check_still_flags_the_failure_at_the_revert() -> None:
    _, window, events = _signal_drill([(0.6, "other"), (2.0, "normal"), (4.0, "other")])
    # normal for a while, then flagged again up to the revert: not recovered, and the check is named
    assert checks_cleared(window, ["integrity"], signal_states(events)) == (None, ("integrity",))


def test_checks_cleared_says_nothing_of_a_check_that_never_flagged() -> None:
    _, window, events = _signal_drill([])
    assert checks_cleared(window, ["integrity"], signal_states(events)) == (None, ())
    assert checks_cleared(window, ["quality"], signal_states(events)) == (None, ())  # never journalled
