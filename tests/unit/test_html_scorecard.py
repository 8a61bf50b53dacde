"""The client's HTML scorecard, rendered from scorecard JSON alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from drdrill.journal import Phase, Type
from drdrill.plan import Plan, load_plan
from drdrill.report.html import render_html
from drdrill.report.schema import load_checked
from drdrill.report.terminal import summary_lines
from tests.unit.measure.drill_timeline import DrillScript, edited, standard_scorecard
from tests.unit.ticket_plan import write_ticket_plan

ROOT = Path(__file__).resolve().parents[2]
V1_SCORECARD = ROOT / "tests" / "unit" / "data" / "scorecard-v1.json"
READ_FAILED = "not measured, because the final read failed: ConnectError: [Errno 111] Connection refused"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


def test_page_states_the_outcome_objectives_and_ledger(plan: Plan) -> None:
    page = render_html(standard_scorecard(plan, "passed"), "reports/x/scorecard.json")
    assert page.startswith("<!DOCTYPE html>")
    assert "Passed: every objective was met" in page
    assert "<h1>Primary AI provider outage</h1>" in page
    assert (
        "<td>Recovery on staging</td><td>within the staging bound of 30.0 s, steady for 10.0 s</td>" in page
    )
    assert "<td class='num'>3.60 s (+0.65/-1.10 s)</td><td><span class='pass'>met</span></td>" in page
    assert "the service was back after 3.60 s (+0.65/-1.10 s)" in page
    assert "<td>First symptom seen</td><td>—</td><td class='num'>0.75 s (+0/-0.75 s)</td>" in page
    assert "<td class='num'>1.00 s (+0/-0.05 s)</td>" in page  # when the plan's criteria held
    assert "<td class='num'>3.50 s (+0/-3.50 s)</td>" in page  # failed over
    assert "Detection criteria of the plan held" in page and "error rate above 0.5 for 5 minutes" in page
    assert page.count("<circle") == 22  # one mark per completed probe
    assert "reports/x/scorecard.json" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


def test_everything_from_the_plan_or_the_system_is_escaped(plan: Plan) -> None:
    def hostile(card: dict[str, Any]) -> None:
        card["scenario"]["title"] = "<script>alert('x')</script>"
        card["error"] = "compose said <b>no</b> & left"
        card["scenario"]["faults"] = ["down <img src=x onerror=alert(1)>"]
        card["measurements"]["not_done_ids"] = ["<i>t1</i>"]
        card["steps"] = [
            {"title": "<u>step</u>", "automated": True, "outcome": "failed", "detail": "<s>x</s>"}
        ]

    page = render_html(edited(standard_scorecard(plan, "failed"), hostile))
    assert "<script>" not in page and "<img" not in page and "<b>no</b>" not in page
    assert "<i>t1" not in page and "<u>step" not in page and "<s>x" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "compose said &lt;b&gt;no&lt;/b&gt; &amp; left" in page
    assert re.search(r"Failed: the system missed at least one objective", page)


def test_the_plans_unit_words_are_escaped_too(plan: Plan) -> None:
    card = edited(
        standard_scorecard(plan, "passed"),
        lambda d: d.update(unit={"one": "<u>job</u>", "many": "<u>jobs</u>"}),
    )

    page = render_html(card)

    assert "<u>" not in page
    assert "<h2>Ledger of &lt;u&gt;jobs&lt;/u&gt;</h2>" in page


def test_a_ticket_plans_page_speaks_of_tickets_only(tmp_path: Path) -> None:
    tickets = write_ticket_plan(tmp_path / "helpdesk")
    card = standard_scorecard(
        tickets, "passed", scenario="responder-crash", faults=["kill responder (SIGKILL)"]
    )

    page = render_html(card, "reports/x/scorecard.json")
    summary = "\n".join(summary_lines(card, "reports/x/scorecard.json"))

    for text in (page, summary):
        # nothing of the bundled claims system's words: not its unit, nor what its worker does to one
        assert "claim" not in text.lower()
        assert "classif" not in text.lower()
    assert "<h2>Ledger of tickets</h2>" in page
    assert "no acknowledged ticket was missing from the final read (7 acknowledged during the drill)" in page
    assert "<td class='num'>0 acknowledged tickets lost</td>" in page
    assert "<td>every acknowledged ticket</td>" in page
    assert "  tickets: 7 acknowledged, 7 done, 0 lost, 0 never done, 2 unknown" in summary
    assert "rpo: no acknowledged ticket lost (7 checked against the final read)" in summary


def test_a_page_without_a_final_read_says_loss_is_unknown_and_why(tmp_path: Path) -> None:
    tickets = write_ticket_plan(tmp_path / "helpdesk")
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.submit("t1", Type.OK)
    d.probes(True, 3)
    d.phase(Phase.BASELINE, Type.END)
    d.fault(Type.START)
    d.probes(True, 12)
    d.fault(Type.END)
    d.final_read_failed(READ_FAILED)
    card = standard_scorecard(tickets, "failed", scenario="responder-crash", events=d.events())

    page = render_html(card)

    assert f"whether any ticket was lost is unknown: {READ_FAILED}" in page
    assert (
        f"<tr><td>Data lost (RPO)</td><td>none</td><td class='num'>{READ_FAILED}</td>"
        "<td><span class='unknown'>not judged</span></td></tr>"
    ) in page
    assert (
        f"<li><span class='unknown'>UNKNOWN</span> no acknowledged ticket lost: not judged: {READ_FAILED}</li>"
        in page
    )
    assert f"<tr><td>acknowledged but missing</td><td class='num'>{READ_FAILED}</td></tr>" in page
    assert "0 acknowledged tickets lost" not in page


def test_a_schema_1_scorecard_still_renders_in_the_claims_words() -> None:
    card = load_checked(V1_SCORECARD)

    page = render_html(card)

    assert "Passed: every objective was met" in page
    assert "<h2>Ledger of claims</h2>" in page
    # /1 named the ledger's sets processed / unprocessed; the page shows them under the /2 names
    assert "<tr><td>acknowledged and done</td><td class='num'>3</td></tr>" in page
    assert "<tr><td>acknowledged but never done</td><td class='num'>0</td></tr>" in page
    assert "<td class='num'>0 acknowledged claims lost</td><td><span class='pass'>met</span></td>" in page
    # a /1 verdict has no outcome, only passed
    assert (
        "<li><span class='pass'>PASS</span> no acknowledged claim lost: no acknowledged claim lost (3 checked)</li>"
        in page
    )
    assert "This scorecard does not record its recovery steps (an earlier drdrill wrote it)." in page
    assert page.count("<circle") == 22


def test_a_kubernetes_drill_names_its_manifests_not_a_compose_file(plan: Plan) -> None:
    def on_kubernetes(card: dict[str, Any]) -> None:
        card["environment"]["kubernetes"] = "v1.37.2"
        card["configuration"] = {
            "compose_file": "/plans/qa/kubernetes/qa-service.yaml",
            "compose_digest": "sha256:abc",
            "plan_digest": "sha256:def",
            "environment": {"DB_PASSWORD": "*** (generated for this run)"},
        }

    page = render_html(edited(standard_scorecard(plan, "passed"), on_kubernetes))
    assert "<td>Kubernetes manifests</td><td class='ids'>/plans/qa/kubernetes/qa-service.yaml</td>" in page
    assert "<td>Kubernetes manifests digest</td>" in page and "compose file" not in page
    assert "those drdrill filled into the manifests" in page
    compose = render_html(
        edited(
            standard_scorecard(plan, "passed"),
            lambda card: card.update(configuration={"compose_file": "compose.yaml", "environment": {}}),
        )
    )
    assert "<td>compose file</td><td class='ids'>compose.yaml</td>" in compose
