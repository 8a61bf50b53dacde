"""Verdicts judged only on inputs the drill reached, never a vacuous pass, and every time with its bound.

Each drill below is a scripted journal laid out the way the runner writes one (sweep, stack-start, baseline,
fault, drain, final-read, teardown), ended the way the runner ends it (:class:`DrillEnd`), and every
sentence a reader would see is asserted exactly.
"""

from __future__ import annotations

from drdrill.journal import FAILOVER, Kind, Phase, Type
from drdrill.measure.timeline import (
    PROBE_SOURCE,
    WRITE_SOURCE,
    Bounded,
    FaultWindow,
    Sample,
    all_samples,
    detection,
    longest_unseen_ns,
    service_recovery,
    signal_change,
)
from drdrill.measure.verdicts import (
    MIN_ACKNOWLEDGED_IN_FAULT,
    MIN_GOOD_PROBES_IN_FAULT,
    DrillEnd,
    Objectives,
    Verdict,
    Words,
    measure,
    measure_and_judge,
    not_measured,
)
from drdrill.units import bounded
from tests.unit.measure.drill_timeline import DrillScript, s

OBJECTIVES = Objectives(
    rto_ns=s(3600),
    rpo_ns=0,
    recovery_bound_ns=s(30),
    steady_window_ns=s(5),
    manual_ns=s(600),
    unit=Words("ticket", "tickets"),
)
NAMES = ["baseline", "recovery_bound", "projected_rto", "rpo", "drained", "no_unexpected_data"]


def aborted_in(phase: str) -> DrillEnd:
    """The runner's end of a drill interrupted in ``phase``, with its own error text."""
    return DrillEnd("aborted", f"interrupted (Ctrl-C) during the {phase} phase")


def messages(
    d: DrillScript, end: DrillEnd | None = None, o: Objectives = OBJECTIVES
) -> list[tuple[str, str]]:
    _, verdicts = measure_and_judge(d.events(), o, end)
    assert [v.name for v in verdicts] == NAMES
    return [(v.outcome, v.message) for v in verdicts]


def started() -> DrillScript:
    """A drill up to a running replica."""
    d = DrillScript()
    for phase in ("sweep", "stack-start"):
        d.phase(phase, Type.START)
        d.wait(0.1)
        d.phase(phase, Type.END)
    return d


def baseline(d: DrillScript) -> None:
    d.phase(Phase.BASELINE, Type.START)
    d.submit("t0", Type.OK)
    d.probes(True, 3, every=0.5)
    d.phase(Phase.BASELINE, Type.END)


def outage_and_recovery(d: DrillScript, *, writes: bool = True) -> int:
    """Fault F: 2 s of failing probes and writes, then 6 s of good ones (probes every 0.5 s, a write after
    each); returns F. Probes take 0.25 s, writes 0.1 s."""
    d.phase("fault", Type.START)
    start = d.fault(Type.START)
    n = 0
    for ok, count in ((False, 4), (True, 12)):
        for _ in range(count):
            d.probe(ok)
            if writes:
                n += 1
                d.submit(f"t{n}", Type.OK if ok else Type.FAIL)
                d.wait(0.15)
            else:
                d.wait(0.25)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    return start


def teardown(d: DrillScript) -> None:
    d.phase("teardown", Type.START)
    d.wait(0.1)
    d.phase("teardown", Type.END)


# -- a drill that stopped early judges only what it reached ------------------------------------------------


def test_a_drill_that_errored_before_the_baseline_judges_nothing_and_says_where_it_stopped() -> None:
    d = started()
    teardown(d)
    end = DrillEnd("errored", "DrdrillError: compose up failed")
    why = "not judged: the fault was never applied; the drill errored while starting the staging replica"

    assert messages(d, end) == [
        ("unknown", "not judged: the drill errored while starting the staging replica"),
        *[("unknown", why)] * 5,
    ]
    assert not_measured(measure(d.events(), s(5)), OBJECTIVES, end)["time_to_recover_s"] == (
        "not measured, because the fault was never applied: the drill errored while starting the staging replica"
    )


