"""RPO as a window, work done twice, data checks and step durations: pure functions on literal journals."""

from __future__ import annotations

from typing import Any

from drdrill.journal import DATA_CHECK, DONE_TWICE, FINAL_READ, Event, Kind, Type
from drdrill.measure.checks import CheckResult, data_check_results
from drdrill.measure.duplicates import done_twice
from drdrill.measure.ledger import build_ledger
from drdrill.measure.recovery_point import LossWindow, loss_window
from drdrill.measure.steps import step_results
from drdrill.measure.verdicts import Measurements, Objectives, Words, judge

S = 1_000_000_000


def ev(seq: int, t_s: float, kind: Kind, type_: Type, name: str, **more: Any) -> Event:
    return Event(seq, round(t_s * S), "2026-01-01T00:00:00+00:00", kind, type_, name, **more)


def writes(*acks: tuple[str, float]) -> list[Event]:
    out: list[Event] = []
    for unit, t in acks:
        out.append(ev(len(out), t - 0.01, Kind.OP, Type.INVOKE, "submit", value=unit))
        out.append(ev(len(out), t, Kind.OP, Type.OK, "submit", value=unit))
    return out


def test_the_loss_window_counts_back_from_the_failure() -> None:
    events = [
        *writes(("a", 7.0), ("b", 9.2), ("c", 9.9), ("d", 11.0)),
        ev(99, 20.0, Kind.READ, Type.OK, FINAL_READ, data={"held": ["a", "d"], "done": ["a", "d"]}),
    ]
    window = loss_window(build_ledger(events), failure_ns=10 * S)
    assert window == LossWindow(
        ids=("b", "c"), oldest_before_ns=800_000_000, newest_before_ns=100_000_000, span_ns=800_000_000
    )


def test_no_window_when_nothing_was_lost_or_nothing_was_read() -> None:
    acked = writes(("a", 7.0))
    assert loss_window(build_ledger(acked), 10 * S) is None  # no final read: unknown, not "nothing lost"
    read = ev(9, 20.0, Kind.READ, Type.OK, FINAL_READ, data={"held": ["a"], "done": ["a"]})
    assert loss_window(build_ledger([*acked, read]), 10 * S) is None


def measured(events: list[Event]) -> Measurements:
    ledger = build_ledger(events)
    return Measurements(
        time_to_detect_ns=None,
        time_to_failover_ns=None,
        time_to_recover_ns=0,
        recovery_held_ns=0,
        fault_held_ns=1 * S,
        baseline_probes=3,
        baseline_failures=0,
        probes=10,
        failed_probes=0,
        ledger=ledger,
        fault_start_ns=10 * S,
        acknowledged_in_fault=10,
        good_probes_in_fault=5,
        loss=loss_window(ledger, 10 * S),
        done_twice=done_twice(events, frozenset({"probe-1"})),
        data_checks=data_check_results(events),
        steps=step_results(events),
    )


OBJECTIVES = Objectives(
    rto_ns=3600 * S,
    rpo_ns=60 * S,
    recovery_bound_ns=30 * S,
    steady_window_ns=2 * S,
    unit=Words("claim", "claims"),
    rpo_bound_ns=1 * S,
    counts_done=True,
)


def test_a_loss_over_the_staging_rpo_bound_misses_it_with_the_ids_and_the_window() -> None:
    events = [
        *writes(("a", 7.0), ("b", 8.5), ("c", 9.9)),
        ev(99, 20.0, Kind.READ, Type.OK, FINAL_READ, data={"held": ["a"], "done": ["a"], DONE_TWICE: {}}),
    ]
    verdict = {v.name: v for v in judge(measured(events), OBJECTIVES)}["rpo"]
    assert (verdict.outcome, verdict.message) == (
        "fail",
        "RPO missed: 2 claims acknowledged and lost, spanning 1.50 s, acknowledged between 1.50 s and 0.10 s "
        "before the failure (ids b, c); RPO 1.00 s (the tier's RPO 60.0 s at staging scale)",
    )


def test_a_loss_within_the_staging_rpo_bound_passes_and_says_so() -> None:
    events = [
        *writes(("a", 7.0), ("c", 9.9)),
        ev(99, 20.0, Kind.READ, Type.OK, FINAL_READ, data={"held": ["a"], "done": ["a"], DONE_TWICE: {}}),
    ]
    verdict = {v.name: v for v in judge(measured(events), OBJECTIVES)}["rpo"]
    assert (verdict.outcome, verdict.message) == (
        "pass",
        "1 claim lost spanning 0.10 s, acknowledged 0.10 s before the failure (ids c), within RPO 1.00 s "
        "(the tier's RPO 60.0 s at staging scale)",
    )


