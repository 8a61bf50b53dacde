"""Figures taken from a journal, and every verdict judged on them, with the exact sentence a reader sees.

Verdicts speak the plan's unit of work: the objectives here call it a ticket, so no sentence may say "claim".
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from drdrill.journal import PREVIOUS_POLL, Event, Kind, Phase, Type
from drdrill.measure.ledger import Ledger, build_ledger
from drdrill.measure.timeline import Criterion
from drdrill.measure.verdicts import (
    MIN_ACKNOWLEDGED_IN_FAULT,
    MIN_GOOD_PROBES_IN_FAULT,
    Measurements,
    Objectives,
    Verdict,
    Words,
    judge,
    measure,
    measure_and_judge,
    not_measured,
)
from drdrill.measure.warmup import Warmup
from drdrill.units import seconds
from tests.unit.measure.drill_timeline import DrillScript, StandardDrill, s

TICKETS = Words("ticket", "tickets")
OBJECTIVES = Objectives(
    rto_ns=s(3600),
    rpo_ns=0,
    recovery_bound_ns=s(30),
    steady_window_ns=s(10),
    manual_ns=s(600),
    unit=TICKETS,
)
NO_READ = "not measured, because the final read failed: ConnectError: [Errno 111] Connection refused"


def ledger(
    acknowledged: set[str] | None = None,
    read: set[str] | None = None,
    processed: set[str] | None = None,
    *,
    attempted: set[str] | None = None,
    read_done: bool = True,
    read_failure: str | None = None,
    ack_ns: dict[str, int] | None = None,
) -> Ledger:
    acked = {"c1", "c2", "c3", "c4", "c5"} if acknowledged is None else acknowledged
    stored = set(acked) if read is None else read
    return Ledger(
        attempted=frozenset(acked if attempted is None else attempted),
        acknowledged=frozenset(acked),
        failed=frozenset(),
        indeterminate=frozenset(),
        read=frozenset(stored if read_done else ()),
        processed=frozenset((stored if processed is None else processed) if read_done else ()),
        read_done=read_done,
        ack_ns=ack_ns or {},
        read_failure=None if read_done else read_failure,
    )


GOOD = Measurements(
    time_to_detect_ns=s(0.75),
    time_to_failover_ns=s(3.5),
    time_to_recover_ns=s(4),
    recovery_held_ns=s(11),
    fault_held_ns=s(16),
    baseline_probes=5,
    baseline_failures=0,
    probes=22,
    failed_probes=3,
    ledger=ledger(),
    fault_start_ns=s(7),
    time_to_failback_ns=s(1.2),
    time_to_detect_bound_ns=(s(0.5), 0),
    time_to_failover_bound_ns=(s(0.2), 0),
    time_to_recover_bound_ns=(s(0.5), 0),
    time_to_failback_bound_ns=(s(0.2), 0),
    good_probes_in_fault=MIN_GOOD_PROBES_IN_FAULT,
    acknowledged_in_fault=MIN_ACKNOWLEDGED_IN_FAULT,
)


def verdict(m: Measurements, name: str, objectives: Objectives = OBJECTIVES) -> Verdict:
    (found,) = [v for v in judge(m, objectives) if v.name == name]
    return found


# seconds


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (None, "not observed"),
        (0, "0.00 s"),
        (s(0.75), "0.75 s"),
        (s(9.99), "9.99 s"),
        (s(10), "10.0 s"),
        (s(119), "119.0 s"),
        (s(120), "2.0 min"),
        (s(604), "10.1 min"),
        (s(3599), "60.0 min"),
        (s(3600), "1.00 h"),
        (s(5400), "1.50 h"),
    ],
)
def test_seconds(ns: int | None, text: str) -> None:
    assert seconds(ns) == text


# measure


def test_measure_a_realistic_drill() -> None:
    drill = StandardDrill()

    m = measure(drill.events, drill.steady_window_ns)

    assert m == Measurements(
        time_to_detect_ns=s(0.75),
        time_to_failover_ns=s(3.5),
        # writes are back at F+3.6 s, probes only at F+4.25 s (the +0.65 s), the last symptom invoked at F+2.5 s
        time_to_recover_ns=s(3.6),
        recovery_held_ns=s(11),  # the probes' run, shorter than the writes' (F+3.5 s to F+15.25 s)
        fault_held_ns=s(16),
        baseline_probes=5,
        baseline_failures=0,
        probes=22,
        failed_probes=3,
        ledger=build_ledger(drill.events),
        fault_start_ns=drill.fault_start_ns,
        baseline_latency_ns=s(0.25),
        # nothing good completed between the fault and the failing probe's invocation: the onset may be F
        time_to_detect_bound_ns=(s(0.75), 0),
        # the scripted signal has no previous poll: the switch happened somewhere after the fault
        time_to_failover_bound_ns=(s(3.5), 0),
        time_to_recover_bound_ns=(s(1.1), s(0.65)),
        good_probes_in_fault=12,
        acknowledged_in_fault=5,
        stopped_in="fault",
    )


def test_measure_without_a_fault() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3)
    d.probes(False, 1)
    d.failover("failed_over", "backup")

    m = measure(d.events(), s(10))

    assert (m.time_to_detect_ns, m.time_to_failover_ns, m.time_to_recover_ns, m.fault_held_ns) == (
        None,
        None,
        None,
        None,
    )
    assert m.fault_start_ns is None
    assert m.recovery_held_ns == 0
    # the baseline phase never ended: every probe since it started is in it
    assert (m.baseline_probes, m.baseline_failures, m.probes, m.failed_probes) == (4, 1, 4, 1)


def test_measure_without_a_baseline_phase_counts_no_baseline_probes() -> None:
    d = DrillScript()
    d.probes(True, 3)
    d.fault(Type.START)
    d.probes(True, 3)

    m = measure(d.events(), s(1))

    assert (m.baseline_probes, m.baseline_failures, m.probes) == (0, 0, 6)


def test_failover_only_counts_the_switch_to_the_fallback_after_the_fault() -> None:
    d = DrillScript()
    d.failover("failed_over", "backup")
    d.wait(1)
    d.fault(Type.START)
    d.wait(2)
    d.failover("normal", "primary")
    d.wait(3)
    d.failover("failed_over", "backup")

    assert measure(d.events(), s(1)).time_to_failover_ns == s(5)


def test_failover_is_dated_by_the_signals_state_not_by_its_raw_value() -> None:
    # "standby" is what the system said, but the plan does not list it as failed over: its state is "other".
    # A signal of another name (the claims system's old "active_provider") dates nothing either.
    d = DrillScript()
    d.fault(Type.START)
    d.wait(1)
    d.failover("other", "standby")
    d.signal("active_provider", "failed_over")
    d.wait(1)
    d.failover("failed_over", "backup")

    assert measure(d.events(), s(1)).time_to_failover_ns == s(2)


def test_projected_rto_adds_the_manual_steps() -> None:
    assert GOOD.projected_rto_ns(s(600)) == s(604)
    assert replace(GOOD, time_to_recover_ns=None).projected_rto_ns(s(600)) is None


# judge: the whole list


def test_a_realistic_drill_passes_every_verdict() -> None:
    drill = StandardDrill()

    m, verdicts = measure_and_judge(drill.events, OBJECTIVES)

    assert m == measure(drill.events, OBJECTIVES.steady_window_ns)
    assert [v.to_json() for v in verdicts] == [
        {
            "name": "baseline",
            "outcome": "pass",
            "passed": True,
            "measured": "5/5 probes good",
            "objective": "every probe good",
            "message": "steady state held before the fault",
        },
        {
            "name": "recovery_bound",
            "outcome": "pass",
            "passed": True,
            "measured": "3.60 s (+0.65/-1.10 s)",
            "objective": "recover within 30.0 s, steady for 10.0 s",
            "message": "recovered in 3.60 s (+0.65/-1.10 s), within the staging bound of 30.0 s",
        },
        {
            "name": "projected_rto",
            "outcome": "pass",
            "passed": True,
            "measured": "10.1 min (3.60 s measured + 10.0 min manual)",
            "objective": "tier RTO 1.00 h",
            "message": "projected RTO 10.1 min (3.60 s measured + 10.0 min manual) meets the tier RTO 1.00 h",
        },
        {
            "name": "rpo",
            "outcome": "pass",
            "passed": True,
            "measured": "0 lost of 7 acknowledged",
            "objective": "RPO 0 (no acknowledged ticket lost)",
            "message": "no acknowledged ticket lost (7 checked against the final read)",
        },
        {
            "name": "drained",
            "outcome": "pass",
            "passed": True,
            "measured": "0 not done",
            "objective": "0 not done",
            "message": "every acknowledged ticket held was done after the fault",
        },
        {
            "name": "no_unexpected_data",
            "outcome": "pass",
            "passed": True,
            "measured": "0",
            "objective": "0",
            "message": "the system holds only tickets the drill wrote",
        },
    ]


def test_a_drill_that_never_recovers_misses_the_rto() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.fault(Type.START)
    d.probes(False, 30)
    d.probes(True, 5)  # not long enough for the 10 s steady window
    d.fault(Type.END)
    d.final_read(held=[])

    _, verdicts = measure_and_judge(d.events(), OBJECTIVES)

    assert [(v.name, v.outcome) for v in verdicts] == [
        ("baseline", "pass"),
        ("recovery_bound", "fail"),
        ("projected_rto", "fail"),
        ("rpo", "unknown"),  # no write at all: nothing says none would have been lost
        ("drained", "pass"),
        ("no_unexpected_data", "pass"),
    ]
    assert verdicts[1].message == (
        "staging bound missed: steady state did not return during the 35.0 s the fault was held (staging bound 30.0 s)"
    )
    assert verdicts[3].message == (
        "not judged: only 0 tickets acknowledged while the fault was held; at least 5 are needed to say none "
        "was lost"
    )


def test_a_drill_whose_final_read_failed_judges_no_data_verdict() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.submit("t1", Type.OK)
    d.probes(True, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.fault(Type.START)
    d.probes(True, 12)
    d.fault(Type.END)
    d.final_read_failed(NO_READ)

    _, verdicts = measure_and_judge(d.events(), OBJECTIVES)

    assert [(v.name, v.outcome, v.measured) for v in verdicts] == [
        ("baseline", "pass", "3/3 probes good"),
        ("recovery_bound", "pass", "no interruption seen"),
        ("projected_rto", "pass", "10.0 min (no interruption seen + 10.0 min manual)"),
        ("rpo", "unknown", "not measured"),
        ("drained", "unknown", "not measured"),
        ("no_unexpected_data", "unknown", "not measured"),
    ]
    assert {v.message for v in verdicts[3:]} == {f"not judged: {NO_READ}"}
    assert not any(v.passed for v in verdicts[3:])


# judge: one verdict at a time


def test_a_verdict_passes_only_when_its_outcome_is_pass() -> None:
    outcomes = {o: Verdict("rpo", o, "m", "o", "text") for o in ("pass", "fail", "unknown")}

    assert {o: v.passed for o, v in outcomes.items()} == {"pass": True, "fail": False, "unknown": False}
    assert outcomes["unknown"].to_json() == {
        "name": "rpo",
        "outcome": "unknown",
        "passed": False,
        "measured": "m",
        "objective": "o",
        "message": "text",
    }


def test_baseline_passes_when_every_probe_was_good() -> None:
    assert verdict(GOOD, "baseline") == Verdict(
        "baseline", "pass", "5/5 probes good", "every probe good", "steady state held before the fault"
    )


def test_baseline_fails_when_a_probe_failed() -> None:
    m = replace(GOOD, baseline_probes=5, baseline_failures=2)

    assert verdict(m, "baseline") == Verdict(
        "baseline",
        "fail",
        "3/5 probes good",
        "every probe good",
        "steady state did not hold before the fault: 2 probe(s) failed",
    )


def test_baseline_says_what_its_failed_probes_said_and_a_warm_up_that_never_settled() -> None:
    m = replace(
        GOOD,
        baseline_probes=9,
        baseline_failures=7,
        baseline_problems=(("timed out after 3.00 s", 4), ("HTTP 503", 2), ("refused", 1)),
        warmup=Warmup(settled=False, waited_ns=30_000_000_000, streak=1, needed=3),
    )

    assert verdict(m, "baseline").message == (
        "steady state did not hold before the fault: 7 probe(s) failed (4x timed out after 3.00 s; 2x HTTP 503; "
        "1x refused); before it, the system never answered 3 probes in a row in 30.0 s of warm-up"
    )
    settled = replace(m, warmup=Warmup(settled=True, waited_ns=1_200_000_000, streak=3, needed=3))
    assert verdict(settled, "baseline").message.endswith(
        "(4x timed out after 3.00 s; 2x HTTP 503; 1x refused)"
    )


def test_baseline_fails_without_probes() -> None:
    m = replace(GOOD, baseline_probes=0, baseline_failures=0)

    assert verdict(m, "baseline") == Verdict(
        "baseline",
        "fail",
        "0/0 probes good",
        "every probe good",
        "no probe completed before the fault, so there is no steady state to compare with",
    )


def test_recovery_within_the_staging_bound() -> None:
    assert verdict(GOOD, "recovery_bound") == Verdict(
        "recovery_bound",
        "pass",
        "4.00 s (+0/-0.50 s)",
        "recover within 30.0 s, steady for 10.0 s",
        "recovered in 4.00 s (+0/-0.50 s), within the staging bound of 30.0 s",
    )


def test_recovery_exactly_at_the_staging_bound_passes() -> None:
    m = replace(GOOD, time_to_recover_ns=s(30))

    assert verdict(m, "recovery_bound").outcome == "pass"
    assert verdict(m, "recovery_bound").message == (
        "recovered in 30.0 s (+0/-0.50 s), within the staging bound of 30.0 s"
    )


def test_recovery_over_the_staging_bound_says_it_missed_the_bound_and_by_how_much() -> None:
    m = replace(GOOD, time_to_recover_ns=s(42.5))

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        "fail",
        "42.5 s (+0/-0.50 s)",
        "recover within 30.0 s, steady for 10.0 s",
        "staging bound missed: recovered in 42.5 s (+0/-0.50 s), 12.5 s over the bound of 30.0 s",
    )


def test_recovery_one_nanosecond_over_the_bound_fails() -> None:
    m = replace(GOOD, time_to_recover_ns=s(30) + 1)

    assert verdict(m, "recovery_bound").outcome == "fail"
    assert verdict(m, "recovery_bound").message == (
        "staging bound missed: recovered in 30.0 s (+0/-0.50 s), 0.00 s over the bound of 30.0 s"
    )


def test_a_failover_without_recovery_says_the_system_failed_over_but_did_not_come_back() -> None:
    m = replace(GOOD, time_to_recover_ns=None, recovery_held_ns=s(3), fault_held_ns=s(90))

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        "fail",
        "not recovered",
        "recover within 30.0 s, steady for 10.0 s",
        "staging bound missed: the system failed over after 3.50 s (+0/-0.20 s), but steady state did not return during "
        "the 90.0 s the fault was held (staging bound 30.0 s)",
    )
    assert (
        verdict(m, "projected_rto").message
        == "no projected RTO: the service did not recover on staging while the fault was held"
    )


def test_no_recovery_says_rto_missed_and_how_long_the_fault_was_held() -> None:
    m = replace(
        GOOD, time_to_recover_ns=None, recovery_held_ns=s(3), fault_held_ns=s(90), time_to_failover_ns=None
    )

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        "fail",
        "not recovered",
        "recover within 30.0 s, steady for 10.0 s",
        "staging bound missed: steady state did not return during the 90.0 s the fault was held (staging bound 30.0 s)",
    )


def test_no_recovery_while_the_fault_is_still_held_reads_as_a_sentence() -> None:
    # A journal that ends with the fault in place (a drill aborted before the revert) has no fault_held_ns.
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.fault(Type.START)
    d.probes(False, 40)
    m, _ = measure_and_judge(d.events(), OBJECTIVES)
    assert m.fault_held_ns is None

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        "fail",
        "not recovered",
        "recover within 30.0 s, steady for 10.0 s",
        "staging bound missed: steady state did not return while the fault was in place (staging bound 30.0 s)",
    )


def test_projected_rto_meets_the_tier_rto() -> None:
    assert verdict(GOOD, "projected_rto") == Verdict(
        "projected_rto",
        "pass",
        "10.1 min (4.00 s measured + 10.0 min manual)",
        "tier RTO 1.00 h",
        "projected RTO 10.1 min (4.00 s measured + 10.0 min manual) meets the tier RTO 1.00 h",
    )


def test_projected_rto_exactly_at_the_tier_rto_passes() -> None:
    objectives = replace(OBJECTIVES, rto_ns=s(604))

    assert verdict(GOOD, "projected_rto", objectives).outcome == "pass"


def test_projected_rto_over_the_tier_rto_says_by_how_much() -> None:
    objectives = replace(OBJECTIVES, rto_ns=s(300), manual_ns=s(320))

    assert verdict(GOOD, "projected_rto", objectives) == Verdict(
        "projected_rto",
        "fail",
        "5.4 min (4.00 s measured + 5.3 min manual)",
        "tier RTO 5.0 min",
        "projected RTO 5.4 min (4.00 s measured + 5.3 min manual) exceeds the tier RTO 5.0 min by 24.0 s",
    )


def test_projected_rto_without_manual_steps() -> None:
    objectives = replace(OBJECTIVES, rto_ns=s(2), manual_ns=0)

    assert verdict(GOOD, "projected_rto", objectives).message == (
        "projected RTO 4.00 s (4.00 s measured + 0.00 s manual) exceeds the tier RTO 2.00 s by 2.00 s"
    )


def test_projected_rto_fails_when_the_fault_was_held_and_recovery_never_completed() -> None:
    m = replace(GOOD, time_to_recover_ns=None)

    assert verdict(m, "projected_rto") == Verdict(
        "projected_rto",
        "fail",
        "unknown",
        "tier RTO 1.00 h",
        "no projected RTO: the service did not recover on staging while the fault was held",
    )


def test_rpo_zero_met_when_nothing_acknowledged_is_lost() -> None:
    assert verdict(GOOD, "rpo") == Verdict(
        "rpo",
        "pass",
        "0 lost of 5 acknowledged",
        "RPO 0 (no acknowledged ticket lost)",
        "no acknowledged ticket lost (5 checked against the final read)",
    )


def test_rpo_speaks_the_default_unit_when_the_plan_names_none() -> None:
    objectives = Objectives(rto_ns=s(3600), rpo_ns=0, recovery_bound_ns=s(30), steady_window_ns=s(10))

    assert verdict(GOOD, "rpo", objectives).message == (
        "no acknowledged write lost (5 checked against the final read)"
    )


def test_rpo_zero_missed_by_a_single_lost_unit() -> None:
    m = replace(GOOD, ledger=ledger(read={"c1", "c2", "c4", "c5"}, ack_ns={"c3": s(7)}))

    assert verdict(m, "rpo") == Verdict(
        "rpo",
        "fail",
        "1 lost of 5 acknowledged",
        "RPO 0 (no acknowledged ticket lost)",
        "RPO missed: 1 ticket acknowledged and lost, spanning 0.00 s; RPO 0 (no acknowledged ticket lost)",
    )


def test_a_lost_unit_counts_back_to_the_failure() -> None:
    # acknowledged 3 s before the fault at 7 s and gone: 3 s of work were lost, not 0
    m = replace(GOOD, ledger=ledger(read={"c1", "c2", "c4", "c5"}, ack_ns={"c3": s(4)}))

    assert verdict(m, "rpo").message == (
        "RPO missed: 1 ticket acknowledged and lost, spanning 3.00 s; RPO 0 (no acknowledged ticket lost)"
    )


def test_loss_within_a_nonzero_rpo_passes() -> None:
    objectives = replace(OBJECTIVES, rpo_ns=s(5))
    m = replace(GOOD, ledger=ledger(read={"c1", "c4", "c5"}, ack_ns={"c1": s(1), "c2": s(10), "c3": s(11.5)}))

    assert verdict(m, "rpo", objectives) == Verdict(
        "rpo",
        "pass",
        "2 lost of 5 acknowledged",
        "RPO 5.00 s",
        "2 tickets lost spanning 1.50 s, within RPO 5.00 s",
    )


def test_loss_spanning_exactly_the_rpo_passes() -> None:
    objectives = replace(OBJECTIVES, rpo_ns=s(5))
    m = replace(GOOD, ledger=ledger(read={"c1", "c4", "c5"}, ack_ns={"c2": s(10), "c3": s(15)}))

    assert verdict(m, "rpo", objectives).outcome == "pass"


def test_loss_spanning_more_than_the_rpo_says_rpo_missed() -> None:
    objectives = replace(OBJECTIVES, rpo_ns=s(5))
    m = replace(GOOD, ledger=ledger(read=set(), ack_ns={"c1": s(2), "c2": s(4), "c3": s(10)}))

    assert verdict(m, "rpo", objectives) == Verdict(
        "rpo",
        "fail",
        "5 lost of 5 acknowledged",
        "RPO 5.00 s",
        "RPO missed: 5 tickets acknowledged and lost, spanning 8.00 s; RPO 5.00 s",
    )


def test_rpo_unknown_without_the_final_read() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False))

    assert verdict(m, "rpo") == Verdict(
        "rpo",
        "unknown",
        "not measured",
        "RPO 0 (no acknowledged ticket lost)",
        "not judged: the final read did not happen",
    )


def test_rpo_unknown_when_the_final_read_failed_says_why() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False, read_failure=NO_READ))

    assert verdict(m, "rpo") == Verdict(
        "rpo",
        "unknown",
        "not measured",
        "RPO 0 (no acknowledged ticket lost)",
        f"not judged: {NO_READ}",
    )
    assert "0 lost" not in verdict(m, "rpo").measured


def test_drained_when_every_acknowledged_unit_was_done() -> None:
    assert verdict(GOOD, "drained") == Verdict(
        "drained",
        "pass",
        "0 not done",
        "0 not done",
        "every acknowledged ticket held was done after the fault",
    )


def test_not_drained_when_acknowledged_units_are_not_done() -> None:
    # c4 was never acknowledged: its being not done does not count
    m = replace(
        GOOD,
        ledger=ledger(
            {"c1", "c2", "c3"},
            read={"c1", "c2", "c3", "c4"},
            processed={"c1"},
            attempted={"c1", "c2", "c3", "c4"},
        ),
    )

    assert verdict(m, "drained") == Verdict(
        "drained",
        "fail",
        "2 not done",
        "0 not done",
        "2 tickets acknowledged and held, but never done by the end of the drain",
    )


def test_one_unit_not_done_is_counted_in_the_singular() -> None:
    m = replace(GOOD, ledger=ledger(processed={"c1", "c2", "c3", "c4"}))

    assert verdict(m, "drained").message == (
        "1 ticket acknowledged and held, but never done by the end of the drain"
    )


def test_drained_unknown_without_the_final_read() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False, read_failure=NO_READ))

    assert verdict(m, "drained") == Verdict(
        "drained", "unknown", "not measured", "0 not done", f"not judged: {NO_READ}"
    )


def test_no_unexpected_data() -> None:
    assert verdict(GOOD, "no_unexpected_data") == Verdict(
        "no_unexpected_data", "pass", "0", "0", "the system holds only tickets the drill wrote"
    )


def test_unexpected_data_in_the_system() -> None:
    m = replace(GOOD, ledger=ledger(read={"c1", "c2", "c3", "ghost"}))

    assert verdict(m, "no_unexpected_data") == Verdict(
        "no_unexpected_data", "fail", "1", "0", "the system holds 1 ticket the drill never wrote"
    )


def test_no_unexpected_data_cannot_pass_without_the_final_read() -> None:
    # Like "rpo" and "drained", this verdict is about what the system holds: without the final read nobody
    # looked, so it is unknown, never "the system holds only tickets the drill wrote".
    m = replace(GOOD, ledger=ledger(read_done=False, read_failure=NO_READ))

    assert verdict(m, "no_unexpected_data") == Verdict(
        "no_unexpected_data", "unknown", "not measured", "0", f"not judged: {NO_READ}"
    )


def test_time_to_failback_counts_from_the_revert_to_the_normal_signal() -> None:
    d = DrillScript()
    d.failover("normal", "primary")
    d.fault(Type.START)
    d.wait(0.4)
    d.failover("failed_over", "backup")
    d.wait(5)
    end = d.fault(Type.END)
    d.wait(1.2)
    back = d.failover("normal", "primary")

    m = measure(d.events(), s(1))

    assert m.time_to_failback_ns == back - end == s(1.2)
    assert m.time_to_failover_ns == s(0.4)


def test_a_baseline_probe_still_running_at_the_fault_does_not_judge_the_baseline() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(True, 3)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="late")
    d.wait(0.5)
    d.phase(Phase.BASELINE, Type.END)
    d.fault(Type.START)
    d.wait(2.5)
    d.journal.record(Kind.PROBE, Type.FAIL, "health", process="late")  # failed because of the fault

    m = measure(d.events(), s(1))

    assert (m.baseline_probes, m.baseline_failures) == (3, 0)


def test_without_a_fault_the_recovery_is_not_judged_and_says_why() -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(False, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.skipped()

    verdicts = {v.name: v for v in judge(measure(d.events(), s(1)), OBJECTIVES)}

    assert verdicts["baseline"].outcome == "fail"
    why = (
        "not judged: no fault was applied (steady state did not hold during the baseline, so the drill "
        "stopped before the fault)"
    )
    assert verdicts["recovery_bound"] == Verdict(
        "recovery_bound", "unknown", "not measured", "recover within 30.0 s, steady for 10.0 s", why
    )
    # nothing was injected, so nothing failed to recover: the projected RTO is no more judged than the bound
    assert verdicts["projected_rto"] == Verdict(
        "projected_rto", "unknown", "not measured", "tier RTO 1.00 h", why
    )


def test_a_switch_to_the_fallback_after_the_revert_is_no_failover() -> None:
    d = DrillScript()
    d.fault(Type.START)
    d.wait(10)
    d.fault(Type.END)
    d.wait(0.3)
    d.failover("failed_over", "backup")  # both were down; the fallback happened to answer first

    assert measure(d.events(), s(1)).time_to_failover_ns is None


# not measured: why a figure the scorecard leaves empty is empty


def test_a_drill_with_every_figure_measured_has_no_reason_to_give() -> None:
    assert not_measured(GOOD, OBJECTIVES) == {}


def test_the_realistic_drill_says_only_that_it_never_failed_back() -> None:
    m = measure(StandardDrill().events, s(10))

    assert not_measured(m, OBJECTIVES) == {
        "time_to_failback_s": "the failover signal never said normal again after the revert"
    }


def test_without_a_fault_no_time_is_measured_because_no_fault_was_applied() -> None:
    m = replace(
        GOOD,
        fault_start_ns=None,
        time_to_detect_ns=None,
        time_to_failover_ns=None,
        time_to_recover_ns=None,
        time_to_failback_ns=None,
    )

    assert not_measured(m, OBJECTIVES) == {
        "time_to_detect_s": "not measured, because no fault was applied",
        "time_to_failover_s": "not measured, because no fault was applied",
        "time_to_recover_s": "not measured, because no fault was applied",
        "time_to_failback_s": "not measured, because no fault was applied",
    }


def test_without_a_failover_signal_failover_and_failback_are_not_measured_and_say_what_to_declare() -> None:
    m = replace(GOOD, time_to_failover_ns=None, time_to_failback_ns=None)
    why = "not measured, because the plan declares no failover signal"

    assert not_measured(m, replace(OBJECTIVES, failover_signal=False)) == {
        "time_to_failover_s": why,
        "time_to_failback_s": why,
    }


def test_a_declared_failover_signal_that_never_switched_says_so() -> None:
    m = replace(GOOD, time_to_detect_ns=None, time_to_failover_ns=None, time_to_recover_ns=None)

    assert not_measured(m, OBJECTIVES) == {
        "time_to_detect_s": "no probe or write failed, and no probe was slow, while the fault was held",
        "time_to_failover_s": "the failover signal never said failed over while the fault was held",
        "time_to_recover_s": "steady state did not return while the fault was held",
    }


def test_without_the_final_read_every_ledger_figure_gives_the_reads_failure() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False, read_failure=NO_READ))

    assert not_measured(m, OBJECTIVES) == {
        f"ledger.{figure}": NO_READ
        for figure in ("lost", "done", "not_done", "read", "unexpected", "recovered")
    }


def test_a_final_read_that_never_happened_says_so() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False))

    assert set(not_measured(m, OBJECTIVES).values()) == {
        "not measured, because the final read did not happen"
    }


# a failure no probe sees, flagged by the system's own check (a quality watch): recovered when the check cleared


def _flagged_drill(cleared_at: float | None) -> list[Event]:
    """Probes every 0.5 s, all good; the fault held 8 s; the system's ``quality`` check flagged 1.2 s into it, and
    normal again at ``cleared_at`` (None: still flagged at the revert), each seen 0.2 s after the poll before."""
    d = DrillScript()
    d.signal("quality", "normal")
    d.probes(True, 4, latency=0.1)
    d.fault(Type.START)
    for tenth in range(80):
        at = tenth / 10
        if tenth % 5 == 0:
            d.probe(True, latency=0.05)
            d.wait(0.05)
        elif at in (1.2, cleared_at):
            before = d.clock.monotonic_ns() - s(0.2)
            state = "other" if at == 1.2 else "normal"
            d.journal.record(Kind.SIGNAL, Type.INFO, "quality", value=state, data={PREVIOUS_POLL: before})
            d.wait(0.1)
        else:
            d.wait(0.1)
    d.fault(Type.END)
    return d.events()


QUALITY = Criterion(metric="quality_check", window_ns=0, signal="quality")


def test_recovery_from_a_failure_only_the_systems_check_saw_is_dated_when_the_check_cleared() -> None:
    m = measure(_flagged_drill(3.2), s(2), criteria=[QUALITY])
    assert (m.interrupted, m.flagged_by_checks) == (True, ("quality",))
    assert m.time_to_recover_ns is not None and abs(m.time_to_recover_ns - s(3.2)) < s(0.06)
    [recovery] = [v for v in judge(m, OBJECTIVES) if v.name == "recovery_bound"]
    assert recovery.outcome == "pass"
    assert recovery.message.startswith("recovered in 3.")
    assert recovery.message.endswith(
        ", when the system's own check 'quality' cleared, within the staging bound of 30.0 s"
    )
    # without the criterion on the check, the probes saw nothing to recover from
    assert measure(_flagged_drill(3.2), s(2)).interrupted is False


def test_a_check_still_flagging_the_failure_at_the_revert_misses_the_recovery_bound() -> None:
    m = measure(_flagged_drill(None), s(2), criteria=[QUALITY])
    assert m.time_to_recover_ns is None
    [recovery] = [v for v in judge(m, OBJECTIVES) if v.name == "recovery_bound"]
    assert (recovery.outcome, recovery.measured) == ("fail", "not recovered")
    assert recovery.message == (
        "staging bound missed: the system's own check 'quality' still flagged the failure when the fault was "
        "reverted (staging bound 30.0 s)"
    )