def test_a_drill_that_errored_in_preflight_says_it_errored_before_it_started() -> None:
    d = DrillScript()
    teardown(d)

    assert messages(d, DrillEnd("errored", "plan.yaml: no fault"))[0] == (
        "unknown",
        "not judged: the drill errored before it started",
    )


def test_a_drill_aborted_during_the_baseline_never_says_the_baseline_was_not_steady() -> None:
    d = started()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 2, every=0.5)
    d.probe(False)  # the Ctrl-C broke the probe in flight
    d.phase(Phase.BASELINE, Type.END)  # the runner ends the phase on the way out
    teardown(d)
    why = "not judged: the fault was never applied; the drill was interrupted (Ctrl-C) during the baseline phase"

    assert messages(d, aborted_in(Phase.BASELINE)) == [
        ("unknown", "not judged: the drill was interrupted (Ctrl-C) during the baseline phase"),
        *[("unknown", why)] * 5,
    ]


def test_a_drill_aborted_during_the_fault_before_recovery_judges_no_recovery() -> None:
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.probes(False, 4, every=0.5)
    d.phase("fault", Type.END)
    teardown(d)
    d.fault(Type.END)  # teardown reverted it
    not_yet = (
        "not judged: the drill was interrupted (Ctrl-C) during the fault phase, before steady state returned"
    )
    no_read = (
        "not judged: the final read did not happen; the drill was interrupted (Ctrl-C) during the fault phase"
    )

    assert messages(d, aborted_in("fault")) == [
        ("pass", "steady state held before the fault"),
        ("unknown", not_yet),
        ("unknown", not_yet),
        ("unknown", no_read),
        ("unknown", no_read),
        ("unknown", no_read),
    ]
    reasons = not_measured(measure(d.events(), s(5)), OBJECTIVES, aborted_in("fault"))
    assert reasons["time_to_recover_s"] == (
        "not measured, because the drill was interrupted (Ctrl-C) during the fault phase, before steady state "
        "returned"
    )
    assert reasons["ledger.lost"] == (
        "not measured, because the final read did not happen: the drill was interrupted (Ctrl-C) during the "
        "fault phase"
    )


def test_a_drill_that_errored_during_the_fault_says_it_errored_there() -> None:
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.probes(False, 3, every=0.5)
    d.phase("fault", Type.END)
    teardown(d)

    assert messages(d, DrillEnd("errored", "RuntimeError: revert failed"))[1] == (
        "unknown",
        "not judged: the drill errored during the fault phase, before steady state returned",
    )


def test_a_drill_aborted_during_the_drain_keeps_its_recovery_verdict() -> None:
    d = started()
    baseline(d)
    outage_and_recovery(d)
    d.phase("drain", Type.START)
    d.wait(0.5)
    d.phase("drain", Type.END)
    teardown(d)
    no_read = (
        "not judged: the final read did not happen; the drill was interrupted (Ctrl-C) during the drain phase"
    )

    assert messages(d, aborted_in("drain")) == [
        ("pass", "steady state held before the fault"),
        ("pass", "recovered in 2.25 s (+0.10/-0.50 s), within the staging bound of 30.0 s"),
        ("pass", "projected RTO 10.0 min (2.25 s measured + 10.0 min manual) meets the tier RTO 1.00 h"),
        ("unknown", no_read),
        ("unknown", no_read),
        ("unknown", no_read),
    ]


def test_a_drill_interrupted_during_teardown_after_its_final_read_is_judged_in_full() -> None:
    d = started()
    baseline(d)
    outage_and_recovery(d)
    held = [f"t{n}" for n in range(17) if n == 0 or n > 4]
    d.phase("final-read", Type.START)
    d.final_read(held=held, done=held)
    d.phase("final-read", Type.END)
    teardown(d)
    end = DrillEnd("aborted", "interrupted again during teardown: the replica may be partly left")

    assert [outcome for outcome, _ in messages(d, end)] == ["pass"] * 6


def test_the_abort_reason_is_the_runners_own_words_when_it_gives_them() -> None:
    d = started()
    baseline(d)
    teardown(d)
    end = DrillEnd("aborted", "interrupted (SIGTERM) during the baseline phase; FAULT NOT REVERTED: boom")

    assert messages(d, end)[0] == (
        "unknown",
        "not judged: the drill was interrupted (SIGTERM) during the baseline phase",
    )


