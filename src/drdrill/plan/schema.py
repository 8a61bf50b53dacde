"""JSON Schemas for plan.yaml and scenario files, generated from the pydantic models.

``python -m drdrill.plan.schema [DIR]`` writes ``plan.schema.json`` and ``scenario.schema.json`` (default
``schema/``). A test keeps the committed files equal to what this module generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from drdrill.plan.models import Plan, Scenario

SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def _schema(model: type[BaseModel], file_id: str, title: str) -> dict[str, Any]:
    body = model.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_URL, "$id": file_id, **body, "title": title}


def plan_schema() -> dict[str, Any]:
    """Schema of ``plan.yaml``."""
    return _schema(Plan, "plan.schema.json", "drdrill plan (plan.yaml)")


def scenario_schema() -> dict[str, Any]:
    """Schema of one scenario file."""
    return _schema(Scenario, "scenario.schema.json", "drdrill scenario")


def render(schema: dict[str, Any]) -> str:
    """The schema as committed: sorted keys, two-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def schema_files() -> dict[str, str]:
    """File name -> content for every schema."""
    return {"plan.schema.json": render(plan_schema()), "scenario.schema.json": render(scenario_schema())}


def write_schemas(directory: Path) -> list[Path]:
    """Write the schemas into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schema")):
        print(f"wrote {written_path}")
