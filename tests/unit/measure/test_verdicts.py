"""Figures taken from a journal, and every verdict judged on them, with the exact sentence a reader sees."""

from __future__ import annotations

from dataclasses import replace

import pytest

from drdrill.journal import Kind, Type
from drdrill.measure.ledger import Ledger, build_ledger
from drdrill.measure.verdicts import (
    BASELINE_PHASE,
    Measurements,
    Objectives,
    Verdict,
    judge,
    measure,
    measure_and_judge,
    seconds,
)
from tests.unit.measure.drill_timeline import DrillScript, StandardDrill, s

OBJECTIVES = Objectives(
    rto_ns=s(3600), rpo_ns=0, recovery_bound_ns=s(30), steady_window_ns=s(10), manual_ns=s(600)
)


def ledger(
    acknowledged: set[str] | None = None,
    read: set[str] | None = None,
    processed: set[str] | None = None,
    *,
    attempted: set[str] | None = None,
    read_done: bool = True,
    ack_ns: dict[str, int] | None = None,
) -> Ledger:
    acked = {"c1", "c2", "c3"} if acknowledged is None else acknowledged
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
        time_to_recover_ns=s(4.25),
        recovery_held_ns=s(11),
        fault_held_ns=s(16),
        baseline_probes=5,
        baseline_failures=0,
        probes=22,
        failed_probes=3,
        ledger=build_ledger(drill.events),
        fault_start_ns=drill.fault_start_ns,
        baseline_latency_ns=s(0.25),
    )


def test_measure_without_a_fault() -> None:
    d = DrillScript()
    d.phase(BASELINE_PHASE, Type.START)
    d.probes(True, 3)
    d.probes(False, 1)
    d.signal("active_provider", "backup")

    m = measure(d.events(), s(10))

    assert (m.time_to_detect_ns, m.time_to_failover_ns, m.time_to_recover_ns, m.fault_held_ns) == (
        None,
        None,
        None,
        None,
    )
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


def test_failover_only_counts_the_switch_to_the_backup_after_the_fault() -> None:
    d = DrillScript()
    d.signal("active_provider", "backup")
    d.wait(1)
    d.fault(Type.START)
    d.wait(2)
    d.signal("active_provider", "primary")
    d.wait(3)
    d.signal("active_provider", "backup")

    assert measure(d.events(), s(1)).time_to_failover_ns == s(5)


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
            "passed": True,
            "measured": "5/5 probes good",
            "objective": "every probe good",
            "message": "steady state held before the fault",
        },
        {
            "name": "recovery_bound",
            "passed": True,
            "measured": "4.25 s",
            "objective": "recover within 30.0 s, steady for 10.0 s",
            "message": "recovered in 4.25 s, within the staging bound of 30.0 s",
        },
        {
            "name": "projected_rto",
            "passed": True,
            "measured": "10.1 min (4.25 s measured + 10.0 min manual)",
            "objective": "tier RTO 1.00 h",
            "message": "projected RTO 10.1 min (4.25 s measured + 10.0 min manual) meets the tier RTO 1.00 h",
        },
        {
            "name": "rpo",
            "passed": True,
            "measured": "0 lost of 3 acknowledged",
            "objective": "RPO 0 (no acknowledged claim lost)",
            "message": "no acknowledged claim lost (3 checked)",
        },
        {
            "name": "drained",
            "passed": True,
            "measured": "0 pending",
            "objective": "0 pending",
            "message": "every acknowledged claim was classified after the fault",
        },
        {
            "name": "no_unexpected_data",
            "passed": True,
            "measured": "0",
            "objective": "0",
            "message": "the store holds only claims the workload wrote",
        },
    ]


def test_a_drill_that_never_recovers_misses_the_rto() -> None:
    d = DrillScript()
    d.phase(BASELINE_PHASE, Type.START)
    d.probes(True, 3)
    d.phase(BASELINE_PHASE, Type.END)
    d.fault(Type.START)
    d.probes(False, 30)
    d.probes(True, 5)  # not long enough for the 10 s steady window
    d.fault(Type.END)
    d.final_read(processed=[])

    _, verdicts = measure_and_judge(d.events(), OBJECTIVES)

    assert [(v.name, v.passed) for v in verdicts] == [
        ("baseline", True),
        ("recovery_bound", False),
        ("projected_rto", False),
        ("rpo", True),
        ("drained", True),
        ("no_unexpected_data", True),
    ]
    assert verdicts[1].message == (
        "RTO missed: steady state did not return during the 35.0 s the fault was held (staging bound 30.0 s)"
    )


