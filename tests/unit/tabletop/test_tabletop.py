"""Tabletop scripts: every part is there, figures from a drill fill the report, plan text is escaped in HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.journal import Type
from drdrill.plan import Plan, load_plan
from drdrill.tabletop import fill_template, render_tabletop, write_tabletop
from tests.unit.measure.drill_timeline import FAILBACK_STEP, FAILOVER_STEP, standard_scorecard, stepped_drill

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(REPO / "scenarios")


SECTIONS = [
    "Situation manual",
    "Narrative",
    "Exercise modules",
    "Expected actions",
    "Communication deadlines",
    "Facilitator's guide",
    "Hot wash",
    "After-action report and improvement plan",
]


@pytest.mark.parametrize("name", ["provider-outage", "regional-failure", "security-breach", "backup-restore"])
def test_markdown_has_every_part_in_order(plan: Plan, name: str) -> None:
    text = render_tabletop(plan, plan.scenarios[name], "md")
    positions = [text.index(f"## {section}") for section in SECTIONS]
    assert positions == sorted(positions)
    assert "### T+0 — Module 1: Something is wrong" in text


def test_modules_follow_the_clock_and_include_scripted_injects(plan: Plan) -> None:
    text = render_tabletop(plan, plan.scenarios["provider-outage"], "md")
    marks = [line.split(" — ")[0][4:] for line in text.splitlines() if line.startswith("### T+")]
    assert marks == ["T+0", "T+15 min", "T+20 min", "T+30 min", "T+1 h", "T+1 h 15 min", "T+1 h 30 min"]
    assert "asks whether OpenAI is to blame" in text


def test_expected_actions_come_from_the_recovery_steps(plan: Plan) -> None:
    scenario = plan.scenarios["provider-outage"]
    text = render_tabletop(plan, scenario, "md")
    for step in scenario.recovery:
        assert step.title in text
    assert (
        "| 1 | Worker fails over to the backup provider after repeated primary failures | automated" in text
    )
    assert "Declared manual time adds up to 45 minutes" in text


def test_communication_deadlines(plan: Plan) -> None:
    text = render_tabletop(plan, plan.scenarios["provider-outage"], "md")
    assert "| First notice | within 15 minutes of detection |" in text
    assert "| Status updates | every 1 hour until resolved |" in text
    assert "| Resolution notice | within 30 minutes of restoration |" in text
    assert "| Post-incident report | within 2 days of detection |" in text


def _after_action(text: str) -> list[list[str]]:
    """The rows of the after-action report's measures table, cells unescaped of Markdown."""
    table = text.split("## After-action report and improvement plan")[1].split(
        "*Improvement plan*", maxsplit=1
    )[0]
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip().replace("\\", "") for cell in row.strip("|").split(" | ")] for row in rows]


def test_a_drills_scorecard_fills_every_cell_of_the_after_action_report(plan: Plan) -> None:
    events = stepped_drill(failover=Type.FAIL, failover_detail="no signal", stuck=["c3"]).events()
    card = standard_scorecard(plan, "failed", events=events, with_steps=True)

    rows = _after_action(
        render_tabletop(plan, plan.scenarios["provider-outage"], "md", card, "r/scorecard.json")
    )

    assert rows == [
        ["Time to detect (staging)", "within 2 seconds", "1.75 s (+0/-1.75 s)"],
        ["Recovery on staging", "within the staging bound of 30 seconds", "3.75 s (+0/-1.25 s)"],
        [
            "Time to fail over (staging)",
            "dated by the system's own failover signal",
            "not measured: the failover signal never said failed over while the fault was held",
        ],
        ["Projected RTO (measured + manual estimates)", "4 hours", "45 minutes 4 seconds"],
        ["Acknowledged claims lost", "0 (an RPO of zero)", "0 claims"],
        [f"Step: {FAILOVER_STEP} (automated)", "completes", "failed after 1.50 s (no signal)"],
        [
            f"Step: {FAILBACK_STEP} (automated)",
            "completes",
            "completed in 1.20 s (the failover signal says 'primary' (normal))",
        ],
        # the data after recovery, as on the client's page
        ["RPO window", "no acknowledged claim lost", "no acknowledged claim lost"],
        [
            "Work done twice",
            "no claim done twice",
            "not measured: the system does not say how many times it did each one (final_read.times)",
        ],
        [
            "Verdict",
            "every objective met",
            "FAILED: recovery on staging within the staging bound of 30.0 s (missed); every acknowledged claim "
            "done after the fault (missed)",
        ],
        [
            "Drill run",
            "the staging drill these figures come from",
            "abc123 at 2026-01-01T00:00:00.000000+00:00; scorecard r/scorecard.json",
        ],
    ]


def test_a_figure_the_drill_did_not_measure_says_why_never_none_or_blank(plan: Plan) -> None:
    d = stepped_drill(run_failback=False)
    events = [e for e in d.events() if e.kind != "read"]  # the drill stopped before its final read
    card = standard_scorecard(plan, "aborted", events=events, error="interrupted (Ctrl-C)", with_steps=True)

    rows = _after_action(render_tabletop(plan, plan.scenarios["provider-outage"], "md", card))

    assert rows[4][2] == "not measured: the final read did not happen: the drill was interrupted (Ctrl-C)"
    assert rows[6][2] == "not measured: the step never ran"
    for row in rows:
        assert all(cell and cell != "None" and "_s" not in cell for cell in row), row


def test_without_a_drill_every_result_says_it_was_not_measured(plan: Plan) -> None:
    rows = _after_action(render_tabletop(plan, plan.scenarios["provider-outage"], "md"))

    assert [row[0] for row in rows] == [
        "Time to detect (staging)",
        "Recovery on staging",
        "Time to fail over (staging)",
        "Projected RTO (measured + manual estimates)",
        "Acknowledged claims lost",
        f"Step: {FAILOVER_STEP} (automated)",
        f"Step: {FAILBACK_STEP} (automated)",
        "Verdict",
    ]
    assert {row[2] for row in rows} == {
        "not measured: no staging drill was given; fill in from the exercise notes"
    }


def test_html_is_self_contained_and_escapes_plan_text(plan: Plan) -> None:
    scenario = plan.scenarios["provider-outage"]
    hostile = scenario.model_copy(
        update={"title": "<script>alert(1)</script> & co", "narrative": 'A "quoted" <b>'}
    )
    page = render_tabletop(plan, hostile, "html")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in page
    assert "A &quot;quoted&quot; &lt;b&gt;" in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from elsewhere


def test_write_tabletop_writes_both_formats(plan: Plan, tmp_path: Path) -> None:
    paths = write_tabletop(plan, plan.scenarios["zone-failure"], tmp_path / "out")
    assert [p.name for p in paths] == ["zone-failure.md", "zone-failure.html"]
    assert all(p.read_text(encoding="utf-8") for p in paths)


def test_unknown_format_is_refused(plan: Plan) -> None:
    with pytest.raises(ValueError, match="unknown tabletop format 'pdf'; known: md, html"):
        render_tabletop(plan, plan.scenarios["zone-failure"], "pdf")  # type: ignore[arg-type]


def test_fill_template_keeps_unknown_placeholders_visible() -> None:
    assert fill_template("{system} is  down; {who}", {"system": "the api"}) == "The api is down; [who]"
