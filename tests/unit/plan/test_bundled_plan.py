"""The bundled plan in scenarios/ loads and holds what the CORE track relies on."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from drdrill.plan import Plan, load_plan, projected_rto

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"


def test_bundled_plan_loads() -> None:
    plan = load_plan(SCENARIOS)
    assert isinstance(plan, Plan)
    assert plan.name == "claims-intake"
    assert plan.source_dir == SCENARIOS
    assert list(plan.scenarios) == sorted(plan.scenarios)
    for name, scenario in plan.scenarios.items():
        assert scenario.name == name == scenario.source.stem


def test_provider_outage_matches_the_contract() -> None:
    plan = load_plan(SCENARIOS)
    scenario = plan.scenarios["provider-outage"]
    assert (scenario.tier, scenario.disruption) == (1, "software")
    assert [(f.kind, f.target) for f in scenario.faults] == [("down", "primary-provider")]
    staging = scenario.staging
    assert staging.recovery_bound == timedelta(seconds=30)
    assert staging.steady_window == timedelta(seconds=5)
    assert staging.baseline == timedelta(seconds=5)
    assert staging.workload_rate == 10.0
    assert staging.probe_interval == timedelta(milliseconds=500)
    assert staging.probe_timeout == timedelta(seconds=3)
    assert staging.drain_timeout == timedelta(seconds=30)
    objective = plan.objectives_for(scenario)
    assert (objective.tier, objective.rto, objective.rpo) == (1, timedelta(hours=4), timedelta(0))


def test_components_map_to_the_staging_replica() -> None:
    plan = load_plan(SCENARIOS)
    mapping = {
        name: (c.staging.service, c.staging.proxy)
        for name, c in plan.components.items()
        if c.staging is not None
    }
    assert mapping["primary-provider"] == ("provider-primary", "primary-provider")
    assert mapping["backup-provider"] == ("provider-backup", "backup-provider")
    assert mapping["intake-api"] == ("intake", "claims-endpoint")
    assert mapping["claims-db"] == ("postgres", "claims-db")
    assert mapping["classifier-worker"] == ("worker", None)
    # Two zones of the primary region run intake and a worker each; the database has a standby in zone B.
    zones = {name: c.zone for name, c in plan.components.items()}
    assert {zones["intake-api"], zones["intake-api-b"]} == {"zone-a", "zone-b"}
    assert {zones["classifier-worker"], zones["classifier-worker-b"]} == {"zone-a", "zone-b"}
    assert (zones["claims-db"], zones["claims-db-standby"]) == ("zone-a", "zone-b")


def test_projected_rto_adds_manual_estimates_to_the_measured_time() -> None:
    scenario = load_plan(SCENARIOS).scenarios["provider-outage"]
    assert projected_rto(scenario, timedelta(seconds=12)) == timedelta(seconds=12) + scenario.manual_estimate
    assert scenario.manual_estimate == timedelta(minutes=45)


def test_region_disruption_overrides_the_tier_rto() -> None:
    plan = load_plan(SCENARIOS)
    regional = plan.scenarios["regional-failure"]
    assert plan.scenarios["provider-outage"].tier == regional.tier == 1
    assert plan.objectives_for(plan.scenarios["provider-outage"]).rto == timedelta(hours=4)
    assert plan.objectives_for(regional).rto == timedelta(hours=8)  # the region disruption's override
    # The log archive may lag by its switch interval: a regional restore may lose up to a minute of claims.
    assert plan.objectives_for(regional).rpo == timedelta(minutes=1)
    assert regional.staging.rpo_bound == timedelta(seconds=3)


def test_staging_detection_windows() -> None:
    plan = load_plan(SCENARIOS)
    outage = plan.scenarios["provider-outage"]
    assert [outage.staging_window(c) for c in outage.detection.criteria] == [timedelta(seconds=2)] * 2
    zone = plan.scenarios["zone-failure"]
    assert zone.staging_window(zone.detection.criteria[0]) == timedelta(seconds=1)
