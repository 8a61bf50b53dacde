"""The system kinds' refusals in their exact words, and the plan's small JSON path on every kind of step."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drdrill.errors import DrdrillError
from drdrill.plan import Plan, load_plan
from drdrill.system import HttpSystem, ProbeResult, WriteResult
from drdrill.system.jsonpath import PathNotFound, lookup
from drdrill.system.kinds import PythonSystem, resolve_system
from tests.unit.ticket_plan import write_ticket_plan

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
GUIDE = "see docs/drill-your-own-system.md"


@pytest.fixture(scope="module")
def tickets(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """A plan that declares payloads only: no write, no probe."""
    return write_ticket_plan(tmp_path_factory.mktemp("desk"))


class Writes(HttpSystem):
    def write(self, unit_id: str, payload: str) -> WriteResult:
        return WriteResult("ok", "kept")


class WritesAndProbes(Writes):
    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        return ProbeResult(True, "fine")


def test_a_plan_that_declares_write_and_probe_is_drilled_over_http_as_declared() -> None:
    plan = load_plan(SCENARIOS)

    kind, system = resolve_system(plan, None)

    assert (kind, type(system)) == ("http", HttpSystem)
    assert resolve_system(plan, HttpSystem.from_plan(plan))[0] == "python"  # declared parts need no replacing


def test_a_subclass_that_replaces_what_the_plan_lacks_is_drilled(tickets: Plan) -> None:
    system = WritesAndProbes(tickets.staging_topology.system)

    assert resolve_system(tickets, system) == ("python", system)


def test_a_subclass_that_replaces_one_of_two_missing_parts_is_refused_for_the_other(tickets: Plan) -> None:
    with pytest.raises(DrdrillError) as refused:
        resolve_system(tickets, Writes(tickets.staging_topology.system))

    assert str(refused.value) == (
        f"{tickets.source_dir / 'plan.yaml'}: Writes neither replaces probe nor does staging_topology.system "
        f"declare it; declare probe ({GUIDE})"
    )


def test_a_subclass_that_replaces_neither_missing_part_is_refused_for_both(tickets: Plan) -> None:
    with pytest.raises(DrdrillError) as refused:
        resolve_system(tickets, HttpSystem(tickets.staging_topology.system))

    assert str(refused.value) == (
        f"{tickets.source_dir / 'plan.yaml'}: HttpSystem neither replaces write nor probe nor does "
        f"staging_topology.system declare them; declare write and probe ({GUIDE})"
    )


def test_the_python_kind_without_a_system_says_none_was_given(tickets: Plan) -> None:
    with pytest.raises(DrdrillError) as refused:
        PythonSystem().build(tickets, None)

    assert str(refused.value) == "no Python system was given"


# the JSON path

DOCUMENT: dict[str, Any] = {"data": {"items": [{"id": "a"}, {"id": "b"}], "name": "abc"}}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("data.items.0.id", "a"),
        ("$.data.items.1.id", "b"),
        ("data.items.-1.id", "b"),
        ("data.items.-2.id", "a"),
        ("data.name", "abc"),
    ],
)
def test_a_path_walks_keys_and_list_indices_from_either_end(path: str, value: Any) -> None:
    assert lookup(DOCUMENT, path) == value


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("data.items.2.id", "no '2' under data.items of the answer (path 'data.items.2.id')"),
        ("data.items.-3", "no '-3' under data.items of the answer (path 'data.items.-3')"),
        ("data.items.X0", "no 'X0' under data.items of the answer (path 'data.items.X0')"),
        ("data.name.0", "no '0' under data.name of the answer (path 'data.name.0')"),
        ("status", "no 'status' under the top level of the answer (path 'status')"),
        ("data items", "no 'data items' under the top level of the answer (path 'data items')"),
    ],
)
def test_a_path_that_is_not_there_names_the_missing_step_and_where(path: str, message: str) -> None:
    with pytest.raises(PathNotFound) as missing:
        lookup(DOCUMENT, path)

    assert str(missing.value) == message
