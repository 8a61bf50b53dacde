"""One reader for scorecard schemas /1 and /2: a /1 card is upgraded once, as it is read, and every view then
reads the same typed card, where a null is never a 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drdrill.journal import Kind
from drdrill.plan import Plan
from drdrill.report import words
from drdrill.report.schema import ScorecardError, UnitWords, load_checked, parse_scorecard
from drdrill.report.words import Figure
from tests.unit.measure.drill_timeline import StandardDrill, edited, standard_scorecard
from tests.unit.report.cards import (
    V1_SCORECARD,
    as_v1,
    read_v1,
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
    raw = as_v1(varied_card(plan, "failed", lost=2))
    card = read_v1(varied_card(plan, "failed", lost=2))
    assert card.schema_id == "drdrill.scorecard/2"  # upgraded as it was read
    assert card.unit == UnitWords(
        one="claim", many="claims"
    )  # /1 scorecards came from the claims system only
    assert words.lost(card) == Figure(2.0)
    assert card.measurements.ledger.done == raw["measurements"]["ledger"]["processed"] == 7
    assert card.measurements.ledger.not_done == raw["measurements"]["ledger"]["unprocessed"] == 0
    assert [v.outcome for v in card.verdicts] == ["pass"] * 6
    assert [v.outcome == "pass" for v in card.verdicts] == [v["passed"] for v in raw["verdicts"]]


def test_the_scorecard_drdrill_0_1_wrote_still_reads() -> None:
    card = load_checked(V1_SCORECARD)
    assert (card.schema_id, card.status, card.scenario.name) == (
        "drdrill.scorecard/2",
        "passed",
        "provider-outage",
    )
    assert card.unit.count(1) == "1 claim"
    assert (words.figure(card, "time_to_recover_s"), words.lost(card)) == (Figure(4.25), Figure(0.0))
    assert card.measurements.ledger.done == 3
    assert words.figure(card, "time_to_failback_s") == Figure(None, None)
    assert words.figure(card, "time_to_failback_s").missing_text() == "not measured"
    assert [v.outcome for v in card.verdicts] == ["pass"] * 6
    assert card.steps == [] and card.configuration is None  # keys added within /2 read as absent


def test_a_v2_card_reads_its_unit_done_counts_and_outcomes(plan: Plan) -> None:
    card = varied_card(plan)
    raw = card.to_json()
    assert card.unit.count(1) == "1 claim" and card.unit.count(3) == "3 claims"
    assert card.measurements.ledger_count("done") == raw["measurements"]["ledger"]["done"] == 7
    assert [v.outcome for v in card.verdicts] == [v["outcome"] for v in raw["verdicts"]]


def test_a_key_of_a_later_minor_release_is_kept_through_a_read_and_a_write(plan: Plan) -> None:
    card = edited(varied_card(plan), lambda d: d["measurements"].update(later_figure_s=1.5))
    assert card.to_json()["measurements"]["later_figure_s"] == 1.5


def test_a_null_figure_is_not_measured_with_its_reason_never_zero(plan: Plan) -> None:
    unread = unread_card(plan, "the final read failed")
    assert words.lost(unread) == Figure(None, "the final read failed")
    assert words.lost(unread).missing_text() == "not measured (the final read failed)"
    assert unread.measurements.ledger.done is None and unread.measurements.ledger.not_done is None
    assert [v.outcome for v in unread.verdicts if v.name in ("rpo", "drained", "no_unexpected_data")] == [
        "unknown"
    ] * 3
    unrecovered = unrecovered_card(plan)
    recover = words.figure(unrecovered, "time_to_recover_s")
    assert recover == Figure(None, "steady state did not return while the fault was held")
    assert recover.missing_text() == "not measured (steady state did not return while the fault was held)"


def test_a_reason_that_says_not_measured_is_not_said_twice(plan: Plan) -> None:
    card = unfaulted_card(plan)
    assert (
        words.figure(card, "time_to_detect_s").missing_text() == "not measured, because no fault was applied"
    )
    assert [v.outcome for v in card.verdicts][:3] == ["fail", "unknown", "unknown"]
    no_read = standard_scorecard(
        plan, "failed", events=[e for e in StandardDrill().events if e.kind is not Kind.READ]
    )
    assert words.lost(no_read).missing_text() == "not measured, because the final read did not happen"


def test_more_unit_ids_than_the_limit_are_cut_with_a_count() -> None:
    ids = [f"t{n}" for n in range(53)]
    assert words.ids_text(ids[:3]) == "t0, t1, t2"
    assert words.ids_text(ids) == ", ".join(ids[:50]) + " and 3 more (53 in all)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"schema": "drdrill.scorecard/9"}',
            "{path}: not a drdrill scorecard this drdrill reads (its schema is 'drdrill.scorecard/9'; ",
        ),
        ("[1, 2]", "{path}: not a drdrill scorecard: the file holds no JSON object"),
        ("{not json", "{path}: not a drdrill scorecard: not JSON ("),
        (
            '{"schema": "drdrill.scorecard/1", "status": "passed"}',
            "{path}: not a valid drdrill.scorecard/2 scorecard: drdrill_version: field required (and ",
        ),
    ],
)
def test_files_that_are_no_scorecard_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "scorecard.json"
    path.write_text(text)
    with pytest.raises(ScorecardError) as excinfo:
        load_checked(path)
    assert str(excinfo.value).startswith(message.format(path=path))


@pytest.mark.parametrize("started", ["yesterday", "2026-06-01T02:00:00"])
def test_a_start_that_is_no_time_with_its_offset_is_refused(plan: Plan, tmp_path: Path, started: str) -> None:
    path = tmp_path / "scorecard.json"
    data = varied_card(plan).to_json()
    data["started_utc"] = started
    path.write_text(json.dumps(data))
    with pytest.raises(ScorecardError) as info:
        load_checked(path)
    assert str(info.value) == (
        f"{path}: not a valid drdrill.scorecard/2 scorecard: started_utc: value error, should be an ISO 8601 time "
        "with its UTC offset; it was changed or cut short since the drill wrote it: re-run the drill, or restore "
        "the file"
    )


def test_a_time_that_is_not_finite_is_refused(plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "scorecard.json"
    data = varied_card(plan).to_json()
    data["measurements"]["time_to_recover_s"] = float("inf")
    path.write_text(json.dumps(data))  # Python writes Infinity, which its reader takes back
    with pytest.raises(ScorecardError) as info:
        load_checked(path)
    assert str(info.value) == (  # refused as it is parsed, before any model sees it
        f"{path}: not a drdrill scorecard: the number Infinity is no figure a drill writes (not finite, or over "
        "1e12); it was changed since the drill wrote it: re-run the drill, or restore the file"
    )
    with pytest.raises(
        ScorecardError, match=r"measurements\.time_to_recover_s: input should be a finite number"
    ):
        parse_scorecard(data, "card")  # and the model refuses it too, for a card that never was a file
