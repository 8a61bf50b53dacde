"""The instants that decide in or out: each boundary of the timeline rules, on literal samples with exact values.

A sample invoked at the very instant of the revert, a probe exactly as slow as the threshold, an error rate
exactly at the plan's figure: each test here pins which side of the line such a sample falls on, so a rule
moved by one nanosecond or one comparison is caught (mutation testing found these unpinned).
"""

from __future__ import annotations

from drdrill.journal import LINK, Kind, Type
from drdrill.measure.timeline import (
    WRITE_SOURCE,
    Bounded,
    Criterion,
    FaultWindow,
    Recovery,
    Sample,
    detection,
    fault_window,
    first_signal_after,
    link_samples,
    longest_unseen_ns,
    median_latency,
    phase_span,
    recovery_point,
    service_recovery,
    signal_change,
    time_to_detect,
    time_to_detect_by_criteria,
    within,
    write_samples,
)
from tests.unit.measure.drill_timeline import DrillScript, s


def probe(invoke: float, complete: float, ok: bool) -> Sample:
    return Sample(s(invoke), s(complete), ok)


def write(invoke: float, complete: float, ok: bool) -> Sample:
    return Sample(s(invoke), s(complete), ok, source=WRITE_SOURCE)


# pairing


def test_only_submits_are_writes() -> None:
    d = DrillScript()
    d.journal.record(Kind.OP, Type.INVOKE, "cancel", process="writer-1", value="c9")
    d.wait(1)
    d.journal.record(Kind.OP, Type.OK, "cancel", process="writer-1", value="c9")
    invoked = d.invoke("c1")
    d.wait(0.5)
    completed = d.complete("c1", Type.OK)

    assert write_samples(d.events()) == [Sample(invoked, completed, True, source=WRITE_SOURCE)]


def test_link_samples_are_each_components_own_link_probes() -> None:
    d = DrillScript()
    db_invoked = d.journal.record(Kind.PROBE, Type.INVOKE, LINK, process="link-db-00000", value="db").t_ns
    d.probe(True)  # a steady-state probe: no component's
    llm_invoked = d.journal.record(Kind.PROBE, Type.INVOKE, LINK, process="link-llm-00000", value="llm").t_ns
    d.wait(0.5)
    llm_done = d.journal.record(
        Kind.PROBE, Type.OK, LINK, process="link-llm-00000", value="llm", data={"detail": "answered"}
    ).t_ns
    db_done = d.journal.record(
        Kind.PROBE, Type.FAIL, LINK, process="link-db-00000", value="db", data={"detail": "refused"}
    ).t_ns
    d.submit("c1", Type.OK)  # a write has a value too, and is no component

    assert link_samples(d.events()) == {
        "db": [Sample(db_invoked, db_done, False, "refused")],
        "llm": [Sample(llm_invoked, llm_done, True, "answered")],
    }


# fault window and phases


def test_a_stray_revert_before_any_fault_does_not_close_a_later_window() -> None:
    d = DrillScript()
    d.fault(Type.END, "stray revert")
    start = d.fault(Type.START, "first")
    d.wait(1)
    d.fault(Type.START, "second")
    d.wait(1)
    d.fault(Type.END, "first")

    assert fault_window(d.events()) == FaultWindow(start, None)  # the second fault is still in place


def test_a_phase_that_ends_before_it_started_has_no_span() -> None:
    d = DrillScript()
    d.phase("baseline", Type.END)
    assert phase_span(d.events(), "baseline") is None
    d.wait(1)
    start = d.phase("baseline", Type.START)
    assert phase_span(d.events(), "baseline") == (start, None)


# time_to_detect


def test_a_probe_invoked_at_the_revert_says_nothing_about_the_fault() -> None:
    probes = [probe(5, 6, False)]

    assert time_to_detect(probes, s(1), fault_end_ns=s(5)) is None
    assert time_to_detect(probes, s(1), fault_end_ns=s(5) + 1) == s(5)


def test_time_to_detect_does_not_depend_on_the_order_of_the_probes() -> None:
    probes = [probe(9, 10, False), probe(2, 3, False)]  # the first one was invoked after the revert

    assert time_to_detect(probes, s(1), fault_end_ns=s(5)) == s(2)


def test_a_probe_exactly_as_slow_as_the_threshold_is_no_symptom() -> None:
    probes = [probe(2, 3, True)]

    assert time_to_detect(probes, s(1), slow_after_ns=s(1)) is None
    assert time_to_detect(probes, s(1), slow_after_ns=s(1) - 1) == s(2) - 1


# detection


def test_a_symptom_invoked_before_the_fault_and_seen_after_it_dates_detection() -> None:
    found = detection([probe(0, 2, False)], FaultWindow(s(1), None))

    assert found == Bounded(s(1), minus_ns=s(1))


