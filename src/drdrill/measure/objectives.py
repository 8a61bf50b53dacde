"""The plan's words turned into what a drill is judged against: the tier's RTO/RPO, the staging bounds, the
detection criteria at staging time scale. Pure: plan data in, :class:`Objectives` out."""

from __future__ import annotations

from drdrill.journal import FAILOVER
from drdrill.measure.timeline import Criterion
from drdrill.measure.verdicts import Objectives, Words
from drdrill.plan import Plan, Scenario
from drdrill.units import ns


def objectives_for(plan: Plan, scenario: Scenario) -> Objectives:
    """What a drill of ``scenario`` is judged against."""
    objective = plan.objectives_for(scenario)
    s = scenario.staging
    contract = plan.staging_topology.system
    return Objectives(
        rto_ns=ns(objective.rto),
        rpo_ns=ns(objective.rpo),
        recovery_bound_ns=ns(s.recovery_bound),
        steady_window_ns=ns(s.steady_window),
        manual_ns=ns(scenario.manual_estimate),
        slow_factor=latency_factor(scenario),
        criteria=tuple(criteria(scenario)),
        criteria_match_all=scenario.detection.match == "all",
        unit=Words(plan.staging_topology.unit.one, plan.staging_topology.unit.many),
        failover_signal=contract is not None and FAILOVER in contract.signals,
        rpo_bound_ns=None if s.rpo_bound is None else ns(s.rpo_bound),
        counts_done=contract is not None
        and contract.final_read is not None
        and contract.final_read.times is not None,
    )


def criteria(scenario: Scenario) -> list[Criterion]:
    """The plan's detection criteria the canary probes can evaluate, at staging time scale."""
    return [
        Criterion(
            metric=c.metric,
            window_ns=ns(scenario.staging_window(c)),
            above=c.above,
            factor=c.baseline_factor,
            description=c.describe(),
        )
        for c in scenario.detection.criteria
        if (c.metric == "error_rate" and c.above is not None)
        or (c.metric == "latency" and c.baseline_factor is not None)
    ]


def latency_factor(scenario: Scenario) -> float | None:
    """The plan's own latency criterion (e.g. 10x baseline) decides when a slow probe is a symptom."""
    factors = [
        c.baseline_factor
        for c in scenario.detection.criteria
        if c.metric == "latency" and c.baseline_factor is not None
    ]
    return min(factors) if factors else None
