"""Property tests: whatever a plan file holds, the loader answers with a clear error and never crashes."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drdrill.plan import Plan, PlanError, load_plan
from drdrill.plan.loader import load_scenario
from drdrill.plan.yamlsource import YamlDoc, parse_yaml
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Raw bytes and punctuation rarely get past the YAML parser; fewer examples cover them.
QUICK = settings(SETTINGS, max_examples=100)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["down", "latency", "30s", "PT15M", "5 m", "zone-a", "model", "lead", "software", "1"]),
)
keys = st.one_of(
    st.text(min_size=1, max_size=12),
    st.sampled_from(
        ["title", "tier", "faults", "kind", "target", "recovery", "staging", "hook", "owner", "estimate"]
    ),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


@pytest.fixture(scope="module")
def plan_dir() -> Iterator[tuple[Path, Plan]]:
    """A plan loaded once, and a directory to write the scenario under test into."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "plan.yaml").write_text(MINIMAL_PLAN, encoding="utf-8")
        yield directory, load_plan(directory)


def _dump(data: Any) -> str:
    # JSON is YAML 1.2, and much faster to write than YAML for a few hundred examples.
    return json.dumps(data, default=str)


# A scenario without any of these is refused: a loader that accepts what lacks them accepts everything.
REQUIRED = frozenset(
    {"title", "tier", "disruption", "narrative", "impact", "detection", "recovery", "staging"}
)


def _answers_clearly(load: Callable[[], object]) -> bool:
    """Load, and check a refusal is clear; True when the file was accepted."""
    try:
        load()
    except PlanError as exc:
        assert exc.issues, "a PlanError always lists at least one issue"
        for issue in exc.issues:
            assert issue.message.strip()
            assert "\n" not in str(issue)
            assert issue.line >= 0
            assert issue.col >= 0
            assert "Traceback" not in str(issue)
        return False
    return True


def _load_answers_clearly(plan_dir: tuple[Path, Plan], content: bytes) -> bool:
    directory, plan = plan_dir
    (directory / "s.yaml").write_bytes(content)
    return _answers_clearly(lambda: load_scenario(plan, directory / "s.yaml"))


@QUICK
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes(plan_dir: tuple[Path, Plan], content: bytes) -> None:
    assert not _load_answers_clearly(plan_dir, content)  # 300 random bytes are never a whole scenario


@QUICK
@given(content=st.text(alphabet=st.sampled_from(list("ab:-[]{}&*!|>'\"#%@`,? \n\t0.5")), max_size=200))
def test_yaml_punctuation_soup(plan_dir: tuple[Path, Plan], content: str) -> None:
    assert not _load_answers_clearly(plan_dir, content.encode("utf-8"))


@SETTINGS
@given(data=structures)
def test_random_structures(plan_dir: tuple[Path, Plan], data: Any) -> None:
    accepted = _load_answers_clearly(plan_dir, _dump(data).encode("utf-8"))
    assert not accepted or (isinstance(data, dict) and data.keys() >= REQUIRED)


def _valid_scenario() -> dict[str, Any]:
    doc = parse_yaml(Path("s.yaml"), MINIMAL_SCENARIO.encode())
    assert isinstance(doc, YamlDoc)
    data: dict[str, Any] = doc.data
    return data


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


@SETTINGS
@given(st.data())
def test_mutated_valid_scenarios(plan_dir: tuple[Path, Plan], data: st.DataObject) -> None:
    scenario = _valid_scenario()
    assert _load_answers_clearly(plan_dir, _dump(scenario).encode("utf-8"))  # valid before it is mutated
    lost: set[str] = set()  # required top-level keys deleted (and not added back)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = [p for p in _paths(scenario) if p]
        path = data.draw(st.sampled_from(paths), label="path")
        parent = scenario
        for item in path[:-1]:
            parent = parent[item]
        action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
        if action == "replace":
            parent[path[-1]] = data.draw(structures, label="value")
        elif action == "delete":
            del parent[path[-1]]
            if len(path) == 1 and path[0] in REQUIRED:
                lost.add(path[0])
        elif isinstance(parent, dict):
            key = data.draw(keys, label="key")
            parent[key] = data.draw(structures, label="value")
            if parent is scenario:
                lost.discard(key)
        if not scenario:
            break
    accepted = _load_answers_clearly(plan_dir, _dump(scenario).encode("utf-8"))
    assert not (lost and accepted), f"a scenario without {sorted(lost)} was accepted"


@QUICK
@given(st.data())
def test_mutated_plan_files(data: st.DataObject) -> None:
    doc = parse_yaml(Path("plan.yaml"), MINIMAL_PLAN.encode())
    assert isinstance(doc, YamlDoc)
    plan: dict[str, Any] = doc.data
    path = data.draw(st.sampled_from([p for p in _paths(plan) if p]), label="path")
    parent = plan
    for item in path[:-1]:
        parent = parent[item]
    parent[path[-1]] = data.draw(structures, label="value")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "plan.yaml").write_text(_dump(plan), encoding="utf-8")
        (directory / "s.yaml").write_text(MINIMAL_SCENARIO, encoding="utf-8")
        _answers_clearly(lambda: load_plan(directory))
