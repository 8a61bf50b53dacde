"""The scorecard JSON and the terminal summary, built from a scripted journal (no Docker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drdrill.plan import Plan, load_plan
from drdrill.report.scorecard import SCHEMA, load_scorecard, write_scorecard
from drdrill.report.terminal import summary_lines
from tests.unit.measure.drill_timeline import standard_scorecard

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")


def test_scorecard_holds_figures_in_seconds_and_the_timeline(plan: Plan) -> None:
    card = standard_scorecard(plan)
    assert card["schema"] == SCHEMA
    measurements = card["measurements"]
    assert isinstance(measurements, dict)
    assert measurements["time_to_detect_s"] == 0.75
    assert measurements["time_to_detect_by_plan_s"] == 1.0  # first 1 s window of the fault with errors > 50 %
    assert measurements["time_to_failover_s"] == 3.5
    assert measurements["time_to_recover_s"] == 4.25  # when the first good probe of the final run completed
    assert measurements["projected_rto_s"] == 4.25 + 45 * 60
    assert measurements["ledger"]["lost"] == 0
    assert measurements["ledger"]["recovered"] == 1  # c4 timed out for the client but was stored
    timeline = card["timeline"]
    assert isinstance(timeline, list)
    assert timeline[0]["t_s"] == 0.0
    assert all({"t_ns", "utc", "kind", "type", "name"} <= set(e) for e in timeline)
    assert not any(e["kind"] == "read" for e in timeline)  # the big final read is summarised, not repeated


def test_scorecard_round_trips_through_json(plan: Plan, tmp_path: Path) -> None:
    card = standard_scorecard(plan)
    path = write_scorecard(card, tmp_path / "run" / "scorecard.json")
    assert load_scorecard(path) == json.loads(json.dumps(card))
    assert not list(tmp_path.glob("run/*.tmp"))


def test_load_scorecard_rejects_other_json(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"schema": "something-else"}')
    with pytest.raises(
        ValueError, match=r"other.json: not a drdrill scorecard \(expected schema 'drdrill.scorecard/1'\)"
    ):
        load_scorecard(other)


def test_summary_lines_read_in_human_units(plan: Plan) -> None:
    lines = summary_lines(standard_scorecard(plan, status="passed"), "reports/x/scorecard.json")
    assert lines[0] == "drill provider-outage (tier 1, software): PASSED"
    assert lines[1] == "  faults: down primary-provider"
    assert (
        lines[2] == "  time to detect 0.75 s, to fail over 3.50 s, to recover 4.25 s (staging bound 30.0 s)"
    )
    assert lines[3] == "  the plan's detection criteria held after 1.00 s"
    assert (
        lines[4]
        == "  fail back not observed after the revert; projected RTO 45.1 min against the tier RTO 4.00 h"
    )
    assert lines[5] == "  claims: 3 acknowledged, 3 classified, 0 lost, 0 never classified, 2 unknown"
    assert "  [PASS] recovery_bound: recovered in 4.25 s, within the staging bound of 30.0 s" in lines
    assert lines[-2:] == [
        "  scorecard: reports/x/scorecard.json",
        "  for the client: reports/x/scorecard.html",
    ]
