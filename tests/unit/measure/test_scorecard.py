"""The scorecard (its JSON at the boundary) and the terminal summary, built from a scripted journal (no Docker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drdrill.journal import Phase, Type
from drdrill.plan import Plan, load_plan
from drdrill.report.schema import SCHEMA, Scorecard, UnitWords, load_checked
from drdrill.report.scorecard import write_scorecard
from drdrill.report.terminal import summary_lines
from tests.unit.measure.drill_timeline import DrillScript, standard_scorecard
from tests.unit.ticket_plan import write_ticket_plan

ROOT = Path(__file__).resolve().parents[3]
V1_SCORECARD = ROOT / "tests" / "unit" / "data" / "scorecard-v1.json"
READ_FAILED = "not measured, because the final read failed: ConnectError: [Errno 111] Connection refused"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


@pytest.fixture(scope="module")
def tickets(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("helpdesk"))


def unread_drill() -> DrillScript:
    """A drill that recovered, but whose final read failed: 2 tickets acknowledged, 1 unknown."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.submit("t1", Type.OK)
    d.probes(True, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.fault(Type.START, "kill responder (SIGKILL)")
    d.probes(False, 2)
    d.submit("t2", Type.OK)
    d.submit("t3", Type.INFO)
    d.probes(True, 4)
    d.fault(Type.END, "kill responder (SIGKILL)")
    d.final_read_failed(READ_FAILED)
    return d


def unread_scorecard(plan: Plan) -> Scorecard:
    return standard_scorecard(
        plan,
        "failed",
        scenario="responder-crash",
        faults=["kill responder (SIGKILL)"],
        events=unread_drill().events(),
    )


def test_scorecard_holds_figures_in_seconds_and_the_timeline(plan: Plan) -> None:
    card = standard_scorecard(plan).to_json()
    assert card["schema"] == SCHEMA == "drdrill.scorecard/2"
    assert card["unit"] == {"one": "claim", "many": "claims"}  # the bundled plan's own words
    measurements = card["measurements"]
    assert isinstance(measurements, dict)
    assert measurements["time_to_detect_s"] == 0.75
    assert measurements["time_to_detect_bound_s"] == [0.75, 0.0]  # the service may have broken at the fault
    assert measurements["time_to_detect_by_plan_s"] == 1.0  # first 1 s window of the fault with errors > 50 %
    assert measurements["time_to_detect_by_plan_bound_s"] == [0.05, 0.0]  # the criteria's 50 ms grid
    assert measurements["time_to_failover_s"] == 3.5
    assert measurements["time_to_failover_bound_s"] == [3.5, 0.0]  # no previous poll in the script
    # when the first probe of the final run completed (writes were back earlier); the last symptom began at
    # F+2.5 s
    assert measurements["time_to_recover_s"] == 3.6
    assert measurements["time_to_recover_bound_s"] == [1.1, 0.65]
    assert measurements["time_to_failback_bound_s"] is None
    assert (measurements["interruption_seen"], measurements["unseen_gap_s"]) == (True, None)
    assert measurements["in_fault"] == {"good_probes": 12, "acknowledged": 5}
    assert measurements["projected_rto_s"] == 3.6 + 45 * 60
    assert measurements["ledger"] == {
        "attempted": 10,
        "acknowledged": 7,
        "failed": 1,
        "indeterminate": 2,
        "read": 8,
        "done": 7,
        "not_done": 0,
        "lost": 0,
        "unexpected": 0,
        "recovered": 1,  # c4 timed out for the client but was held
    }
    assert (measurements["lost_ids"], measurements["not_done_ids"], measurements["lost_window_s"]) == (
        [],
        [],
        0.0,
    )
    assert measurements["not_measured"] == {
        "time_to_failback_s": "the failover signal never said normal again after the revert"
    }
    assert [(v["name"], v["outcome"], v["passed"]) for v in card["verdicts"]] == [
        ("baseline", "pass", True),
        ("recovery_bound", "pass", True),
        ("projected_rto", "pass", True),
        ("rpo", "pass", True),
        ("drained", "pass", True),
        ("no_unexpected_data", "pass", True),
    ]
    timeline = card["timeline"]
    assert isinstance(timeline, list)
    assert timeline[0]["t_s"] == 0.0
    assert all({"t_ns", "utc", "kind", "type", "name"} <= set(e) for e in timeline)
    assert not any(e["kind"] == "read" for e in timeline)  # the big final read is summarised, not repeated


def test_scorecard_without_a_final_read_has_no_figure_the_read_feeds_and_says_why(tickets: Plan) -> None:
    card = unread_scorecard(tickets).to_json()
    m = card["measurements"]

    assert card["unit"] == {"one": "ticket", "many": "tickets"}
    assert m["ledger"] == {
        "attempted": 3,
        "acknowledged": 2,
        "failed": 0,
        "indeterminate": 1,
        "read": None,
        "done": None,
        "not_done": None,
        "lost": None,
        "unexpected": None,
        "recovered": None,
    }
    assert m["lost_window_s"] is None
    assert (m["lost_ids"], m["unexpected_ids"], m["not_done_ids"]) == ([], [], [])
    assert {k: v for k, v in m["not_measured"].items() if k.startswith("ledger.")} == {
        f"ledger.{figure}": READ_FAILED
        for figure in ("lost", "done", "not_done", "read", "unexpected", "recovered")
    }
    verdicts = {v["name"]: v for v in card["verdicts"]}
    assert verdicts["rpo"] == {
        "name": "rpo",
        "outcome": "unknown",
        "passed": False,
        "measured": "not measured",
        "objective": "RPO 0 (no acknowledged ticket lost)",
        "message": f"not judged: {READ_FAILED}",
    }
    assert (verdicts["drained"]["outcome"], verdicts["no_unexpected_data"]["outcome"]) == (
        "unknown",
        "unknown",
    )


def test_scorecard_round_trips_through_json(plan: Plan, tmp_path: Path) -> None:
    card = standard_scorecard(plan)
    path = write_scorecard(card, tmp_path / "run" / "scorecard.json")
    assert load_checked(path) == card
    assert json.loads(path.read_text(encoding="utf-8")) == card.to_json()
    assert not list(tmp_path.glob("run/*.tmp"))


def test_load_scorecard_rejects_other_json(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"schema": "something-else"}')
    with pytest.raises(ValueError) as info:
        load_checked(other)
    assert str(info.value) == (
        f"{other}: not a drdrill scorecard this drdrill reads (its schema is 'something-else'; it reads "
        "'drdrill.scorecard/2' and 'drdrill.scorecard/1'); give the scorecard.json a drill wrote, or render it "
        "with the drdrill version that wrote it"
    )


def test_load_scorecard_refuses_a_cut_scorecard_with_one_line_naming_the_key(
    tmp_path: Path, plan: Plan
) -> None:
    card = standard_scorecard(plan, status="passed").to_json()
    del card["measurements"]["ledger"]["acknowledged"]
    cut = tmp_path / "scorecard.json"
    cut.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_checked(cut)
    assert str(info.value) == (
        f"{cut}: not a valid drdrill.scorecard/2 scorecard: measurements.ledger.acknowledged: field required; "
        "it was changed or cut short since the drill wrote it: re-run the drill, or restore the file"
    )


def test_load_scorecard_still_reads_schema_1() -> None:
    card = load_checked(V1_SCORECARD)

    # Upgraded to /2 on the way in: the words it was written in, /2's ledger names, verdict outcomes.
    assert card.schema_id == "drdrill.scorecard/2"
    assert card.unit == UnitWords(one="claim", many="claims")
    ledger = card.measurements.ledger
    assert (ledger.done, ledger.not_done) == (3, 0) and "processed" not in (ledger.model_extra or {})
    assert "unprocessed_ids" not in (card.measurements.model_extra or {})
    assert {v.outcome for v in card.verdicts} == {"pass"}


def test_summary_lines_read_in_human_units(plan: Plan) -> None:
    lines = summary_lines(standard_scorecard(plan, status="passed"), "reports/x/scorecard.json")
    assert lines == [
        "drill provider-outage (tier 1, software): PASSED",
        "  faults: down primary-provider",
        "  time to detect: 0.75 s (+0/-0.75 s)",
        "  time to fail over: 3.50 s (+0/-3.50 s)",
        "  time to recover: 3.60 s (+0.65/-1.10 s); staging bound 30.0 s",
        "  the plan's detection criteria held 1.00 s (+0/-0.05 s) after the fault started",
        "  fail back after the revert: the failover signal never said normal again after the revert; "
        "projected RTO 45.1 min against the tier RTO 4.00 h",
        "  claims: 7 acknowledged, 7 done, 0 lost, 0 never done, 2 unknown",
        "  RPO window: no acknowledged claim lost (objective: no acknowledged claim lost)",
        "  Work done twice: not measured: the system does not say how many times it did each one "
        "(final_read.times) (objective: no claim done twice)",
        "  [PASS] baseline: steady state held before the fault",
        "  [PASS] recovery_bound: recovered in 3.60 s (+0.65/-1.10 s), within the staging bound of 30.0 s",
        "  [PASS] projected_rto: projected RTO 45.1 min (3.60 s measured + 45.0 min manual) meets the tier RTO "
        "4.00 h",
        "  [PASS] rpo: no acknowledged claim lost (7 checked against the final read)",
        "  [PASS] drained: every acknowledged claim held was done after the fault",
        "  [PASS] no_unexpected_data: the system holds only claims the drill wrote",
        "  cleanup: replica drdrill-abc123 removed",
        "  scorecard: reports/x/scorecard.json",
        "  for the client: reports/x/scorecard.html",
    ]


def test_summary_without_a_final_read_says_why_and_never_zero_lost(tickets: Plan) -> None:
    lines = summary_lines(unread_scorecard(tickets))

    assert f"  tickets: 2 acknowledged, 1 unknown; lost and done {READ_FAILED}" in lines
    assert f"  [UNKNOWN] rpo: not judged: {READ_FAILED}" in lines
    assert f"  [UNKNOWN] drained: not judged: {READ_FAILED}" in lines
    assert not [line for line in lines if "0 lost" in line]


def test_summary_of_a_drill_stopped_before_the_fault_says_no_fault_was_applied(tickets: Plan) -> None:
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.probes(False, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.skipped()
    d.final_read(held=[], done=[])
    card = standard_scorecard(tickets, "failed", scenario="responder-crash", faults=[], events=d.events())

    lines = summary_lines(card)

    assert lines[1:6] == [
        "  faults: none",
        "  time to detect: not measured, because no fault was applied",
        "  time to fail over: not measured, because no fault was applied",
        "  time to recover: not measured, because no fault was applied; staging bound 30.0 s",
        "  the plan's detection criteria were not checked, because no fault was applied",
    ]
    why = (
        "not judged: no fault was applied (steady state did not hold during the baseline, so the drill "
        "stopped before the fault)"
    )
    assert [line for line in lines if line.startswith("  [")] == [
        "  [FAIL] baseline: steady state did not hold before the fault: 3 probe(s) failed (3x probe)",
        f"  [UNKNOWN] recovery_bound: {why}",
        f"  [UNKNOWN] projected_rto: {why}",
        f"  [UNKNOWN] rpo: {why}",
        f"  [UNKNOWN] drained: {why}",
        f"  [UNKNOWN] no_unexpected_data: {why}",
    ]


def test_summary_of_a_schema_1_scorecard_reads_through_the_old_names() -> None:
    lines = summary_lines(load_checked(V1_SCORECARD))

    assert lines[0] == "drill provider-outage (tier 1, software): PASSED"
    # /1 came from the claims system only: its unit is claims, its ledger said processed / unprocessed
    assert "  claims: 3 acknowledged, 3 done, 0 lost, 0 never done, 2 unknown" in lines
    # a /1 verdict has only `passed`: the view reads its outcome from that
    assert "  [PASS] rpo: no acknowledged claim lost (3 checked)" in lines
    assert "  time to fail over: 3.50 s" in lines
    assert (
        "  fail back after the revert: not observed; projected RTO 45.1 min against the tier RTO 4.00 h"
        in lines
    )