# judge: one verdict at a time


def test_baseline_passes_when_every_probe_was_good() -> None:
    assert verdict(GOOD, "baseline") == Verdict(
        "baseline", True, "5/5 probes good", "every probe good", "steady state held before the fault"
    )


def test_baseline_fails_when_a_probe_failed() -> None:
    m = replace(GOOD, baseline_probes=5, baseline_failures=2)

    assert verdict(m, "baseline") == Verdict(
        "baseline",
        False,
        "3/5 probes good",
        "every probe good",
        "steady state did not hold before the fault: 2 probe(s) failed",
    )


def test_baseline_fails_without_probes() -> None:
    m = replace(GOOD, baseline_probes=0, baseline_failures=0)

    assert verdict(m, "baseline") == Verdict(
        "baseline",
        False,
        "0/0 probes good",
        "every probe good",
        "no probe completed before the fault, so there is no steady state to compare with",
    )


def test_recovery_within_the_staging_bound() -> None:
    assert verdict(GOOD, "recovery_bound") == Verdict(
        "recovery_bound",
        True,
        "4.00 s",
        "recover within 30.0 s, steady for 10.0 s",
        "recovered in 4.00 s, within the staging bound of 30.0 s",
    )


def test_recovery_exactly_at_the_staging_bound_passes() -> None:
    m = replace(GOOD, time_to_recover_ns=s(30))

    assert verdict(m, "recovery_bound").passed is True
    assert verdict(m, "recovery_bound").message == "recovered in 30.0 s, within the staging bound of 30.0 s"


def test_recovery_over_the_staging_bound_says_rto_missed_and_by_how_much() -> None:
    m = replace(GOOD, time_to_recover_ns=s(42.5))

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        False,
        "42.5 s",
        "recover within 30.0 s, steady for 10.0 s",
        "RTO missed: recovered in 42.5 s, 12.5 s over the staging bound of 30.0 s",
    )


def test_recovery_one_nanosecond_over_the_bound_fails() -> None:
    m = replace(GOOD, time_to_recover_ns=s(30) + 1)

    assert verdict(m, "recovery_bound").passed is False
    assert verdict(m, "recovery_bound").message == (
        "RTO missed: recovered in 30.0 s, 0.00 s over the staging bound of 30.0 s"
    )


def test_no_recovery_says_rto_missed_and_how_long_the_fault_was_held() -> None:
    m = replace(GOOD, time_to_recover_ns=None, recovery_held_ns=s(3), fault_held_ns=s(90))

    assert verdict(m, "recovery_bound") == Verdict(
        "recovery_bound",
        False,
        "not recovered",
        "recover within 30.0 s, steady for 10.0 s",
        "RTO missed: steady state did not return during the 90.0 s the fault was held (staging bound 30.0 s)",
    )


def test_no_recovery_while_the_fault_is_still_held_reads_as_a_sentence() -> None:
    # A journal that ends with the fault in place (a drill aborted before the revert) has no fault_held_ns.
    d = DrillScript()
    d.phase(BASELINE_PHASE, Type.START)
    d.probes(True, 3)
    d.phase(BASELINE_PHASE, Type.END)
    d.fault(Type.START)
    d.probes(False, 40)
    m, _ = measure_and_judge(d.events(), OBJECTIVES)
    assert m.fault_held_ns is None

    found = verdict(m, "recovery_bound")

    assert found.passed is False
    assert found.message.startswith("RTO missed: steady state did not return")
    assert "during the not observed the fault was held" not in found.message


def test_projected_rto_meets_the_tier_rto() -> None:
    assert verdict(GOOD, "projected_rto") == Verdict(
        "projected_rto",
        True,
        "10.1 min (4.00 s measured + 10.0 min manual)",
        "tier RTO 1.00 h",
        "projected RTO 10.1 min (4.00 s measured + 10.0 min manual) meets the tier RTO 1.00 h",
    )