def test_a_drill_that_skipped_the_fault_fails_its_baseline_and_judges_nothing_else() -> None:
    d = started()
    d.phase(Phase.BASELINE, Type.START)
    d.submit("t0", Type.OK)
    d.probes(True, 2, every=0.5)
    d.probes(False, 1, every=0.5)
    d.phase(Phase.BASELINE, Type.END)
    d.skipped()
    d.phase("final-read", Type.START)
    d.final_read(held=["t0"], done=["t0"])
    d.phase("final-read", Type.END)
    teardown(d)
    why = (
        "not judged: no fault was applied (steady state did not hold during the baseline, so the drill "
        "stopped before the fault)"
    )

    assert messages(d, DrillEnd("completed")) == [
        ("fail", "steady state did not hold before the fault: 1 probe(s) failed (1x probe)"),
        *[("unknown", why)] * 5,
    ]


# -- no vacuous pass ----------------------------------------------------------------------------------------


def no_interruption_drill(*, writes: int = 0) -> DrillScript:
    """Probes every 0.5 s for 6 s through the fault, every one good; ``writes`` acknowledged among them."""
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    for n in range(12):
        d.probe(True)
        if n < writes:
            d.submit(f"t{n + 1}", Type.OK)
            d.wait(0.15)
        else:
            d.wait(0.25)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    held = ["t0", *(f"t{n + 1}" for n in range(writes))]
    d.final_read(held=held, done=held)
    return d


def test_a_drill_whose_probes_saw_no_interruption_says_so_instead_of_a_recovery_time() -> None:
    d = no_interruption_drill(writes=MIN_ACKNOWLEDGED_IN_FAULT)
    # The probes take 0.25 s every 0.5 s: an outage from one's invocation to the next one's completion, 0.75 s,
    # could pass them unseen. The writes come after the first five probes only, so an outage of the write
    # path from the last write's invocation (F+2.25 s) to the revert (F+6 s) could pass them unseen: the
    # widest gap is theirs.
    m = measure(d.events(), s(5))

    assert (m.interrupted, m.time_to_detect_ns, m.time_to_recover_ns) == (False, None, 0)
    assert m.unseen_gap_ns == s(3.75)
    assert m.time_to_recover_bound_ns == (0, s(3.75))
    assert messages(d)[1:3] == [
        (
            "pass",
            "no interruption seen by the probes and writes (an outage of at most 3.75 s could fall between "
            "their samples), within the staging bound of 30.0 s",
        ),
        ("pass", "projected RTO 10.0 min (no interruption seen + 10.0 min manual) meets the tier RTO 1.00 h"),
    ]
    assert not_measured(m, OBJECTIVES)["time_to_detect_s"] == (
        "no probe or write failed, and no probe was slow, while the fault was held"
    )


def test_the_unseen_gap_of_probes_alone_is_one_interval_plus_a_latency() -> None:
    d = no_interruption_drill()
    m = measure(d.events(), s(5))

    assert m.unseen_gap_ns == s(0.75)
    assert messages(d)[1] == (
        "pass",
        "no interruption seen by the probes and writes (an outage of at most 750 ms could fall between their "
        "samples), within the staging bound of 30.0 s",
    )


def test_no_write_acknowledged_while_the_fault_was_held_leaves_the_rpo_unknown() -> None:
    d = no_interruption_drill()

    assert messages(d)[3] == (
        "unknown",
        "not judged: only 0 tickets acknowledged while the fault was held; at least 5 are needed to say none "
        "was lost",
    )


def test_one_write_short_of_the_minimum_is_still_unknown_and_the_minimum_passes() -> None:
    short = measure(no_interruption_drill(writes=MIN_ACKNOWLEDGED_IN_FAULT - 1).events(), s(5))
    enough = measure(no_interruption_drill(writes=MIN_ACKNOWLEDGED_IN_FAULT).events(), s(5))

    assert (short.acknowledged_in_fault, enough.acknowledged_in_fault) == (4, 5)
    _, short_verdicts = measure_and_judge(no_interruption_drill(writes=4).events(), OBJECTIVES)
    assert short_verdicts[3].message == (
        "not judged: only 4 tickets acknowledged while the fault was held; at least 5 are needed to say none "
        "was lost"
    )
    _, enough_verdicts = measure_and_judge(no_interruption_drill(writes=5).events(), OBJECTIVES)
    assert enough_verdicts[3] == Verdict(
        "rpo",
        "pass",
        "0 lost of 6 acknowledged",
        "RPO 0 (no acknowledged ticket lost)",
        "no acknowledged ticket lost (6 checked against the final read)",
    )


