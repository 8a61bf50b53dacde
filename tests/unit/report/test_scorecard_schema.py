"""The scorecard's published JSON Schema is the one the code checks against, and real scorecards match it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from drdrill.plan import Plan
from drdrill.report.schema import SCHEMA_FILE, render_schema, upgrade
from tests.unit.measure.drill_timeline import standard_scorecard

ROOT = Path(__file__).resolve().parents[3]


def test_the_committed_scorecard_schema_is_current() -> None:
    committed = (ROOT / "schema" / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == render_schema(), "run: python -m drdrill.report.schema schema"


def test_a_built_scorecard_and_an_upgraded_v1_one_match_the_published_schema(plan: Plan) -> None:
    schema = json.loads((ROOT / "schema" / SCHEMA_FILE).read_text(encoding="utf-8"))
    jsonschema.validate(standard_scorecard(plan, status="passed").to_json(), schema)
    v1 = json.loads((ROOT / "tests" / "unit" / "data" / "scorecard-v1.json").read_text(encoding="utf-8"))
    jsonschema.validate(upgrade(v1), schema)


def test_a_card_missing_a_key_does_not_match_the_published_schema(plan: Plan) -> None:
    schema = json.loads((ROOT / "schema" / SCHEMA_FILE).read_text(encoding="utf-8"))
    card = standard_scorecard(plan, status="passed").to_json()
    del card["verdicts"][0]["outcome"]
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.validate(card, schema)
    assert info.value.message == "'outcome' is a required property"
