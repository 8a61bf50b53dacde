"""Recovery steps from the journal: each step's outcome, and the verdict a step that did not complete fails.

A drill whose automated recovery failed must not pass because the service came back by itself: the step's own
message fails the verdict it serves (recovery while the fault is held, fail-back after the revert).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from drdrill.journal import Type
from drdrill.measure.objectives import objectives_for
from drdrill.measure.steps import PlannedStep, StepResult, step_results
from drdrill.measure.verdicts import DrillEnd, Verdict, measure_and_judge
from drdrill.plan import Plan, load_plan
from tests.unit.measure.drill_timeline import (
    FAILBACK_STEP,
    FAILOVER_STEP,
    NO_SIGNAL,
    OBJECTIVES,
    DrillScript,
    s,
    stepped_drill,
)

PLANNED = (
    PlannedStep(FAILOVER_STEP, "provider-failover", "platform-engineer"),
    PlannedStep("Send the first notice to the client", None, "client-liaison", s(600)),
    PlannedStep(FAILBACK_STEP, "provider-failback", None, serves="failback"),
)
WITH_STEPS = replace(OBJECTIVES, steps=PLANNED)
ROOT = Path(__file__).resolve().parents[3]
RECOVERED = "recovered in 3.75 s (+0/-1.25 s), within the staging bound of 30.0 s"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


def judged(d: DrillScript, end: DrillEnd | None = None) -> dict[str, Verdict]:
    _, verdicts = measure_and_judge(d.events(), WITH_STEPS, end)
    return {v.name: v for v in verdicts}


def test_each_planned_step_gets_its_outcome_duration_and_words_from_the_journal() -> None:
    d = stepped_drill(failback=Type.FAIL, failback_detail="still 'backup' at the deadline")

    steps = step_results(d.events(), PLANNED)

    invoked = [e.t_ns for e in d.events() if e.kind == "step" and e.type == "invoke"]
    assert steps == (
        StepResult(
            FAILOVER_STEP,
            "provider-failover",
            "platform-engineer",
            "recovery",
            "ok",
            invoked_ns=invoked[0],
            duration_ns=s(1.5),
            detail="the failover signal says 'backup' (failed over)",
        ),
        StepResult(
            "Send the first notice to the client", None, "client-liaison", "recovery", "manual", s(600)
        ),
        StepResult(
            FAILBACK_STEP,
            "provider-failback",
            None,
            "failback",
            "failed",
            invoked_ns=invoked[1],
            duration_ns=s(1.2),
            detail="still 'backup' at the deadline",
        ),
    )


def test_a_planned_step_never_invoked_is_not_run_and_one_never_completed_is_unfinished() -> None:
    d = stepped_drill(failover=None, run_failback=False)

    outcomes = [(r.title, r.outcome, r.duration_ns) for r in step_results(d.events(), PLANNED)]

    assert outcomes == [
        (FAILOVER_STEP, "unfinished", None),
        ("Send the first notice to the client", "manual", None),
        (FAILBACK_STEP, "not_run", None),
    ]


def test_the_journal_says_what_a_step_serves_and_a_step_the_plan_does_not_list_is_kept() -> None:
    d = stepped_drill(serves=True)
    d.step("Page the on-call", "page-oncall", Type.OK, "paged", serves="failback")

    steps = step_results(d.events(), [replace(PLANNED[0], serves="failback")])

    assert [(r.title, r.serves, r.owner) for r in steps] == [
        (FAILOVER_STEP, "recovery", "platform-engineer"),  # the runner's word beats the plan's guess
        (FAILBACK_STEP, "failback", None),
        ("Page the on-call", "failback", None),
    ]


def test_a_repeated_title_is_matched_run_by_run() -> None:
    d = DrillScript()
    d.step("Restart", "restart-service", Type.FAIL, "first")
    d.step("Restart", "restart-service", Type.OK, "second")

    steps = step_results(d.events(), [PlannedStep("Restart", "restart-service")] * 2)

    assert [(r.outcome, r.detail) for r in steps] == [("failed", "first"), ("ok", "second")]


def test_steps_that_completed_pass_and_the_failback_verdict_names_them() -> None:
    verdicts = judged(stepped_drill())

    assert {v.name: v.outcome for v in verdicts.values()} == {
        "baseline": "pass",
        "recovery_bound": "pass",
        "projected_rto": "pass",
        "rpo": "pass",
        "drained": "pass",
        "no_unexpected_data": "pass",
        "failback": "pass",
    }
    assert verdicts["recovery_bound"].message == RECOVERED
    assert verdicts["failback"] == Verdict(
        "failback",
        "pass",
        "1 of 1 completed",
        "every automated fail-back step completes",
        f"every fail-back step completed: '{FAILBACK_STEP}' in 1.20 s "
        "(the failover signal says 'primary' (normal))",
    )


def test_a_failed_recovery_step_fails_recovery_with_its_own_words_though_the_service_came_back() -> None:
    verdicts = judged(stepped_drill(failover=Type.FAIL, failover_detail=NO_SIGNAL))

    assert verdicts["recovery_bound"] == Verdict(
        "recovery_bound",
        "fail",
        "3.75 s (+0/-1.25 s)",
        "recover within 30.0 s, steady for 10.0 s",
        f"the automated step '{FAILOVER_STEP}' failed: {NO_SIGNAL}; the service: {RECOVERED}",
    )
    assert verdicts["projected_rto"].outcome == "pass"  # the service's own recovery still projects
    assert verdicts["failback"].outcome == "pass"


def test_a_failed_failback_step_fails_the_failback_verdict_only() -> None:
    verdicts = judged(stepped_drill(failback=Type.FAIL, failback_detail="still 'backup' at the deadline"))

    assert verdicts["recovery_bound"].outcome == "pass"
    assert verdicts["failback"] == Verdict(
        "failback",
        "fail",
        "0 of 1 completed",
        "every automated fail-back step completes",
        f"the automated step '{FAILBACK_STEP}' failed: still 'backup' at the deadline",
    )


def test_a_step_never_run_in_a_drill_that_ran_to_its_end_fails_what_it_serves() -> None:
    verdicts = judged(stepped_drill(run_failback=False))

    assert verdicts["failback"].outcome == "fail"
    assert verdicts["failback"].message == f"the automated step '{FAILBACK_STEP}' never ran"


def test_a_step_cut_off_by_an_interrupt_is_not_judged_a_failure() -> None:
    end = DrillEnd("aborted", "interrupted (Ctrl-C) during the drain phase")
    verdicts = judged(stepped_drill(run_failback=False), end)

    assert verdicts["recovery_bound"].outcome == "pass"
    assert verdicts["failback"] == Verdict(
        "failback",
        "unknown",
        "0 of 1 completed",
        "every automated fail-back step completes",
        "not judged: the drill was interrupted (Ctrl-C) during the drain phase",
    )


def test_a_scenario_without_automated_steps_has_no_failback_verdict() -> None:
    _, verdicts = measure_and_judge(stepped_drill().events(), replace(OBJECTIVES, steps=PLANNED[1:2]))

    assert [v.name for v in verdicts] == [
        "baseline",
        "recovery_bound",
        "projected_rto",
        "rpo",
        "drained",
        "no_unexpected_data",
    ]
    # the journal's steps are still the drill's steps: they judge what they served
    assert verdicts[1].outcome == "pass"


def test_the_plans_steps_reach_measure_through_the_objectives(plan: Plan) -> None:
    steps = objectives_for(plan, plan.scenarios["provider-outage"]).steps

    assert [(p.title[:30], p.hook, p.owner, p.estimate_ns, p.serves) for p in steps] == [
        ("Worker fails over to the backu", "provider-failover", "platform-engineer", None, "recovery"),
        ("Send the first notice to the c", None, "client-liaison", s(600), "recovery"),
        ("Watch the provider's status pa", None, "platform-engineer", s(900), "recovery"),
        ("If the backup is unavailable t", None, "incident-lead", s(300), "recovery"),
        ("After the primary recovers, le", "provider-failback", None, None, "failback"),
        ("Run the golden test set before", None, "ml-engineer", s(900), "recovery"),
    ]
