"""The committed JSON Schemas equal the generated ones, and the bundled plan passes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # until types-jsonschema is a dev dependency
import pytest

from drdrill.plan.schema import plan_schema, scenario_schema, schema_files
from drdrill.plan.yamlsource import YamlDoc, read_yaml

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", ["plan.schema.json", "scenario.schema.json"])
def test_committed_schema_is_current(name: str) -> None:
    committed = (REPO / "schema" / name).read_text(encoding="utf-8")
    assert committed == schema_files()[name], "run: python -m drdrill.plan.schema"


def _as_json(path: Path) -> Any:
    doc = read_yaml(path)
    assert isinstance(doc, YamlDoc)
    return json.loads(json.dumps(doc.data, default=str))  # dates become ISO strings, as an editor sees them


def test_bundled_files_validate_against_the_schemas() -> None:
    jsonschema.Draft202012Validator(plan_schema()).validate(_as_json(REPO / "scenarios" / "plan.yaml"))
    validator = jsonschema.Draft202012Validator(scenario_schema())
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        if path.name != "plan.yaml":
            validator.validate(_as_json(path))


def test_schema_rejects_an_unknown_fault_kind() -> None:
    scenario = _as_json(REPO / "scenarios" / "provider-outage.yaml")
    scenario["faults"][0]["kind"] = "toxic_latency"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(scenario_schema()).validate(scenario)


def test_schema_rejects_a_bad_duration() -> None:
    scenario = _as_json(REPO / "scenarios" / "provider-outage.yaml")
    scenario["staging"]["recovery_bound"] = "30 secs"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(scenario_schema()).validate(scenario)