def test_a_loss_fails_the_rpo_however_few_writes_there_were() -> None:
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.submit("t1", Type.OK)
    d.probes(True, 12, every=0.5)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    d.final_read(held=["t0"], done=["t0"])

    outcome, message = messages(d)[3]
    assert (outcome, message) == (
        "fail",
        "RPO missed: 1 ticket acknowledged and lost, spanning 0.00 s, acknowledged 0.10 s after the failure "
        "(ids t1); RPO 0 (no acknowledged ticket lost)",
    )


def test_too_few_good_probes_during_the_fault_leave_recovery_unknown() -> None:
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.probes(False, 2, every=0.5)
    d.probes(True, MIN_GOOD_PROBES_IN_FAULT - 1, every=6)  # long enough apart to hold the steady window
    d.fault(Type.END)
    d.phase("fault", Type.END)
    why = (
        "not judged: only 2 probe(s) passed while the fault was held; at least 3 are needed to say steady "
        "state came back"
    )

    assert messages(d)[1:3] == [("unknown", why), ("unknown", why)]


def test_a_final_read_that_never_happened_leaves_every_data_verdict_unknown() -> None:
    d = started()
    baseline(d)
    outage_and_recovery(d)

    assert messages(d)[3:] == [("unknown", "not judged: the final read did not happen")] * 3


# -- phases in order ----------------------------------------------------------------------------------------


def test_a_failover_without_recovery_says_the_system_failed_over_but_did_not_come_back() -> None:
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    start = d.fault(Type.START)
    d.probes(False, 2, every=0.5)
    d.failover("failed_over", "backup", polled_since=start + s(0.8))
    d.probes(False, 20, every=0.5)
    d.fault(Type.END)
    d.phase("fault", Type.END)

    assert messages(d)[1:3] == [
        (
            "fail",
            "staging bound missed: the system failed over after 1.00 s (+0/-0.20 s), but steady state did not return "
            "during the 11.0 s the fault was held (staging bound 30.0 s)",
        ),
        ("fail", "no projected RTO: the service did not recover on staging while the fault was held"),
    ]


def test_recovery_is_never_dated_before_the_failover_the_systems_signal_reports() -> None:
    # Service looks back at F+2.25 s, but the system's signal says it failed over between F+2.9 s and F+3.0 s:
    # the good samples before then do not date a recovery the failover brought.
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    start = d.fault(Type.START)
    d.probes(False, 4, every=0.5)
    d.probes(True, 2, every=0.5)
    d.failover("failed_over", "backup", polled_since=start + s(2.9))
    d.probes(True, 12, every=0.5)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    m = measure(d.events(), s(5))

    assert m.recovery_after_failover
    assert (m.time_to_recover_ns, m.time_to_recover_bound_ns) == (s(3.25), (s(0.35), 0))
    assert m.time_to_failover_ns == s(3)
    assert messages(d)[1] == (
        "pass",
        "recovered in 3.25 s (+0/-0.35 s), within the staging bound of 30.0 s; dated from the failover, since "
        "the system's failover signal had not switched yet when good samples first came back",
    )


def test_a_recovery_inside_the_failovers_bound_is_left_as_the_samples_date_it() -> None:
    # The signal was seen at F+3 s but polled last at F+1.9 s: the switch may have been before F+2.25 s.
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    start = d.fault(Type.START)
    d.probes(False, 4, every=0.5)
    d.probes(True, 2, every=0.5)
    d.failover("failed_over", "backup", polled_since=start + s(1.9))
    d.probes(True, 12, every=0.5)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    m = measure(d.events(), s(5))

    assert not m.recovery_after_failover
    assert (m.time_to_recover_ns, m.time_to_recover_bound_ns) == (s(2.25), (s(0.75), 0))
    assert (m.time_to_failover_ns, m.time_to_failover_bound_ns) == (s(3), (s(1.1), 0))


