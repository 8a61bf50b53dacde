"""The Chaos Toolkit journal of a drill, checked with chaostoolkit-lib itself (chaoslib)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from chaoslib.experiment import ensure_experiment_is_valid, run_experiment
from chaoslib.loader import load_experiment

from drdrill.cli import main
from drdrill.plan import Plan
from drdrill.report.chaostoolkit import chaostoolkit_journal
from drdrill.report.schema import Scorecard
from tests.unit.measure.drill_timeline import edited
from tests.unit.report.cards import read_v1, unfaulted_card, unread_card, varied_card, write_run

CHAOSLIB_STATUSES = {"completed", "failed", "aborted", "interrupted"}  # chaoslib.run: "the spec only allows"


def _failed(plan: Plan) -> Scorecard:
    """Recovered in 41 s, over the staging bound of 30 s: the recovery bound missed, the tier RTO met."""

    def miss(data: dict[str, Any]) -> None:
        bound = next(v for v in data["verdicts"] if v["name"] == "recovery_bound")
        bound.update(outcome="fail", passed=False, measured="41.0 s")

    return edited(varied_card(plan, "failed", recover=41.0), miss)


@pytest.fixture(scope="module")
def reference(plan: Plan) -> dict[str, Any]:
    """A journal chaoslib writes itself, running the experiment of an exported drill."""
    experiment = chaostoolkit_journal(varied_card(plan, "passed"))["experiment"]
    return dict(run_experiment(experiment, settings={}))


def _missing(ours: dict[str, Any], theirs: dict[str, Any]) -> set[str]:
    return set(theirs) - set(ours)


def _same_shape(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Every key chaoslib writes is in ours: the journal, its steady states, their probes, runs, rollbacks."""
    assert _missing(ours, theirs) == set()
    assert _missing(ours["steady_states"], theirs["steady_states"]) == set()
    for state in ("before", "after"):
        assert _missing(ours["steady_states"][state], theirs["steady_states"][state]) == set()
        mine, reference = (
            ours["steady_states"][state]["probes"][0],
            theirs["steady_states"][state]["probes"][0],
        )
        assert _missing(mine, reference) == set()
    for key in ("run", "rollbacks"):
        assert _missing(ours[key][0], theirs[key][0]) == set()


def test_the_journal_has_every_field_chaoslib_writes(plan: Plan, reference: dict[str, Any]) -> None:
    ours = chaostoolkit_journal(varied_card(plan, "passed"))
    assert reference["run"] and reference["rollbacks"] and reference["steady_states"]["after"]
    _same_shape(ours, reference)


def test_chaoslib_loads_the_file_and_accepts_its_experiment(plan: Plan, tmp_path: Path) -> None:
    scorecard = write_run(tmp_path, "run-1", _failed(plan))
    out = tmp_path / "journal.json"
    assert main(["export", "--chaostoolkit", str(scorecard), "-o", str(out)]) == 0
    loaded = load_experiment(str(out))  # chaoslib's own file loader
    assert loaded == json.loads(out.read_text())
    ensure_experiment_is_valid(loaded["experiment"])  # raises on anything chaoslib would refuse to run


def test_a_passed_drill_completes_without_deviation(plan: Plan) -> None:
    journal = chaostoolkit_journal(varied_card(plan, "passed"))
    assert (journal["status"], journal["deviated"]) == ("completed", False)
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    assert [r["activity"]["name"] for r in journal["run"]] == ["inject down primary-provider"]
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["revert down primary-provider"]
    run = journal["run"][0]
    assert (run["start"], run["end"], run["duration"], run["status"]) == (
        "2026-01-01T00:00:06.000000+00:00",
        "2026-01-01T00:00:22.000000+00:00",
        16.0,
        "succeeded",
    )


def test_a_failed_drill_deviates_and_names_the_missed_objective(plan: Plan) -> None:
    journal = chaostoolkit_journal(_failed(plan))
    assert (journal["status"], journal["deviated"]) == ("completed", True)
    after = journal["steady_states"]["after"]
    assert after["steady_state_met"] is False
    missed = [p["activity"]["name"] for p in after["probes"] if not p["tolerance_met"]]
    assert missed == ["recovery_bound"]


def test_a_drill_whose_baseline_did_not_hold_fails_before_the_method(plan: Plan) -> None:
    journal = chaostoolkit_journal(unfaulted_card(plan))
    before = journal["steady_states"]["before"]
    assert before["steady_state_met"] is False
    assert [(p["activity"]["name"], p["status"]) for p in before["probes"]] == [("baseline", "succeeded")]
    assert journal["run"] == [] and journal["rollbacks"] == []  # the drill stopped before the fault
    # chaoslib's gate: only the probes before the method count, although recovery was never judged after it
    after = {p["activity"]["name"]: p["status"] for p in journal["steady_states"]["after"]["probes"]}
    assert (after["recovery_bound"], after["projected_rto"]) == ("failed", "failed")
    assert (journal["status"], journal["deviated"]) == ("completed", False)


def test_an_unmeasured_verdict_is_a_probe_that_failed(plan: Plan) -> None:
    journal = chaostoolkit_journal(unread_card(plan, "no final read"))
    probes = {p["activity"]["name"]: p for p in journal["steady_states"]["after"]["probes"]}
    rpo = probes["rpo"]
    assert (rpo["status"], rpo["tolerance_met"], rpo["output"]) == (
        "failed",
        False,
        "not judged: no final read",
    )
    assert [n for n, p in probes.items() if p["status"] == "failed"] == [
        "rpo",
        "drained",
        "no_unexpected_data",
    ]
    assert (journal["status"], journal["deviated"]) == ("failed", True)


@pytest.mark.parametrize(("status", "expected"), [("errored", "failed"), ("aborted", "interrupted")])
def test_errored_and_aborted_runs_keep_their_meaning(plan: Plan, status: str, expected: str) -> None:
    journal = chaostoolkit_journal(varied_card(plan, status, error="replica did not start"))
    assert (journal["status"], journal["deviated"]) == (expected, False)
    assert journal["status"] in CHAOSLIB_STATUSES
    assert journal["error"] == "replica did not start"


def test_export_defaults_beside_the_scorecard(
    plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scorecard = write_run(tmp_path, "run-1", varied_card(plan))
    assert main(["export", "--chaostoolkit", str(scorecard)]) == 0
    written = scorecard.with_name("chaostoolkit-journal.json")
    assert capsys.readouterr().out == f"wrote {written}\n"
    assert json.loads(written.read_text())["experiment"]["extensions"][0]["scorecard"] == str(scorecard)


def test_export_of_a_file_that_is_no_scorecard_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    assert main(["export", "--chaostoolkit", str(other)]) == 2
    assert capsys.readouterr().err.startswith(
        f"drdrill: error: {other}: not a drdrill scorecard this drdrill reads ("
    )


def test_a_v1_scorecard_exports_alike(plan: Plan) -> None:
    v2 = chaostoolkit_journal(_failed(plan))
    v1 = chaostoolkit_journal(read_v1(_failed(plan)))
    assert v1["experiment"]["extensions"][0]["schema"] == "drdrill.scorecard/2"  # upgraded as it was read
    assert (v1["status"], v1["deviated"]) == (v2["status"], v2["deviated"]) == ("completed", True)
    assert v1["steady_states"] == v2["steady_states"]
