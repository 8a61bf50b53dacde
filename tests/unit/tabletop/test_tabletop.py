"""Tabletop scripts: every part is there, figures from a drill fill the report, plan text is escaped in HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.plan import Plan, load_plan
from drdrill.tabletop import fill_template, render_tabletop, write_tabletop

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


def test_measured_figures_fill_the_after_action_report(plan: Plan) -> None:
    measured = {
        "time_to_detect_s": 2.4,
        "time_to_recover_s": 11.8,
        "lost": 0,
        "verdict": "pass",
        "failovers": 1,
    }
    text = render_tabletop(plan, plan.scenarios["provider-outage"], "md", measured)
    assert "| Time to detect (staging) | within 2 seconds | 2.4 s |" in text
    assert "| Automated recovery (staging) | within 30 seconds | 11.8 s |" in text
    assert "| Projected RTO (measured + manual estimates) | 4 hours | 45 minutes 12 seconds |" in text
    assert "| Acknowledged claims lost | 0 | 0 |" in text
    assert "| Verdict |  | pass |" in text
    assert "| failovers |  | 1 |" in text


def test_without_figures_the_report_is_a_blank_form(plan: Plan) -> None:
    text = render_tabletop(plan, plan.scenarios["provider-outage"], "md")
    assert "| Time to detect (staging) | within 2 seconds |  |" in text


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
