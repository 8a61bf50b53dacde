"""Each detection criterion is measured on what it names, and the objectives say which."""

from __future__ import annotations

from pathlib import Path

from drdrill.measure.objectives import criteria, measured_on_what
from drdrill.plan import load_plan

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_criteria_on_a_linked_component_are_measured_on_its_link() -> None:
    plan = load_plan(SCENARIOS)
    found = criteria(plan.scenarios["provider-hang"], plan)
    assert [(c.metric, c.component, c.measured_on) for c in found] == [
        (
            "error_rate",
            "primary-provider",
            "primary-provider's own traffic: test requests through its link 'primary-provider'",
        ),
        (
            "latency",
            "primary-provider",
            "primary-provider's own traffic: test requests through its link 'primary-provider'",
        ),
    ]


def test_a_component_without_a_link_or_a_plan_that_says_so_is_measured_on_the_system() -> None:
    plan = load_plan(SCENARIOS)
    assert measured_on_what(plan, "classifier-worker", "component") == (
        None,
        "the system's steady-state probes: classifier-worker has no link of its own to measure",
    )
    assert measured_on_what(plan, "primary-provider", "system") == (
        None,
        "the system's steady-state probes, as the plan says",
    )
    assert measured_on_what(plan, None, "component") == (None, "the system's steady-state probes")
