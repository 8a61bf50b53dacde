"""One reader for scorecard schemas /1 and /2: the differences are absorbed here, and a null is never a 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drdrill.plan import Plan
from drdrill.report.cardview import CardError, CardView, Figure, load_card
from tests.unit.report.cards import as_v2, varied_card


def test_a_v1_card_reads_with_the_neutral_unit_and_outcomes_from_passed(plan: Plan) -> None:
    card = CardView(varied_card(plan, "failed", lost=2))
    assert card.schema == "drdrill.scorecard/1"
    assert card.unit == ("write", "writes")
    assert card.lost == Figure(2.0)
    assert card.ledger_count("done") == card.data["measurements"]["ledger"]["processed"]
    assert card.ledger_count("not_done") == card.data["measurements"]["ledger"]["unprocessed"]
    assert {v.outcome for v in card.verdicts} <= {"pass", "fail"}
    assert [v.outcome == "pass" for v in card.verdicts] == [v["passed"] for v in card.data["verdicts"]]


def test_a_v2_card_reads_its_unit_done_counts_and_outcomes(plan: Plan) -> None:
    raw = as_v2(varied_card(plan))
    card = CardView(raw)
    assert card.unit == ("claim", "claims")
    assert card.ledger_count("done") == raw["measurements"]["ledger"]["done"]
    assert card.ledger_count("processed") is None  # a /2 card has no /1 names; views ask for /2 names
    assert [v.outcome for v in card.verdicts] == [v["outcome"] for v in raw["verdicts"]]


def test_a_null_figure_is_not_measured_with_its_reason_never_zero(plan: Plan) -> None:
    card = CardView(as_v2(varied_card(plan, recover=None), lost_reason="the final read failed"))
    assert card.lost == Figure(None, "the final read failed")
    assert card.lost.missing_text() == "not measured (the final read failed)"
    assert card.time_to_recover == Figure(None, None)
    assert card.time_to_recover.missing_text() == "not measured"
    assert next(v for v in card.verdicts if v.name == "rpo").outcome == "unknown"


def test_a_naive_start_time_is_taken_as_utc(plan: Plan) -> None:
    card = CardView(varied_card(plan, started="2026-06-01T02:00:00"))
    assert card.started is not None and card.started.utcoffset() is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"schema": "drdrill.scorecard/9"}',
            "not a drdrill scorecard (schema 'drdrill.scorecard/9'; known: ",
        ),
        ("[1, 2]", "not a drdrill scorecard (not a JSON object)"),
        ("{not json", "not JSON: "),
        ('{"schema": "drdrill.scorecard/1", "status": "passed"}', "scorecard without 'scenario'"),
    ],
)
def test_files_that_are_no_scorecard_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scorecard.json"
    path.write_text(text)
    with pytest.raises(CardError) as excinfo:
        load_card(path)
    assert str(excinfo.value).startswith(message)


def test_a_start_that_is_no_time_is_refused(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "scorecard.json"
    path.write_text(json.dumps(varied_card(plan, started="yesterday")))
    with pytest.raises(CardError, match=r"^started_utc 'yesterday' is no ISO time$"):
        load_card(path)