def test_a_symptom_seen_at_the_instant_of_the_fault_is_detected_at_zero() -> None:
    assert detection([probe(0, 1, False)], FaultWindow(s(1), None)) == Bounded(0)


def test_a_symptom_invoked_at_the_revert_is_not_the_faults() -> None:
    window = FaultWindow(s(1), s(5))

    assert detection([probe(5, 6, False)], window) is None
    assert detection([probe(9, 10, False), probe(2, 3, False)], window) == Bounded(s(2), minus_ns=s(2))


def test_detection_counts_a_probe_slower_than_the_threshold_not_one_exactly_as_slow() -> None:
    window = FaultWindow(s(1), None)

    assert detection([probe(2, 3, True)], window, slow_after_ns=s(1)) is None
    assert detection([probe(2, 3.5, True)], window, slow_after_ns=s(1)) == Bounded(s(2), minus_ns=s(2))


def test_a_good_sample_completing_as_the_symptom_was_invoked_bounds_the_onset() -> None:
    # it completed before the failing probe started, so the path still worked at 1.5 s at the earliest
    found = detection([probe(1.5, 2, True), probe(2, 3, False)], FaultWindow(s(1), None))

    assert found == Bounded(s(2), minus_ns=s(1.5))


# the unseen gap


def test_a_source_sampled_only_at_the_start_of_the_span_still_counts() -> None:
    # the probes' only sample came at the very start: an outage of the whole span could hide from them
    samples = [probe(0, 0.5, True), *[write(t, t + 0.1, True) for t in range(1, 10)]]

    assert longest_unseen_ns(samples, s(0), s(10)) == s(10)


def test_a_source_sampled_only_at_the_end_of_the_span_did_not_sample_it() -> None:
    samples = [probe(10, 10.5, True), *[write(t, t + 0.1, True) for t in range(0, 10)]]

    assert longest_unseen_ns(samples, s(0), s(10)) == s(1.1)


def test_a_failed_sample_does_not_shrink_the_unseen_gap() -> None:
    samples = [probe(1, 1.5, True), probe(5, 5.5, False)]

    assert longest_unseen_ns(samples, s(0), s(10)) == s(9)


def test_the_unseen_gap_ends_at_the_earliest_completion_of_any_later_sample() -> None:
    # invoked at 1 s but slow: a sample invoked later completed first, so an outage from 0 s ends by 3 s
    samples = [probe(1, 9, True), probe(2, 3, True)]

    assert longest_unseen_ns(samples, s(0), s(4)) == s(3)


def test_the_median_latency_of_an_odd_and_an_even_count_is_the_lower_middle() -> None:
    three = [probe(0, 1, True), probe(0, 3, True), probe(0, 2, True), probe(0, 9, False)]
    assert median_latency(three) == s(2)
    assert median_latency([*three, probe(0, 4, True)]) == s(2)


# recovery


def test_a_run_too_short_to_recover_still_keeps_its_completions() -> None:
    samples = [probe(1, 1.5, False), probe(2, 2.5, True), probe(3, 3.25, True)]

    recovery = recovery_point(samples, FaultWindow(s(0), s(10)), s(5))

    assert recovery == Recovery(None, s(1), broken_until_ns=s(1))
    assert recovery.runs == ((s(2.5), s(3.25)),)


def test_no_sample_at_all_is_no_recovery_and_no_interruption() -> None:
    recovery = service_recovery([], FaultWindow(s(1), s(5)), s(1))

    assert recovery == Recovery(None, 0, interrupted=False)


def test_service_recovery_while_the_fault_is_held_stops_at_now() -> None:
    samples = [probe(1, 1.5, False), *[probe(t, t + 0.5, True) for t in range(2, 14)], probe(20, 20.5, False)]

    recovery = service_recovery(samples, FaultWindow(s(0), None), s(10), now_ns=s(15))

    assert recovery == Recovery(s(2.5), s(11), s(1), True, confirmed_at_ns=s(2.5))


def test_a_path_that_never_came_back_leaves_the_service_unrecovered() -> None:
    samples = [
        probe(1, 1.5, False),
        probe(2, 2.5, True),
        probe(3, 3.5, True),
        write(1.2, 1.3, False),
        write(2.2, 2.3, True),
        write(4.2, 4.3, False),
    ]

    recovery = service_recovery(samples, FaultWindow(s(0), s(10)), s(0))

    # the probes held 1 s from 2 s; the writes have no good run; recovery came after the write at 4.2 s
    assert recovery == Recovery(None, 0, s(4.2), True)
    assert recovery.runs == ((s(2.5), s(3.5)),)