# -- bounds -------------------------------------------------------------------------------------------------


def sample(invoke: float, complete: float, ok: bool, source: str = PROBE_SOURCE) -> Sample:
    return Sample(s(invoke), s(complete), ok, source=source)


WINDOW = FaultWindow(s(10), s(30))


def test_detection_lies_between_the_last_good_sample_before_the_symptom_and_the_symptom() -> None:
    samples = [
        sample(9.5, 9.75, True),
        sample(10.5, 10.75, True),  # good after the fault: the service broke later than 10.5 s
        sample(11.0, 11.61, False),  # the first symptom
        sample(11.5, 11.75, False),
    ]

    assert detection(samples, WINDOW) == Bounded(s(1.61), minus_ns=s(1.11), plus_ns=0)
    assert bounded(s(0.61), (s(0.5), 0)) == "0.61 s (+0/-0.50 s)"


def test_writes_shrink_the_detection_bound_when_they_see_the_outage_too() -> None:
    probes = [sample(9.5, 9.75, True), sample(10.5, 11.0, False)]
    writes = [sample(10.0 + 0.1 * n, 10.02 + 0.1 * n, n < 3, WRITE_SOURCE) for n in range(10)]

    def both(extra: list[Sample]) -> list[Sample]:
        return sorted(extra + writes, key=lambda x: x.invoke_ns)

    # probes alone: seen at 1 s, and the service may have broken at the fault itself
    assert detection(probes, WINDOW) == Bounded(s(1.0), minus_ns=s(1.0))
    # a write refused at 10.32 s is seen first; the probes' path may still have broken at the fault
    assert detection(both(probes), WINDOW) == Bounded(s(0.32), minus_ns=s(0.32))
    # once a probe worked at 10.25 s too, every path broke after 10.2 s (the last write acknowledged)
    with_good_probe = [*probes, sample(10.25, 10.3, True)]
    assert detection(both(with_good_probe), WINDOW) == Bounded(s(0.32), minus_ns=s(0.12))


def test_good_writes_do_not_bound_an_outage_only_the_probes_saw() -> None:
    # The help desk acknowledges writes while its responder is down: they say nothing of the probes' path.
    probes = [sample(9.5, 9.75, True), sample(10.5, 11.0, False), sample(11.0, 11.5, False)]
    probes += [sample(11.5 + 0.5 * n, 11.75 + 0.5 * n, True) for n in range(12)]
    writes = [sample(10.0 + 0.1 * n, 10.02 + 0.1 * n, True, WRITE_SOURCE) for n in range(60)]
    samples = sorted(probes + writes, key=lambda x: x.invoke_ns)

    assert detection(samples, WINDOW) == Bounded(s(1.0), minus_ns=s(1.0))
    recovery = service_recovery(samples, WINDOW, s(5))
    assert (recovery.recovered_at_ns, recovery.broken_until_ns) == (s(11.75), s(11.0))


def test_recovery_waits_for_every_path_that_showed_a_symptom() -> None:
    probes = [sample(10.5, 10.75, False)] + [sample(11.0 + 0.5 * n, 11.25 + 0.5 * n, True) for n in range(14)]
    writes = [sample(10.0 + 0.1 * n, 10.05 + 0.1 * n, n >= 30, WRITE_SOURCE) for n in range(100)]
    samples = sorted(probes + writes, key=lambda x: x.invoke_ns)

    recovery = service_recovery(samples, WINDOW, s(5))

    # probes were good from 11.25 s, writes only from 13.05 s: the service was back when both were
    assert (recovery.recovered_at_ns, recovery.broken_until_ns) == (s(13.05), s(12.9))


def test_the_unseen_gap_is_the_widest_span_no_good_sample_must_fall_in() -> None:
    samples = [sample(10.0, 10.3, True), sample(10.5, 10.6, True), sample(12.0, 12.1, True)]

    # from 10.5 s (the 2nd could have worked at its invocation) to 12.1 s (the 3rd at its completion)
    assert longest_unseen_ns(samples, s(10), s(13)) == s(1.6)
    assert longest_unseen_ns([], s(10), s(13)) == s(3)


