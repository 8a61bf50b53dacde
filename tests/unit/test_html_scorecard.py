"""The client's HTML scorecard, rendered from scorecard JSON alone."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from drdrill.plan import Plan, load_plan
from drdrill.report.html import render_html
from tests.unit.measure.drill_timeline import standard_scorecard

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


def test_page_states_the_outcome_objectives_and_ledger(plan: Plan) -> None:
    page = render_html(standard_scorecard(plan, "passed"), "reports/x/scorecard.json")
    assert page.startswith("<!DOCTYPE html>")
    assert "Passed: every objective was met" in page
    assert "<h1>Primary AI provider outage</h1>" in page
    assert "<td>Automated recovery (staging)</td><td>within 30.0 s, steady for 10.0 s</td>" in page
    assert "<td class='num'>4.25 s</td><td><span class='pass'>met</span></td>" in page
    assert "Detection criteria of the plan held" in page and "error rate above 0.5 for 5 minutes" in page
    assert page.count("<circle") == 22  # one mark per completed probe
    assert "reports/x/scorecard.json" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_everything_from_the_plan_or_the_system_is_escaped(plan: Plan) -> None:
    card = copy.deepcopy(standard_scorecard(plan, "failed"))
    card["scenario"]["title"] = "<script>alert('x')</script>"
    card["error"] = "compose said <b>no</b> & left"
    card["scenario"]["faults"] = ["down <img src=x onerror=alert(1)>"]
    page = render_html(card)
    assert "<script>" not in page and "<img" not in page and "<b>no</b>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "compose said &lt;b&gt;no&lt;/b&gt; &amp; left" in page
    assert re.search(r"Failed: the system missed at least one objective", page)