def test_service_recovery_is_dated_by_samples_invoked_before_the_revert_only() -> None:
    samples = [probe(1, 1.2, False), probe(2, 12, True), probe(10.5, 10.6, True)]
    expected = Recovery(s(12), 0, s(1), True, confirmed_at_ns=s(12))

    assert service_recovery(samples, FaultWindow(s(0), s(10)), s(0)) == expected
    # while the fault is held, now plays the revert's part
    assert service_recovery(samples, FaultWindow(s(0), None), s(0), now_ns=s(10)) == expected
    # a sample invoked at the very instant of the revert is after it
    at_revert = [probe(1, 1.2, False), probe(2, 12, True), probe(10, 10.1, True)]
    assert service_recovery(at_revert, FaultWindow(s(0), s(10)), s(0)) == expected


def test_service_recovery_starts_after_the_last_symptom_of_any_path_not_at_it() -> None:
    samples = [
        probe(1, 1.2, False),
        probe(3, 3.1, True),  # invoked at the instant of the writes' last symptom: not after it
        probe(5, 5.1, True),
        write(3, 3.3, False),
        write(4, 4.2, True),
    ]

    recovery = service_recovery(samples, FaultWindow(s(0), s(10)), s(0))

    assert recovery == Recovery(s(4.2), 0, s(3), True, confirmed_at_ns=s(4.2))


# signals


def test_a_signal_at_the_before_instant_is_outside_the_span() -> None:
    d = DrillScript()
    d.wait(1)
    at = d.signal("active_provider", "backup")
    events = d.events()

    assert first_signal_after(events, "active_provider", "backup", at - s(1), before_ns=at) is None
    assert first_signal_after(events, "active_provider", "backup", at - s(1), before_ns=at + 1) == at
    assert signal_change(events, "active_provider", "backup", at - s(1), before_ns=at) is None
    assert signal_change(events, "active_provider", "backup", at - s(1), before_ns=at + 1) == Bounded(
        s(1), minus_ns=s(1)
    )


def test_a_signal_at_the_after_instant_counts_with_no_time_taken() -> None:
    d = DrillScript()
    d.wait(1)
    at = d.signal("active_provider", "backup")

    assert signal_change(d.events(), "active_provider", "backup", at) == Bounded(0)


# the plan's detection criteria, on a 50 ms grid: the fault from 10 s to 20 s

WINDOW = FaultWindow(s(10), s(20))
BASELINE = s(0.1)  # with factor 10, a probe is slow past exactly 1 s


def latency(window: float) -> Criterion:
    return Criterion("latency", s(window), factor=10)


def errors(window: float, above: float = 0.5) -> Criterion:
    return Criterion("error_rate", s(window), above=above)


def test_a_criterion_without_its_figure_never_holds() -> None:
    failing = [probe(10 + t / 2, 10.1 + t / 2, False) for t in range(12)]

    assert time_to_detect_by_criteria(failing, WINDOW, [Criterion("error_rate", s(1))], BASELINE) is None
    assert time_to_detect_by_criteria(failing, WINDOW, [Criterion("latency", s(1))], BASELINE) is None
    slow = [probe(10 + t / 2, 12 + t / 2, True) for t in range(12)]
    assert time_to_detect_by_criteria(slow, WINDOW, [latency(1)], baseline_ns=None) is None
    assert time_to_detect_by_criteria(slow, WINDOW, [latency(1)], BASELINE) == s(1)  # slow from 11 s


def test_a_failure_completing_exactly_at_the_windows_start_is_outside_it() -> None:
    probes = [probe(9.5, 10, False), probe(18, 19, True)]

    assert time_to_detect_by_criteria(probes, WINDOW, [errors(1)], BASELINE) is None


def test_a_failure_completing_exactly_at_the_instant_judged_is_inside_the_window() -> None:
    probes = [probe(10.5, 11, False), probe(18, 19, True)]

    assert time_to_detect_by_criteria(probes, WINDOW, [errors(1)], BASELINE) == s(1)


def test_an_error_rate_exactly_at_the_plans_figure_is_not_above_it() -> None:
    probes = [probe(10.2, 10.3, False), probe(10.4, 10.5, True), probe(18, 19, True)]

    assert time_to_detect_by_criteria(probes, WINDOW, [errors(1, above=0.5)], BASELINE) is None
    assert time_to_detect_by_criteria(probes, WINDOW, [errors(1, above=0.49)], BASELINE) == s(1)


def test_a_probe_exactly_as_slow_as_the_latency_threshold_is_fast() -> None:
    assert time_to_detect_by_criteria([probe(10.2, 11.2, True)], WINDOW, [latency(1)], BASELINE) is None
    assert time_to_detect_by_criteria([probe(10.2, 11.25, True)], WINDOW, [latency(1)], BASELINE) == s(1.2)


