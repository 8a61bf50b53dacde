"""The plan's detection criteria become exactly the objectives a drill is judged against, and nothing else does.

A scenario of the bundled plan is given criteria of every kind (one a drill cannot evaluate first, one on a
linked component, one the plan says to measure on the system, a latency on the system, an error rate against
a baseline, an accuracy), and the objectives are asserted whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.measure.objectives import criteria, link_of, measured_on_what, objectives_for
from drdrill.measure.timeline import Criterion
from drdrill.plan import Plan, Scenario, load_plan
from drdrill.plan.models import Detection
from drdrill.units import NS_PER_S

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
LINKED = "primary-provider's own traffic: test requests through its link 'primary-provider'"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan(SCENARIOS)


def with_detection(plan: Plan, match: str) -> Scenario:
    detection = Detection.model_validate(
        {
            "match": match,
            "criteria": [
                {"metric": "human_review_rate", "above": 0.2, "sustained": "1h", "staging_sustained": "3s"},
                {
                    "metric": "error_rate",
                    "component": "primary-provider",
                    "above": 0.5,
                    "sustained": "5m",
                    "staging_sustained": "2s",
                },
                {
                    "metric": "latency",
                    "component": "primary-provider",
                    "measured_on": "system",
                    "baseline_factor": 10,
                    "sustained": "5m",
                    "staging_sustained": "1s",
                },
                {"metric": "latency", "baseline_factor": 4, "sustained": "10m"},
                {"metric": "error_rate", "baseline_factor": 3, "sustained": "5m"},
                {"metric": "accuracy", "component": "primary-provider", "below": 0.85, "sustained": "30m"},
            ],
        }
    )
    return plan.scenarios["provider-outage"].model_copy(update={"detection": detection})


def test_only_the_criteria_probes_can_evaluate_become_criteria_each_on_what_it_names(plan: Plan) -> None:
    assert criteria(with_detection(plan, "any"), plan) == [
        Criterion(
            "error_rate",
            2 * NS_PER_S,
            above=0.5,
            description="error rate of primary-provider above 0.5 for 5 minutes",
            component="primary-provider",
            measured_on=LINKED,
        ),
        Criterion(
            "latency",
            NS_PER_S,
            factor=10,
            description="latency of primary-provider above 10x its baseline for 5 minutes",
            measured_on="the system's steady-state probes, as the plan says",
        ),
        Criterion(
            "latency",
            2 * NS_PER_S,  # the scenario's staging detection_window
            factor=4,
            description="latency above 4x its baseline for 10 minutes",
        ),
    ]


@pytest.mark.parametrize("match", ["any", "all"])
def test_the_objectives_carry_the_criteria_the_slowest_latency_factor_and_the_match_rule(
    plan: Plan, match: str
) -> None:
    scenario = with_detection(plan, match)

    objectives = objectives_for(plan, scenario)

    assert (objectives.criteria, objectives.slow_factor, objectives.criteria_match_all) == (
        tuple(criteria(scenario, plan)),
        4,
        match == "all",
    )
    assert objectives.failover_signal is True  # the bundled plan declares its failover signal


def test_a_component_unknown_to_the_plan_has_no_link(plan: Plan) -> None:
    assert link_of(plan, "no-such-component") is None


def test_a_component_without_staging_or_whose_proxy_is_no_link_has_no_link(plan: Plan) -> None:
    provider = plan.components["primary-provider"]
    assert provider.staging is not None
    components = {
        **plan.components,
        "unstaged": provider.model_copy(update={"staging": None}),
        "elsewhere": provider.model_copy(
            update={"staging": provider.staging.model_copy(update={"proxy": "gone"})}
        ),
    }
    edited = plan.model_copy(update={"components": components})

    assert (
        link_of(edited, "unstaged"),
        link_of(edited, "elsewhere"),
        link_of(edited, "primary-provider"),
    ) == (
        None,
        None,
        "primary-provider",
    )


def test_without_a_plan_no_component_has_a_link_to_measure() -> None:
    assert measured_on_what(None, "primary-provider", "component") == (
        None,
        "the system's steady-state probes: primary-provider has no link of its own to measure",
    )
