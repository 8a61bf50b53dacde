"""Staging settings drdrill cannot honour are refused when the plan loads, at their line, with the minimum."""

from __future__ import annotations

import pytest

from drdrill.plan import PlanError, load_plan
from tests.unit.plan.conftest import WritePlan
from tests.unit.plan.plan_samples import MINIMAL_PLAN, MINIMAL_SCENARIO

GRID = "a drill resolves time in steps of 50ms (the probes' floor and the detection criteria's grid)"
STAGING = "staging: {recovery_bound: 30s}"
CRITERION = "{metric: error_rate, component: model, above: 0.5, sustained: 5m}"


def _errors(
    write_plan: WritePlan, staging: str, criterion: str = CRITERION, plan: str = MINIMAL_PLAN
) -> list[str]:
    """Load the minimal plan with its scenario's staging line (line 16) and criterion (line 8) replaced."""
    assert STAGING in MINIMAL_SCENARIO and CRITERION in MINIMAL_SCENARIO
    scenario = MINIMAL_SCENARIO.replace(STAGING, f"staging: {{{staging}}}").replace(CRITERION, criterion)
    with pytest.raises(PlanError) as info:
        load_plan(write_plan(plan, s=scenario))
    return str(info.value).splitlines()


def _loads(write_plan: WritePlan, staging: str, criterion: str = CRITERION) -> None:
    scenario = MINIMAL_SCENARIO.replace(STAGING, f"staging: {{{staging}}}").replace(CRITERION, criterion)
    load_plan(write_plan(MINIMAL_PLAN, s=scenario))


@pytest.mark.parametrize(
    ("staging", "column", "name", "value"),
    [
        ("recovery_bound: 30s, probe_interval: 20ms", 48, "probe_interval", "20ms"),
        ("recovery_bound: 30s, probe_interval: 0", 48, "probe_interval", "0s"),
        ("recovery_bound: 30s, detection_window: 0s", 50, "detection_window", "0s"),
        ("recovery_bound: 30s, steady_window: 10ms", 47, "steady_window", "10ms"),
        ("recovery_bound: 30s, probe_timeout: 0s", 47, "probe_timeout", "0s"),
        ("recovery_bound: 30s, drain_timeout: 49ms", 47, "drain_timeout", "49ms"),
        ("recovery_bound: 0s", 27, "recovery_bound", "0s"),
    ],
)
def test_a_staging_window_or_timeout_under_the_grid_is_refused(
    write_plan: WritePlan, staging: str, column: int, name: str, value: str
) -> None:
    assert _errors(write_plan, staging) == [
        f"plan/s.yaml:16:{column}: staging.{name}: {value} is shorter than drdrill can honour: {GRID}; give at "
        "least 50ms"
    ]


def test_the_floor_itself_is_honoured(write_plan: WritePlan) -> None:
    _loads(
        write_plan,
        "recovery_bound: 50ms, probe_interval: 50ms, detection_window: 50ms, steady_window: 50ms, baseline: 50ms, "
        "probe_timeout: 50ms, drain_timeout: 50ms, workload_rate: 200",
        CRITERION.replace("}", ", staging_sustained: 50ms}"),
    )


def test_a_baseline_shorter_than_the_probe_interval_is_refused(write_plan: WritePlan) -> None:
    assert _errors(write_plan, "recovery_bound: 30s, baseline: 1s, probe_interval: 2s") == [
        "plan/s.yaml:16:10: staging: baseline 1s is shorter than probe_interval 2s: no probe would measure the "
        "steady state before the fault; give a baseline of at least 2s"
    ]


@pytest.mark.parametrize("rate", ["201", "1e6", ".inf"])
def test_a_workload_rate_beyond_what_the_workload_keeps_up_with_is_refused(
    write_plan: WritePlan, rate: str
) -> None:
    shown = {"201": "201", "1e6": "1e+06", ".inf": "inf"}[rate]
    assert _errors(write_plan, f"recovery_bound: 30s, workload_rate: {rate}") == [
        f"plan/s.yaml:16:47: staging.workload_rate: {shown} writes a second is more than the workload can keep up "
        "with: it is trusted up to 200 (measured on a 2-core machine: every write on its schedule; beyond, writes "
        "start late and the drill samples the system less than it declares); give at most 200"
    ]


def test_a_zero_window_on_a_probe_metric_is_refused_but_not_on_a_pass_fail_signal(
    write_plan: WritePlan,
) -> None:
    assert _errors(write_plan, "recovery_bound: 30s", CRITERION.replace("}", ", staging_sustained: 0s}")) == [
        "plan/s.yaml:8:7: detection.criteria[0]: staging_sustained 0s is shorter than drdrill can honour for "
        f"error_rate: {GRID}, and a shorter window holds no probe; give at least 50ms"
    ]
    # A pass/fail signal is judged the moment it is seen: 0s is what the bundled security-breach scenario says.
    _loads(
        write_plan,
        "recovery_bound: 30s",
        "{metric: security_alert, component: model, sustained: 0s, staging_sustained: 0s}",
    )


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("timeout: 0s", f"0s is shorter than drdrill can honour: {GRID}; give at least 50ms"),
        ("timeout: 10ms", f"10ms is shorter than drdrill can honour: {GRID}; give at least 50ms"),
    ],
)
def test_a_zero_http_timeout_of_the_system_contract_is_refused(
    write_plan: WritePlan, setting: str, message: str
) -> None:
    topology = (
        "staging_topology:\n  system:\n    write:\n      request: {url: 'http://{api:8080}/w', "
        f"{setting}}}\n"
    )
    scenario = MINIMAL_SCENARIO
    with pytest.raises(PlanError) as info:
        load_plan(write_plan(MINIMAL_PLAN + topology, s=scenario))
    assert [line for line in str(info.value).splitlines() if "timeout" in line] == [
        f"plan/plan.yaml:27:54: staging_topology.system.write.request.timeout: {message}"
    ]


def test_a_read_back_poll_under_10ms_is_refused(write_plan: WritePlan) -> None:
    topology = (
        "staging_topology:\n  system:\n    write:\n      request: {url: 'http://{api:8080}/w'}\n"
        "    probe:\n      read_back: {url: 'http://{api:8080}/r/{id}', done: {path: s, equals: ok}, poll: 1ms}\n"
    )
    with pytest.raises(PlanError) as info:
        load_plan(write_plan(MINIMAL_PLAN + topology, s=MINIMAL_SCENARIO))
    assert [line for line in str(info.value).splitlines() if "poll" in line] == [
        "plan/plan.yaml:29:87: staging_topology.system.probe.read_back.poll: 1ms is shorter than drdrill can "
        "honour: a shorter poll only spins on the system; give at least 10ms"
    ]
