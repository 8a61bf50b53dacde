"""When pytest starts, compose reads the plan's file for the first drill only when a drill will run here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drdrill import plugin
from drdrill.plan import load_plan
from drdrill.staging import early as early_module

ROOT = Path(__file__).resolve().parents[2]


class _Config:
    def __init__(self, **options: Any) -> None:
        self._options = {"collectonly": False, "dist": "no", **options}

    def getoption(self, name: str, default: Any = None) -> Any:
        return self._options.get(name, default)


@pytest.mark.parametrize(
    ("staging", "options", "worker", "reads"),
    [
        ("compose", {}, False, True),
        ("compose", {"collectonly": True}, False, False),  # nothing will run
        ("kubernetes", {}, False, False),  # no compose file to read
        ("compose", {"dist": "load"}, False, False),  # the process that hands drills to xdist workers
        ("compose", {"dist": "load"}, True, True),  # an xdist worker runs its drills
    ],
)
def test_the_early_read_happens_only_where_a_compose_drill_will_run(
    staging: str, options: dict[str, Any], worker: bool, reads: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []

    def read(plan: object, run_id: str) -> bool:
        started.append(run_id)
        return True

    monkeypatch.setattr(early_module, "read_model_early", read)
    config = _Config(**options)
    if worker:
        config.workerinput = {}  # type: ignore[attr-defined]
    plan = load_plan(ROOT / "scenarios")

    found = plugin._read_compose_early(config, plan, staging, "provider-outage")  # type: ignore[arg-type]

    assert found == ({"provider-outage": started[0]} if reads else {})
    assert len(started) == (1 if reads else 0)
