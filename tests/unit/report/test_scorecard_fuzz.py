"""Mutated scorecards (a key gone, a value of the wrong type) get one clear line from every view, never a
traceback: each view loads through the scorecard schema first.

The plan is loaded once for the whole test (``tabletop`` would load it again for each of the 150 cases, which
took most of the test's time): what is fuzzed here is the scorecard, not the plan.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drdrill import cli
from drdrill.cli import main
from drdrill.plan import Plan
from tests.unit.measure.drill_timeline import standard_scorecard, stepped_drill

ROOT = Path(__file__).resolve().parents[3]
WRONG: list[object] = [None, 0, -1.5, "", "x" * 300, [], {}, True]


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at] if at else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node[:3]):
            found += _paths(value, (*at, index))
    return found


def _mutate(card: dict[str, Any], path: tuple[Any, ...], replacement: object, delete: bool) -> dict[str, Any]:
    copy: dict[str, Any] = json.loads(json.dumps(card))
    parent: Any = copy
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return copy


@pytest.fixture(scope="module")
def card(plan: Plan) -> dict[str, Any]:
    # with its recovery steps and a stuck unit, so every part of the page is fuzzed
    events = stepped_drill(stuck=["c3"]).events()
    return standard_scorecard(plan, status="failed", events=events, with_steps=True).to_json()


@settings(
    max_examples=150,
    derandomize=True,  # the same mutations every run, so a failure seen once is seen again
    deadline=None,  # the first case imports the views; each case is bounded by max_examples, not by time
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_every_view_answers_a_mutated_scorecard_without_a_traceback(
    card: dict[str, Any],
    plan: Plan,
    data: st.DataObject,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "load_plan", lambda _path: plan)
    path = data.draw(st.sampled_from(_paths(card)))
    mutated = _mutate(card, path, data.draw(st.sampled_from(WRONG)), data.draw(st.booleans()))
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "scorecard.json"
        file.write_text(json.dumps(mutated), encoding="utf-8")
        commands = [
            ["report", str(file), "--html", str(Path(tmp) / "page.html")],
            [
                "tabletop",
                "provider-outage",
                "--plan",
                str(ROOT / "scenarios"),
                "--out",
                tmp,
                "--scorecard",
                str(file),
            ],
            ["export", "--chaostoolkit", str(file), "-o", str(Path(tmp) / "journal.json")],
        ]
        for command in commands:
            code = main(command)  # any exception fails the test: a traceback is never an answer
            assert code in (0, 1, 2), (command, code)
            err = capsys.readouterr().err
            if code == 2:
                lines = [line for line in err.splitlines() if line]
                assert len(lines) == 1 and lines[0].startswith(f"drdrill: error: {file}"), err