def test_projected_rto_exactly_at_the_tier_rto_passes() -> None:
    objectives = replace(OBJECTIVES, rto_ns=s(604))

    assert verdict(GOOD, "projected_rto", objectives).passed is True


def test_projected_rto_over_the_tier_rto_says_by_how_much() -> None:
    objectives = replace(OBJECTIVES, rto_ns=s(300), manual_ns=s(320))

    assert verdict(GOOD, "projected_rto", objectives) == Verdict(
        "projected_rto",
        False,
        "5.4 min (4.00 s measured + 5.3 min manual)",
        "tier RTO 5.0 min",
        "projected RTO 5.4 min (4.00 s measured + 5.3 min manual) exceeds the tier RTO 5.0 min by 24.0 s",
    )


def test_projected_rto_without_manual_steps() -> None:
    objectives = replace(OBJECTIVES, rto_ns=s(2), manual_ns=0)

    assert verdict(GOOD, "projected_rto", objectives).message == (
        "projected RTO 4.00 s (4.00 s measured + 0.00 s manual) exceeds the tier RTO 2.00 s by 2.00 s"
    )


def test_projected_rto_unknown_without_a_recovery() -> None:
    m = replace(GOOD, time_to_recover_ns=None)

    assert verdict(m, "projected_rto") == Verdict(
        "projected_rto",
        False,
        "unknown",
        "tier RTO 1.00 h",
        "no projected RTO: the automated recovery never completed",
    )


def test_rpo_zero_met_when_nothing_acknowledged_is_lost() -> None:
    assert verdict(GOOD, "rpo") == Verdict(
        "rpo",
        True,
        "0 lost of 3 acknowledged",
        "RPO 0 (no acknowledged claim lost)",
        "no acknowledged claim lost (3 checked)",
    )


def test_rpo_zero_missed_by_a_single_lost_claim() -> None:
    m = replace(GOOD, ledger=ledger(read={"c1", "c2"}, ack_ns={"c3": s(7)}))

    assert verdict(m, "rpo") == Verdict(
        "rpo",
        False,
        "1 lost of 3 acknowledged",
        "RPO 0 (no acknowledged claim lost)",
        "RPO missed: 1 acknowledged claim(s) lost, spanning 0.00 s; RPO 0 (no acknowledged claim lost)",
    )


def test_loss_within_a_nonzero_rpo_passes() -> None:
    objectives = replace(OBJECTIVES, rpo_ns=s(5))
    m = replace(GOOD, ledger=ledger(read={"c1"}, ack_ns={"c1": s(1), "c2": s(10), "c3": s(11.5)}))

    assert verdict(m, "rpo", objectives) == Verdict(
        "rpo",
        True,
        "2 lost of 3 acknowledged",
        "RPO 5.00 s",
        "2 claim(s) lost spanning 1.50 s, within RPO 5.00 s",
    )


def test_loss_spanning_exactly_the_rpo_passes() -> None:
    objectives = replace(OBJECTIVES, rpo_ns=s(5))
    m = replace(GOOD, ledger=ledger(read={"c1"}, ack_ns={"c2": s(10), "c3": s(15)}))

    assert verdict(m, "rpo", objectives).passed is True


def test_loss_spanning_more_than_the_rpo_says_rpo_missed() -> None:
    objectives = replace(OBJECTIVES, rpo_ns=s(5))
    m = replace(GOOD, ledger=ledger(read=set(), ack_ns={"c1": s(2), "c2": s(4), "c3": s(10)}))

    assert verdict(m, "rpo", objectives) == Verdict(
        "rpo",
        False,
        "3 lost of 3 acknowledged",
        "RPO 5.00 s",
        "RPO missed: 3 acknowledged claim(s) lost, spanning 8.00 s; RPO 5.00 s",
    )


def test_rpo_unknown_without_the_final_read() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False))

    assert verdict(m, "rpo") == Verdict(
        "rpo",
        False,
        "no final read",
        "RPO 0 (no acknowledged claim lost)",
        "the final read did not happen, so data loss is unknown",
    )


