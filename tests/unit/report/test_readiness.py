"""The readiness report and its history model: one row per plan scenario, staleness, trends, runs not counted."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from drdrill.cli import main
from drdrill.plan import Plan
from drdrill.plan.lints import assess_maturity, lint_plan
from drdrill.plan.standing import drill_standing
from drdrill.report.history import configuration_changes, lapsed, read_history, readiness
from drdrill.report.readiness import SERIES, render_readiness, trend_svg
from drdrill.report.schema import ConfigurationCard, Scorecard
from tests.unit.measure.drill_timeline import edited
from tests.unit.report.cards import (
    as_v1,
    read_v1,
    restamp,
    unread_card,
    unrecovered_card,
    varied_card,
    write_run,
)
from tests.unit.report.test_bounded_views import quiet_card

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 11, 22)


@pytest.fixture
def reports(plan: Plan, tmp_path: Path) -> Path:
    """provider-outage: passed in March (schema /1), failed in May (/1, slower, 3 lost), failed in September
    (/2, its final read timed out), then an errored and an aborted run; provider-hang: one passed drill long
    ago."""
    out = tmp_path / "reports"
    r1 = varied_card(plan, "passed", "2026-03-01T02:00:00+00:00", recover=4.0, run_id="r1")
    write_run(out, "r1", as_v1(r1))
    r2 = varied_card(plan, "failed", "2026-05-09T02:00:00+00:00", recover=41.0, lost=3, run_id="r2")
    write_run(out, "r2", as_v1(r2))
    r3 = restamp(
        unread_card(plan, "the final read timed out"), None, "2026-09-01T02:00:00+00:00", run_id="r3"
    )
    write_run(out, "r3", r3)
    write_run(
        out,
        "r4",
        varied_card(
            plan,
            "errored",
            "2026-10-01T02:00:00+00:00",
            run_id="r4",
            error="replica did not start: <port 5432 taken>",
        ),
    )
    write_run(out, "r5", varied_card(plan, "aborted", "2026-10-02T02:00:00+00:00", run_id="r5"))
    write_run(
        out,
        "h1",
        varied_card(plan, "passed", "2025-01-05T02:00:00+00:00", scenario="provider-hang", run_id="h1"),
    )
    return out


def test_errored_and_aborted_runs_are_kept_but_never_count(plan: Plan, reports: Path) -> None:
    history = read_history(reports)
    assert [r.card.run_id for r in history.runs] == ["h1", "r1", "r2", "r3", "r4", "r5"]
    assert [r.card.run_id for r in history.drills] == ["h1", "r1", "r2", "r3"]
    assert history.last_drilled == {"provider-hang": date(2025, 1, 5), "provider-outage": date(2026, 9, 1)}


def test_one_row_per_plan_scenario_with_its_standing(plan: Plan, reports: Path) -> None:
    rows = {r.scenario.name: r for r in readiness(plan, read_history(reports), TODAY)}
    assert list(rows) == list(plan.scenarios)
    outage = rows["provider-outage"]
    assert outage.last_drill is not None and outage.last_drill.card.run_id == "r3"
    assert outage.last_run is not None and outage.last_run.card.status == "aborted"
    assert (outage.standing.last, outage.standing.overdue) == (date(2026, 9, 1), False)
    assert rows["provider-hang"].standing.overdue  # 90-day cadence, drilled in January 2025
    assert rows["zone-failure"].standing.never_drilled


def test_overdue_is_the_same_for_lint_and_history(plan: Plan, reports: Path) -> None:
    """The lint's drill-overdue finding and the report's overdue flag come from one standing."""
    history = read_history(reports)
    overdue = {r.scenario.name for r in readiness(plan, history, TODAY) if r.standing.overdue}
    report = lint_plan(plan, today=TODAY, drilled=history.last_drilled)
    linted = {
        m.group(1)
        for f in report.findings
        if f.code == "drill-overdue"
        for m in [re.search(r"scenario '([^']+)'", f.message)]
        if m
    }
    assert overdue == linted and "provider-hang" in overdue


def test_standing_due_day_is_on_time_the_day_after_is_overdue(plan: Plan) -> None:
    scenario = plan.scenarios["provider-outage"]  # cadence 90 days, no history in the plan
    last = date(2026, 1, 1)
    on_due_day = drill_standing(scenario, last + timedelta(days=90), last)
    assert (on_due_day.overdue, on_due_day.decay) == (False, 1.0)
    assert drill_standing(scenario, last + timedelta(days=91), last).overdue


def test_a_scenario_without_cadence_is_due_semi_annually(plan: Plan) -> None:
    scenario = plan.scenarios["zone-failure"]
    assert "cadence" not in scenario.drills.model_fields_set
    assert scenario.drills.cadence == timedelta(days=182)


def test_lapsed_picks_tier_one_unless_asked_for_every_tier(plan: Plan, reports: Path) -> None:
    rows = readiness(plan, read_history(reports), TODAY)
    tier1 = {r.scenario.name for r in lapsed(rows)}
    assert tier1 and all(plan.scenarios[n].tier == 1 for n in tier1)
    assert "provider-outage" not in tier1 and "provider-hang" in tier1
    assert {r.scenario.name for r in lapsed(rows, tier=None)} >= tier1


def test_trend_chart_draws_every_drill_the_objective_and_a_hollow_mark_when_not_measured(plan: Plan) -> None:
    cards = [read_v1(varied_card(plan, recover=4.0)), varied_card(plan, recover=41.0)]
    cards.append(restamp(unrecovered_card(plan), started="2026-06-02T02:00:00.000000+00:00"))
    recover = next(s for s in SERIES if s.title == "time to recover")
    svg = trend_svg(recover, cards)
    assert svg.count("<circle") == 3
    assert (
        "<circle cx='164.0' cy='40.0' r='3' fill='#fff' stroke='#8c959f'><title>2026-06-02T02:00:00.000000+00:00: "
        "time to recover not measured (steady state did not return while the fault was held)</title></circle>"
    ) in svg
    assert "stroke-dasharray='4 3'><title>objective 30.0 s</title>" in svg
    assert (
        "latest not measured (steady state did not return while the fault was held) · objective 30.0 s"
    ) in svg
    assert trend_svg(recover, []) == "<span class='chart-note'>no drill yet</span>"


def test_report_page_shows_each_run_as_it_was(plan: Plan, reports: Path, tmp_path: Path) -> None:
    maturity = assess_maturity(plan)
    page = render_readiness(plan, read_history(reports), maturity, TODAY, reports)
    assert f"<b>Maturity level {maturity.level} of 3.</b>" in page
    assert page.count("<tr><td><b>") == len(plan.scenarios)
    assert "overdue by " in page and "never drilled" in page
    assert "replica did not start: &lt;port 5432 taken&gt;" in page  # escaped, never raw
    assert "<port" not in page
    assert page.count("not counted as a drill") == 2
    assert "<td>not measured (the final read timed out)</td>" in page  # r3, schema /2
    # a run that did not pass says why, in the plan's words
    assert ("<li class='sub'>Not judged: no acknowledged claim lost: the final read timed out.</li>") in page
    assert "<td>3 claims</td>" in page and "<td>0 claims</td>" in page  # r2 and r1, schema /1
    assert "no lost claim for an RPO of zero" in page
    assert "href='r1/scorecard.json'" in page  # relative to the page, beside the reports
    assert "@media print" in page and "@page" in page


def test_one_lost_unit_is_said_in_the_singular(plan: Plan, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_run(reports, "r1", varied_card(plan, "failed", lost=1, run_id="r1"))
    page = render_readiness(plan, read_history(reports), assess_maturity(plan), TODAY, reports)
    assert "<td>1 claim</td>" in page


def test_report_page_is_self_contained(plan: Plan, reports: Path) -> None:
    page = render_readiness(plan, read_history(reports), assess_maturity(plan), TODAY, reports)
    assert "<script" not in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)
    assert "url(" not in page


def test_history_command_writes_the_page_and_lists_standing(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", str(reports), "--plan", str(ROOT / "scenarios"), "--today", "2026-11-22"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"4 drill(s) found in {reports} (2 errored or aborted run(s) not counted)"
    assert "  provider-outage (tier 1): last drilled 2026-09-01, due by 2026-11-30" in out
    assert "  provider-hang (tier 1): last drilled 2025-01-05, OVERDUE" in out
    assert out[-1].startswith("wrote ") and out[-1].endswith("readiness.html")
    assert (reports / "readiness.html").read_text().startswith("<!DOCTYPE html>")


def test_history_of_a_missing_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == (
        f"drdrill: error: {tmp_path / 'nope'}: no such directory (it holds one folder per drill run)\n"
    )


def test_lint_fail_on_overdue_fails_for_a_lapsed_tier_one_scenario(
    reports: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["lint", str(ROOT / "scenarios"), "--reports", str(reports), "--today", "2026-11-22"]
    assert main(args) == 0  # without --fail-on, staleness is a warning
    capsys.readouterr()
    assert main([*args, "--fail-on", "overdue"]) == 1
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("--fail-on overdue: tier-1 scenario(s) never drilled or overdue: ")
    assert "provider-hang" in last and "provider-outage" not in last


def _configured(card_plan: Plan, run_id: str, started: str, **configuration: object) -> Scorecard:
    card = varied_card(card_plan, "passed", started, run_id=run_id)
    base = {
        "compose_file": "compose.yaml",
        "compose_digest": "sha256:aaaa",
        "environment": {"H1_PRIMARY_URL": "http://llm-main:8000"},
        "images": {"worker": "sha256:1111"},
        "plan_digest": "sha256:pppp",
    }
    return edited(card, lambda d: d.update(configuration={**base, **configuration}))


def test_history_says_when_two_runs_drilled_different_configurations(
    plan: Plan, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    write_run(
        reports, "a", varied_card(plan, "passed", "2026-10-01T02:00:00+00:00", run_id="a")
    )  # none recorded
    write_run(reports, "b", _configured(plan, "b", "2026-10-02T02:00:00+00:00"))
    write_run(reports, "c", _configured(plan, "c", "2026-10-03T02:00:00+00:00"))
    changed = _configured(
        plan,
        "d",
        "2026-10-04T02:00:00+00:00",
        environment={"H1_PRIMARY_URL": "http://llm-main:8000", "H1_FALLBACK_URL": ""},
        images={"worker": "sha256:2222"},
    )
    write_run(reports, "d", changed)

    assert main(["history", str(reports), "--plan", str(ROOT / "scenarios"), "--today", "2026-11-22"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert (
        "    runs c and d drilled different configurations: variable H1_FALLBACK_URL set to '' (unset before); "
        "image of worker changed from 'sha256:1111' to 'sha256:2222'"
    ) in out
    assert not [line for line in out if "runs b and c" in line or "runs a and b" in line]
    page = (reports / "readiness.html").read_text()
    assert "configuration differs from the previous run: variable H1_FALLBACK_URL set to &#x27;&#x27;" in page


def test_configuration_changes_name_each_part_that_differs() -> None:
    before = ConfigurationCard(
        compose_digest="sha256:a", plan_digest="sha256:p", environment={"X": "1", "Y": "2"}
    )
    after = ConfigurationCard(compose_digest="sha256:b", plan_digest="sha256:p", environment={"X": "3"})

    assert configuration_changes(before, after) == [
        "compose file changed (sha256:a to sha256:b)",
        "variable X changed from '1' to '3'",
        "variable Y unset (was '2')",
    ]
    assert configuration_changes(before, before) == []


def test_a_run_nothing_interrupted_reads_as_such_never_as_zero_seconds(plan: Plan, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    write_run(reports, "q", restamp(quiet_card(plan), "passed", "2026-11-01T02:00:00+00:00", run_id="q"))

    page = render_readiness(plan, read_history(reports), assess_maturity(plan), TODAY, reports)

    runs = page.split("<h2>Every run</h2>")[1]
    assert "<td class='num'>no interruption seen</td>" in runs
    assert "0.00 s" not in runs