def test_failover_is_bounded_by_the_poll_before_the_one_that_saw_it() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.wait(1)
    d.failover("failed_over", "backup", polled_since=start + s(0.8))
    d.wait(4)
    end = d.fault(Type.END)
    d.wait(0.3)
    d.failover("normal", "primary", polled_since=end + s(0.25))
    events = d.events()

    assert signal_change(events, FAILOVER, "failed_over", start, end) == Bounded(s(1), minus_ns=s(0.2))
    assert signal_change(events, FAILOVER, "normal", end) == Bounded(s(0.3), minus_ns=s(0.05))
    m = measure(events, s(1))
    assert (m.time_to_failover_bound_ns, m.time_to_failback_bound_ns) == ((s(0.2), 0), (s(0.05), 0))


def test_a_poll_before_the_fault_bounds_the_failover_by_the_fault() -> None:
    d = DrillScript()
    start = d.fault(Type.START)
    d.wait(0.1)
    d.failover("failed_over", "backup", polled_since=start - s(0.1))

    assert signal_change(d.events(), FAILOVER, "failed_over", start) == Bounded(s(0.1), minus_ns=s(0.1))


def test_the_recovery_bound_of_a_scripted_outage() -> None:
    d = started()
    baseline(d)
    start = outage_and_recovery(d)
    m = measure(d.events(), s(5))
    samples = all_samples(d.events())

    # probes are back at F+2.25 s and writes at F+2.35 s: the service is back between the two, after the last
    # symptom (the write invoked at F+1.75 s); the first symptom, a probe, was seen at F+0.25 s
    first_good = {x.source: x.complete_ns for x in reversed(samples) if x.ok and x.invoke_ns >= start}
    assert first_good == {PROBE_SOURCE: start + s(2.25), WRITE_SOURCE: start + s(2.35)}
    assert (m.time_to_detect_ns, m.time_to_detect_bound_ns) == (s(0.25), (s(0.25), 0))
    assert (m.time_to_recover_ns, m.time_to_recover_bound_ns) == (s(2.25), (s(0.5), s(0.1)))
    assert bounded(m.time_to_recover_ns, m.time_to_recover_bound_ns) == "2.25 s (+0.10/-0.50 s)"


def test_a_hang_that_only_slowed_the_probes_is_an_interruption_recovered_when_a_probe_answers_again() -> None:
    # A provider that hangs: no probe fails, but the first ones in the fault are far slower than the plan's
    # latency criterion (10x the 0.25 s baseline). That is no "no interruption": service is back when the
    # first probe invoked in the fault was seen answering.
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.probe(True, latency=3.0, process="slow")
    for n in range(14):
        d.probe(True, process=f"p{n}")
        d.wait(0.25)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    d.final_read(held=["t0"], done=["t0"])
    m = measure(d.events(), s(5), slow_factor=10)

    assert m.interrupted is True
    assert m.time_to_detect_ns == s(2.5)  # the slow probe was seen slow 10 x 0.25 s after it started
    assert m.time_to_recover_ns == s(3.0)  # when that slow probe answered
    assert messages(d)[1][0] == "pass"  # recovered well within the 30 s staging bound


def test_recovery_is_never_dated_before_the_first_symptom_was_seen() -> None:
    # The first probe of the fault gives up only at F+1.5 s; a probe started at F+0.5 s is good at F+0.75 s,
    # and so are all after it. Service was seen working at F+0.75 s, but nothing was known to be wrong until
    # F+1.5 s: the recovery is dated then, and its bound reaches back to the symptom's invocation (F).
    d = started()
    baseline(d)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="late-failure")
    d.wait(0.5)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="early-success")
    d.wait(0.25)
    d.journal.record(Kind.PROBE, Type.OK, "health", process="early-success")
    d.wait(0.75)
    d.journal.record(Kind.PROBE, Type.FAIL, "health", process="late-failure")
    for n in range(14):
        d.probe(True, process=f"p{n}")
        d.wait(0.25)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    d.final_read(held=["t0"], done=["t0"])
    m = measure(d.events(), s(5))
    assert m.time_to_detect_ns == s(1.5)
    assert m.time_to_recover_ns == s(1.5)
    assert m.time_to_recover_bound_ns == (s(1.5), 0)
