"""Drill history read from scorecards, and the drill lints that use it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from drdrill.cli import main
from drdrill.plan import Plan, load_plan
from drdrill.plan.lints import lint_plan
from drdrill.report.history import read_history
from drdrill.report.scorecard import write_scorecard
from tests.unit.measure.drill_timeline import edited, standard_scorecard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


def _write(plan: Plan, reports: Path, run: str, status: str, started: str) -> Path:
    card = edited(standard_scorecard(plan, status), lambda d: d.update(started_utc=started))
    return write_scorecard(card, reports / run / "scorecard.json")


def test_latest_completed_drill_per_scenario(plan: Plan, tmp_path: Path) -> None:
    _write(plan, tmp_path, "a", "passed", "2026-03-01T02:00:00.000000+00:00")
    _write(
        plan, tmp_path, "b", "failed", "2026-05-09T02:00:00.000000+00:00"
    )  # a failed drill was still drilled
    _write(plan, tmp_path, "c", "errored", "2026-06-01T02:00:00.000000+00:00")  # the tool failed: not drilled
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "scorecard.json").write_text("{not json")

    history = read_history(tmp_path)

    assert history.last_drilled == {"provider-outage": date(2026, 5, 9)}
    assert len(history.drills) == 2
    assert [r.card.status for r in history.runs] == ["passed", "failed", "errored"]  # shown, not counted
    assert len(history.unreadable) == 1 and history.unreadable[0].startswith(
        f"{tmp_path / 'd' / 'scorecard.json'}: "
    )


def test_a_recent_drill_silences_never_drilled_and_an_old_one_is_overdue(plan: Plan) -> None:
    def codes(drilled: dict[str, date]) -> set[str]:
        report = lint_plan(plan, today=date(2026, 11, 22), drilled=drilled)
        return {f.code for f in report.findings if "'provider-outage'" in f.message}

    assert codes({}) == {"never-drilled"}
    assert codes({"provider-outage": date(2026, 10, 1)}) == set()
    assert codes({"provider-outage": date(2026, 1, 1)}) == {"drill-overdue"}  # cadence 90 days


def test_lint_reads_the_reports_directory(
    plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(plan, tmp_path, "a", "passed", "2026-11-01T02:00:00.000000+00:00")
    code = main(["lint", str(ROOT / "scenarios"), "--reports", str(tmp_path), "--today", "2026-11-22"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"1 drill(s) found in {tmp_path}" in out
    assert "scenario 'provider-outage' was never drilled" not in out
    assert "scenario 'zone-failure' was never drilled" in out


def test_lint_with_a_missing_reports_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["lint", str(ROOT / "scenarios"), "--reports", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"drdrill: error: --reports {missing}: no such directory (it holds one folder per drill run)\n"
    )
