"""One reader for scorecard schemas /1 and /2: the differences are absorbed here, and a null is never a 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drdrill.journal import Kind
from drdrill.plan import Plan
from drdrill.report.cardview import CardError, CardView, Figure, load_card
from tests.unit.measure.drill_timeline import StandardDrill, standard_scorecard
from tests.unit.report.cards import (
    V1_SCORECARD,
    as_v1,
    unfaulted_card,
    unread_card,
    unrecovered_card,
    varied_card,
)


def test_the_v1_cards_here_have_the_shape_drdrill_0_1_wrote(plan: Plan) -> None:
    written, ours = json.loads(V1_SCORECARD.read_text()), as_v1(varied_card(plan))
    assert list(ours) == list(written)
    for part in ("scenario", "objectives", "measurements"):
        assert list(ours[part]) == list(written[part])
    assert list(ours["measurements"]["ledger"]) == list(written["measurements"]["ledger"])
    assert [list(v) for v in ours["verdicts"]] == [list(v) for v in written["verdicts"]]


def test_a_v1_card_reads_in_the_claims_words_with_outcomes_from_passed(plan: Plan) -> None:
    card = CardView(as_v1(varied_card(plan, "failed", lost=2)))
    assert card.schema == "drdrill.scorecard/1"
    assert card.unit == ("claim", "claims")  # /1 scorecards came from the claims system only
    assert card.lost == Figure(2.0)
    assert card.ledger_count("done") == card.data["measurements"]["ledger"]["processed"] == 7
    assert card.ledger_count("not_done") == card.data["measurements"]["ledger"]["unprocessed"] == 0
    assert [v.outcome for v in card.verdicts] == ["pass"] * 6
    assert [v.outcome == "pass" for v in card.verdicts] == [v["passed"] for v in card.data["verdicts"]]


def test_the_scorecard_drdrill_0_1_wrote_still_reads() -> None:
    card = load_card(V1_SCORECARD)
    assert (card.schema, card.status, card.scenario_name) == (
        "drdrill.scorecard/1",
        "passed",
        "provider-outage",
    )
    assert card.unit == ("claim", "claims")
    assert (card.time_to_recover, card.lost) == (Figure(4.25), Figure(0.0))
    assert card.ledger_count("done") == 3
    assert card.figure("time_to_failback_s") == Figure(None, None)
    assert card.figure("time_to_failback_s").missing_text() == "not measured"
    assert [v.outcome for v in card.verdicts] == ["pass"] * 6


def test_a_v2_card_reads_its_unit_done_counts_and_outcomes(plan: Plan) -> None:
    raw = varied_card(plan)
    card = CardView(raw)
    assert card.schema == "drdrill.scorecard/2"
    assert card.unit == ("claim", "claims")
    assert card.ledger_count("done") == raw["measurements"]["ledger"]["done"] == 7
    assert card.ledger_count("processed") is None  # a /2 card has no /1 names; views ask for /2 names
    assert [v.outcome for v in card.verdicts] == [v["outcome"] for v in raw["verdicts"]]
    assert card.count(1) == "1 claim" and card.count(3) == "3 claims"


def test_a_null_figure_is_not_measured_with_its_reason_never_zero(plan: Plan) -> None:
    unread = CardView(unread_card(plan, "the final read failed"))
    assert unread.lost == Figure(None, "the final read failed")
    assert unread.lost.missing_text() == "not measured (the final read failed)"
    assert unread.ledger_count("done") is None and unread.ledger_count("not_done") is None
    assert [v.outcome for v in unread.verdicts if v.name in ("rpo", "drained", "no_unexpected_data")] == [
        "unknown"
    ] * 3
    unrecovered = CardView(unrecovered_card(plan))
    assert unrecovered.time_to_recover == Figure(None, "steady state did not return while the fault was held")
    assert unrecovered.time_to_recover.missing_text() == (
        "not measured (steady state did not return while the fault was held)"
    )


def test_a_reason_that_says_not_measured_is_not_said_twice(plan: Plan) -> None:
    card = CardView(unfaulted_card(plan))
    assert card.time_to_detect.missing_text() == "not measured, because no fault was applied"
    assert [v.outcome for v in card.verdicts][:3] == ["fail", "unknown", "unknown"]
    no_read = CardView(
        standard_scorecard(
            plan, "failed", events=[e for e in StandardDrill().events if e.kind is not Kind.READ]
        )
    )
    assert no_read.lost.missing_text() == "not measured, because the final read did not happen"


def test_a_naive_start_time_is_taken_as_utc(plan: Plan) -> None:
    card = CardView(varied_card(plan, started="2026-06-01T02:00:00"))
    assert card.started is not None and card.started.utcoffset() is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"schema": "drdrill.scorecard/9"}',
            "{path}: not a drdrill scorecard this drdrill reads (its schema is 'drdrill.scorecard/9'; ",
        ),
        ("[1, 2]", "not a drdrill scorecard (not a JSON object)"),
        ("{not json", "not JSON: "),
        (
            '{"schema": "drdrill.scorecard/1", "status": "passed"}',
            "{path}: not a valid drdrill.scorecard/2 scorecard: drdrill_version: field required (and ",
        ),
    ],
)
def test_files_that_are_no_scorecard_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scorecard.json"
    path.write_text(text)
    with pytest.raises(CardError) as excinfo:
        load_card(path)
    assert str(excinfo.value).startswith(message.format(path=path))


def test_a_start_that_is_no_time_is_refused(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "scorecard.json"
    path.write_text(json.dumps(varied_card(plan, started="yesterday")))
    with pytest.raises(CardError) as info:
        load_card(path)
    assert str(info.value) == (
        f"{path}: not a valid drdrill.scorecard/2 scorecard: started_utc: value error, should be an ISO 8601 time "
        "with its UTC offset; it was changed or cut short since the drill wrote it: re-run the drill, or restore "
        "the file"
    )