def test_drained_when_every_acknowledged_claim_was_processed() -> None:
    assert verdict(GOOD, "drained") == Verdict(
        "drained", True, "0 pending", "0 pending", "every acknowledged claim was classified after the fault"
    )


def test_not_drained_when_acknowledged_claims_are_pending() -> None:
    # c4 was never acknowledged: its being pending does not count
    m = replace(
        GOOD,
        ledger=ledger(read={"c1", "c2", "c3", "c4"}, processed={"c1"}, attempted={"c1", "c2", "c3", "c4"}),
    )

    assert verdict(m, "drained") == Verdict(
        "drained", False, "2 pending", "0 pending", "2 acknowledged claim(s) were never classified"
    )


def test_drained_unknown_without_the_final_read() -> None:
    m = replace(GOOD, ledger=ledger(read_done=False))

    assert verdict(m, "drained") == Verdict(
        "drained", False, "unknown", "0 pending", "the final read did not happen"
    )


def test_no_unexpected_data() -> None:
    assert verdict(GOOD, "no_unexpected_data") == Verdict(
        "no_unexpected_data", True, "0", "0", "the store holds only claims the workload wrote"
    )


def test_unexpected_data_in_the_store() -> None:
    m = replace(GOOD, ledger=ledger(read={"c1", "c2", "c3", "ghost"}))

    assert verdict(m, "no_unexpected_data") == Verdict(
        "no_unexpected_data",
        False,
        "1",
        "0",
        "1 claim(s) in the store were never submitted by the workload",
    )


def test_no_unexpected_data_cannot_pass_without_the_final_read() -> None:
    # Like "rpo" and "drained", this verdict is about what the store holds: without the final read nobody
    # looked, so it must not claim that "the store holds only claims the workload wrote".
    m = replace(GOOD, ledger=ledger(read_done=False))

    found = verdict(m, "no_unexpected_data")

    assert found.passed is False
    assert found.message != "the store holds only claims the workload wrote"


def test_time_to_failback_counts_from_the_revert_to_the_primary_signal() -> None:
    d = DrillScript()
    d.signal("active_provider", "primary")
    d.fault(Type.START)
    d.wait(0.4)
    d.signal("active_provider", "backup")
    d.wait(5)
    end = d.fault(Type.END)
    d.wait(1.2)
    back = d.signal("active_provider", "primary")

    m = measure(d.events(), s(1))

    assert m.time_to_failback_ns == back - end == s(1.2)
    assert m.time_to_failover_ns == s(0.4)


def test_a_baseline_probe_still_running_at_the_fault_does_not_judge_the_baseline() -> None:
    d = DrillScript()
    d.phase(BASELINE_PHASE, Type.START)
    d.probes(True, 3)
    d.journal.record(Kind.PROBE, Type.INVOKE, "health", process="late")
    d.wait(0.5)
    d.phase(BASELINE_PHASE, Type.END)
    d.fault(Type.START)
    d.wait(2.5)
    d.journal.record(Kind.PROBE, Type.FAIL, "health", process="late")  # failed because of the fault

    m = measure(d.events(), s(1))

    assert (m.baseline_probes, m.baseline_failures) == (3, 0)


def test_without_a_fault_the_recovery_is_not_measured_and_says_why() -> None:
    d = DrillScript()
    d.phase(BASELINE_PHASE, Type.START)
    d.probes(False, 3)
    d.phase(BASELINE_PHASE, Type.END)

    verdicts = {v.name: v for v in judge(measure(d.events(), s(1)), OBJECTIVES)}

    assert verdicts["baseline"].passed is False
    assert verdicts["recovery_bound"] == Verdict(
        "recovery_bound",
        False,
        "not measured",
        "recover within 30.0 s, steady for 10.0 s",
        "not measured: no fault was injected (the drill stops before the fault when the baseline is not steady)",
    )


def test_a_switch_to_the_backup_after_the_revert_is_no_failover() -> None:
    d = DrillScript()
    d.fault(Type.START)
    d.wait(10)
    d.fault(Type.END)
    d.wait(0.3)
    d.signal("active_provider", "backup")  # both providers were down; the backup happened to answer first

    assert measure(d.events(), s(1)).time_to_failover_ns is None