def test_a_slow_probe_is_seen_slow_the_instant_it_crosses_the_threshold() -> None:
    # invoked at the fault, slow from 11 s: the first instant judged
    assert time_to_detect_by_criteria([probe(10, 15, True)], WINDOW, [latency(1)], BASELINE) == s(1)


def test_a_tie_of_slow_and_fast_probes_is_no_slow_median() -> None:
    # a fast probe completes at 11 s, the instant a slow one crosses the threshold: one each until 12 s,
    # when both leave the window together
    probes = [probe(10, 15, True), probe(10.95, 11, True)]

    assert time_to_detect_by_criteria(probes, WINDOW, [latency(1)], BASELINE) is None


def test_the_median_turns_slow_when_the_fast_probe_leaves_the_window() -> None:
    # fast probe done at 10.6 s; slow probe crosses at 11.4 s: a tie until 11.6 s, when the fast one leaves
    probes = [probe(10.4, 15, True), probe(10.5, 10.6, True)]

    assert time_to_detect_by_criteria(probes, WINDOW, [latency(1)], BASELINE) == s(1.6)


def test_the_latency_criterion_counts_every_fast_probe_in_the_window() -> None:
    probes = [
        probe(10.1, 10.2, True),
        probe(10.3, 10.4, True),
        probe(10.5, 13, True),  # slow from 11.5 s
        probe(10.6, 13, True),  # slow from 11.6 s
        probe(13.5, 13.6, True),
    ]
    # two fast, two slow from 11.6 s: a tie until the first fast one leaves the 2 s window at 12.2 s
    assert time_to_detect_by_criteria(probes, WINDOW, [latency(2)], BASELINE) == s(2.2)


def test_any_one_criterion_is_enough_by_default() -> None:
    failing = [probe(10 + t / 2, 10.1 + t / 2, False) for t in range(12)]

    assert time_to_detect_by_criteria(failing, WINDOW, [errors(1), latency(1)], BASELINE) == s(1)


def test_a_latency_criterion_on_a_component_is_judged_against_that_links_own_baseline() -> None:
    link = [probe(10 + t / 2, 10.5 + t / 2, True) for t in range(12)]  # 0.5 s each: slow against 10 x 0.01 s
    on_link = Criterion("latency", s(1), factor=10, component="llm-main")

    found = time_to_detect_by_criteria(
        [], WINDOW, [on_link], BASELINE, links={"llm-main": link}, link_baselines={"llm-main": s(0.01)}
    )

    assert found == s(1)
    assert time_to_detect_by_criteria([], WINDOW, [on_link], BASELINE, links={"llm-main": link}) is None


def test_the_criteria_are_not_judged_past_the_revert() -> None:
    probes = [probe(10 + t / 2, 10.1 + t / 2, t < 8 or t > 11) for t in range(12)]  # failing 14 s to 15.6 s
    window = FaultWindow(s(10), s(14))

    assert time_to_detect_by_criteria(probes, window, [errors(1)], BASELINE) is None
    assert time_to_detect_by_criteria(probes, WINDOW, [errors(1)], BASELINE) == s(4.6)


def test_a_criterion_first_holding_at_the_revert_is_detected() -> None:
    probes = [probe(10.4, 10.5, False), probe(12, 12.5, True)]

    assert time_to_detect_by_criteria(probes, FaultWindow(s(10), s(11)), [errors(1)], BASELINE) == s(1)


def test_criteria_are_judged_from_the_fault_plus_the_window_even_off_the_grid() -> None:
    failing = [probe(10 + t / 20, 10.01 + t / 20, False) for t in range(60)]  # a failure every 50 ms

    assert time_to_detect_by_criteria(failing, WINDOW, [errors(1.03)], BASELINE) == s(1.03)


def test_a_longer_window_holds_only_once_it_lies_wholly_in_the_fault() -> None:
    failing = [probe(10 + t / 2, 10.1 + t / 2, False) for t in range(12)]
    never = errors(1, above=1.0)  # no rate is above 1

    assert time_to_detect_by_criteria(failing, WINDOW, [never, errors(3)], BASELINE) == s(3)


def test_a_phase_owns_the_probes_invoked_in_it_and_finished_by_its_end() -> None:
    def probe(invoke: int, complete: int) -> Sample:
        return Sample(invoke_ns=invoke, complete_ns=complete, ok=True)

    before, first, last, running = probe(99, 150), probe(100, 120), probe(180, 200), probe(190, 201)
    probes = [before, first, last, running]
    assert within(probes, 100, 200) == [first, last]  # both edges belong to the phase
    assert within(probes, 100, None) == [
        first,
        last,
        running,
    ]  # a phase not ended: every probe since it began
