"""JUnit properties and pytest-html extras of a drill: pure functions over its scorecard."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from drdrill.plan import Plan
from drdrill.report.htmlextras import scorecard_href, verdict_table
from drdrill.report.junit import junit_properties
from drdrill.report.schema import parse_scorecard
from tests.unit.measure.drill_timeline import edited
from tests.unit.report.cards import (
    as_v1,
    unfaulted_card,
    unread_card,
    unrecovered_card,
    varied_card,
    write_run,
)


def test_junit_properties_carry_the_scorecards_figures_to_the_microsecond(plan: Plan) -> None:
    card = varied_card(plan, "passed", detect=0.75, recover=1.351099, lost=0)
    assert dict(junit_properties(card))["drdrill_time_to_recover_s"] == "1.351099"


def test_junit_properties_carry_status_figures_and_every_verdict(plan: Plan) -> None:
    card = varied_card(plan, "failed", detect=0.75, recover=41.0, lost=3)
    props = dict(junit_properties(card))
    assert props["drdrill_status"] == "failed"
    assert props["drdrill_scenario"] == "provider-outage"
    assert props["drdrill_tier"] == "1"
    assert props["drdrill_time_to_detect_s"] == "0.75"
    assert props["drdrill_time_to_recover_s"] == "41"
    assert props["drdrill_time_to_failover_s"] == "3.5"
    assert props["drdrill_lost"] == "3"
    assert props["drdrill_unit"] == "claims"
    verdicts = {k.removeprefix("drdrill_verdict_"): v for k, v in props.items() if "_verdict_" in k}
    assert verdicts == {v.name: v.outcome for v in card.verdicts}
    assert list(verdicts) == [
        "baseline",
        "recovery_bound",
        "projected_rto",
        "rpo",
        "drained",
        "no_unexpected_data",
    ]


def test_junit_properties_of_a_v1_card_take_outcomes_from_passed(plan: Plan) -> None:
    raw = as_v1(varied_card(plan, "failed", lost=3))
    raw["verdicts"][3]["passed"] = False
    props = dict(junit_properties(parse_scorecard(raw, "a /1 scorecard")))
    assert (props["drdrill_lost"], props["drdrill_unit"]) == ("3", "claims")
    assert (props["drdrill_verdict_baseline"], props["drdrill_verdict_rpo"]) == ("pass", "fail")


def test_junit_properties_say_not_measured_never_zero(plan: Plan) -> None:
    unread = dict(junit_properties(unread_card(plan, "the final read failed")))
    assert unread["drdrill_lost"] == "not measured (the final read failed)"
    assert unread["drdrill_unit"] == "claims"
    assert unread["drdrill_verdict_rpo"] == "unknown"
    unrecovered = dict(junit_properties(unrecovered_card(plan)))
    assert unrecovered["drdrill_time_to_recover_s"] == (
        "not measured (steady state did not return while the fault was held)"
    )
    assert unrecovered["drdrill_projected_rto_s"] == "not measured"  # the scorecard gives it no reason
    assert unrecovered["drdrill_verdict_recovery_bound"] == "fail"
    unfaulted = dict(junit_properties(unfaulted_card(plan)))
    assert unfaulted["drdrill_time_to_detect_s"] == "not measured, because no fault was applied"
    assert unfaulted["drdrill_verdict_recovery_bound"] == "unknown"


def test_junit_properties_land_in_pytest_junit_xml(plan: Plan, pytester: pytest.Pytester) -> None:
    card = pytester.path / "card.json"
    card.write_text(varied_card(plan, "passed").dumps())
    pytester.makepyfile(
        f"""
        from pathlib import Path
        from drdrill.report.junit import junit_properties
        from drdrill.report.schema import load_checked

        def test_drill(request):
            # As DrillItem.runtest does: user_properties, which pytest writes in every junit_family
            # (the record_property fixture warns under the default xunit2).
            request.node.user_properties.extend(junit_properties(load_checked(Path({str(card)!r}))))
        """
    )
    pytester.runpytest("--junitxml=out.xml", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    root = ET.parse(pytester.path / "out.xml").getroot()
    props = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert props["drdrill_status"] == "passed"
    assert props["drdrill_verdict_baseline"] == "pass"


def test_scorecard_link_prefers_the_client_page_relative_to_the_report(plan: Plan, tmp_path: Path) -> None:
    path = write_run(tmp_path / "reports", "run-1", varied_card(plan))
    assert scorecard_href(path, tmp_path / "html" / "report.html") == "../reports/run-1/scorecard.json"
    path.with_suffix(".html").write_text("<html></html>")
    assert scorecard_href(path, tmp_path / "report.html") == "reports/run-1/scorecard.html"
    assert scorecard_href(path, None) == path.with_suffix(".html").resolve().as_uri()


def test_scorecard_link_is_escaped_for_an_attribute(plan: Plan, tmp_path: Path) -> None:
    path = write_run(tmp_path / "r'&\"", "run", varied_card(plan))
    assert scorecard_href(path, tmp_path / "report.html") == "r&#x27;&amp;&quot;/run/scorecard.json"


def test_verdict_table_lists_each_verdict_escaped(plan: Plan) -> None:
    card = edited(
        unread_card(plan, "no final read"), lambda d: d["verdicts"][0].update(message="<b>held</b> & fine")
    )
    table = verdict_table(card)
    assert table.count("<tr><td>") == len(card.verdicts) == 6
    assert "&lt;b&gt;held&lt;/b&gt; &amp; fine" in table and "<b>held" not in table
    assert table.count("font-weight:600'>UNKNOWN</td>") == 3
    assert "<td>rpo</td><td style='color:#9a6700;font-weight:600'>UNKNOWN</td><td>not measured</td>" in table
    assert "<td>not judged: no final read</td>" in table
    assert "drill provider-outage: FAILED" in table