def test_work_done_twice_fails_and_names_it_and_probe_units_do_not_count() -> None:
    events = [
        *writes(("a", 7.0), ("b", 8.0)),
        ev(
            99,
            20.0,
            Kind.READ,
            Type.OK,
            FINAL_READ,
            data={"held": ["a", "b"], "done": ["a", "b"], DONE_TWICE: {"b": 2, "probe-1": 3}},
        ),
    ]
    verdict = {v.name: v for v in judge(measured(events), OBJECTIVES)}["no_duplicates"]
    assert (verdict.outcome, verdict.message) == ("fail", "1 claim done more than once: b (2 times)")


def test_duplicates_are_not_judged_when_the_system_does_not_count() -> None:
    events = [
        *writes(("a", 7.0)),
        ev(9, 20.0, Kind.READ, Type.OK, FINAL_READ, data={"held": ["a"], "done": ["a"]}),
    ]
    verdict = {v.name: v for v in judge(measured(events), OBJECTIVES)}["no_duplicates"]
    assert (verdict.outcome, verdict.message) == (
        "unknown",
        "not judged: the final read did not say how many times each was done (final_read.times)",
    )


def check(seq: int, name: str, type_: Type, **data: Any) -> Event:
    return ev(seq, 30.0 + seq, Kind.CHECK, type_, DATA_CHECK, process=name, data=data)


def test_data_checks_are_judged_on_what_the_queries_found() -> None:
    events = [
        *writes(("a", 7.0)),
        ev(9, 20.0, Kind.READ, Type.OK, FINAL_READ, data={"held": ["a"], "done": ["a"], DONE_TWICE: {}}),
        check(10, "no-stuck", Type.INVOKE),
        check(11, "no-stuck", Type.OK, value=0, expect=0),
        check(12, "labels", Type.INVOKE),
        check(13, "labels", Type.FAIL, value=4, expect=0),
        check(14, "late", Type.INVOKE),
    ]
    assert data_check_results(events) == (
        CheckResult("no-stuck", "pass", 0, 0),
        CheckResult("labels", "fail", 4, 0),
        CheckResult("late", "unknown", why="it did not complete: the drill stopped"),
    )
    verdict = {v.name: v for v in judge(measured(events), OBJECTIVES)}["data_checks"]
    assert (verdict.outcome, verdict.measured, verdict.message) == (
        "fail",
        "1/3 passed",
        "data check failed: labels: found 4, expected 0",
    )


def test_each_step_has_its_duration_and_outcome() -> None:
    events = [
        ev(
            0,
            10.0,
            Kind.STEP,
            Type.INVOKE,
            "Promote",
            value="exec",
            data={"serves": "recovery", "action": "exec"},
        ),
        ev(1, 10.25, Kind.STEP, Type.OK, "Promote", value="exec", data={"detail": "server promoted"}),
        ev(
            2,
            10.25,
            Kind.STEP,
            Type.INVOKE,
            "Fail back",
            value="provider-failback",
            data={"serves": "failback"},
        ),
        ev(
            3,
            12.0,
            Kind.STEP,
            Type.FAIL,
            "Fail back",
            value="provider-failback",
            data={"detail": "still backup"},
        ),
        ev(
            4,
            13.0,
            Kind.STEP,
            Type.INVOKE,
            "Rebuild",
            value="http",
            data={"serves": "recovery", "action": "http"},
        ),
    ]
    runs = step_results(events)
    assert [(r.title, r.action, r.serves, r.outcome, r.duration_ns, r.detail) for r in runs] == [
        ("Promote", "exec", "recovery", "ok", 250_000_000, "server promoted"),
        ("Fail back", None, "failback", "failed", 1_750_000_000, "still backup"),
        ("Rebuild", "http", "recovery", "unfinished", None, None),
    ]


def test_a_golden_set_and_a_recall_are_read_back_from_the_journal_as_scored() -> None:
    from drdrill.journal import GOLDEN_SET, INDEX_RECALL  # noqa: PLC0415
    from drdrill.measure.checks import Miss, ScoreResult, golden_set_result, index_recall_result  # noqa: PLC0415

    miss = {"text": "Hail dented the car", "expected": "auto", "got": "property"}
    events = [
        ev(0, 1.0, Kind.CHECK, Type.INVOKE, GOLDEN_SET, data={"minimum": 0.9}),
        ev(
            1,
            2.0,
            Kind.CHECK,
            Type.FAIL,
            GOLDEN_SET,
            data={"minimum": 0.9, "score": 0.5, "right": 2, "total": 4, "answered": 3, "misses": [miss]},
        ),
        ev(2, 2.5, Kind.CHECK, Type.INVOKE, INDEX_RECALL, data={"minimum": 0.9, "k": 10}),
    ]
    assert golden_set_result(events) == ScoreResult(
        "fail",
        0.9,
        score=0.5,
        right=2,
        total=4,
        answered=3,
        misses=(Miss("Hail dented the car", "auto", "property"),),
    )
    # invoked, never completed: the drill stopped during it, so the score is unknown, never 0
    assert index_recall_result(events) == ScoreResult(
        "unknown", 0.9, why="it did not complete: the drill stopped"
    )
    assert golden_set_result(events[2:]) is None  # never started: no score at all
