"""The plan's words turned into what a drill is judged against: the tier's RTO/RPO, the staging bounds, the
detection criteria at staging time scale, the recovery steps. Pure: plan data in, :class:`Objectives` out."""

from __future__ import annotations

from datetime import timedelta

from drdrill.measure.modes import ModeObjectives
from drdrill.measure.notices import NoticeObjectives, StageRule, template_words
from drdrill.measure.steps import PlannedStep
from drdrill.measure.timeline import Criterion
from drdrill.measure.verdicts import Objectives, Words
from drdrill.plan import Plan, Scenario
from drdrill.plan.durations import humanize_duration
from drdrill.plan.steps import has_failover_signal, step_serves
from drdrill.plan.system import MODE_SIGNAL
from drdrill.plan.wording import plan_rules
from drdrill.units import ns


def objectives_for(plan: Plan, scenario: Scenario) -> Objectives:
    """What a drill of ``scenario`` is judged against."""
    objective = plan.objectives_for(scenario)
    s = scenario.staging
    contract = plan.staging_topology.system
    golden, recall = scenario.verification.golden_set, scenario.verification.index_recall
    alert = alert_bound(scenario)
    return Objectives(
        rto_ns=ns(objective.rto),
        rpo_ns=ns(objective.rpo),
        recovery_bound_ns=ns(s.recovery_bound),
        steady_window_ns=ns(s.steady_window),
        manual_ns=ns(scenario.manual_estimate),
        slow_factor=latency_factor(scenario),
        criteria=tuple(criteria(scenario, plan)),
        criteria_match_all=scenario.detection.match == "all",
        unit=Words(plan.staging_topology.unit.one, plan.staging_topology.unit.many),
        failover_signal=has_failover_signal(plan),
        steps=planned_steps(scenario),
        rpo_bound_ns=None if s.rpo_bound is None else ns(s.rpo_bound),
        counts_done=contract is not None
        and contract.final_read is not None
        and contract.final_read.times is not None,
        min_accuracy=None if golden is None else golden.min_accuracy,
        min_recall=None if recall is None else recall.min_recall,
        recall_k=10 if recall is None else recall.k,
        notices=notice_objectives(plan, scenario),
        alert_within_ns=None if alert is None else ns(alert[0]),
        alert_within_source="" if alert is None else alert[1],
        modes=mode_objectives(plan, scenario),
    )


def alert_bound(scenario: Scenario) -> tuple[timedelta, str] | None:
    """How soon the system's own alerting must fire in a staging drill, and where that comes from."""
    s = scenario.staging
    if s.alert_within is not None:
        return s.alert_within, "staging.alert_within"
    windows = [scenario.staging_window(c) for c in scenario.detection.criteria]
    if not windows:
        return None
    return max(
        windows
    ) + s.detection_window, "the longest staging window of the detection criteria plus the detection window"


def notice_objectives(plan: Plan, scenario: Scenario) -> NoticeObjectives | None:
    """The communication protocol at staging time scale, when the plan routes the system's messages to the sink."""
    channels = plan.staging_topology.notifications
    if not channels:
        return None
    roles = {c.role for c in channels.values()}
    stages: list[StageRule] = []
    for stage in ("first_notice", "initial_assessment", "resolution"):
        notice = plan.notice(scenario, stage)
        deadline = scenario.staging_deadline(stage, notice.deadline)
        production = f"{humanize_duration(notice.deadline)} after {notice.after}"
        stages.append(
            StageRule(
                stage=stage,
                after=notice.after,
                deadline_ns=None if deadline is None else ns(deadline[0]),
                source=deadline[1] if deadline is not None else _no_scale(stage),
                production=production,
                words=template_words(notice.template),
                pattern=notice.match,
            )
        )
    updates = plan.communication.updates
    cadence = scenario.staging_deadline("updates", updates.cadence)
    stages.insert(
        2,
        StageRule(
            stage="updates",
            after="notice",
            deadline_ns=None if cadence is None else ns(cadence[0]),
            source=cadence[1] if cadence is not None else _no_scale("updates"),
            production=f"every {humanize_duration(updates.cadence)}",
            words=template_words(updates.template),
            pattern=updates.match,
        ),
    )
    for name in scenario.degraded_modes:
        mode = plan.degraded_modes.get(name)
        if mode is not None:  # a degraded mode's notice is recognised, and counts as an update
            stages.append(StageRule("degraded", "notice", None, "", "", template_words(mode.client_notice)))
    vendors = [c.vendor for c in plan.components.values() if c.vendor]
    return NoticeObjectives(
        stages=tuple(stages),
        wording=plan_rules(vendors, plan.components, plan.objectives_for(scenario).rto),
        has_alerts="alert" in roles,
        has_notices="notice" in roles,
    )


def _no_scale(stage: str) -> str:
    return (
        f"the scenario gives no staging deadline for it (staging.notices.{stage}) and its detection criteria no "
        "time scale (a staging window over a production one)"
    )


def mode_objectives(plan: Plan, scenario: Scenario) -> ModeObjectives | None:
    """The degraded modes a drill of ``scenario`` allows, when the system reports its mode (None otherwise)."""
    contract = plan.staging_topology.system
    if contract is None or MODE_SIGNAL not in contract.signals:
        return None
    steps = tuple(
        (name, tuple(plan.degraded_modes[name].return_to_normal))
        for name in scenario.degraded_modes
        if name in plan.degraded_modes
    )
    return ModeObjectives(allowed=tuple(scenario.degraded_modes), return_to_normal=steps)


def planned_steps(scenario: Scenario) -> tuple[PlannedStep, ...]:
    """The scenario's recovery steps in order, so a drill knows an automated step it never ran."""
    return tuple(
        PlannedStep(
            title=step.title,
            hook=step.hook if step.action is None else step.action.kind,
            owner=step.owner,
            estimate_ns=None if step.estimate is None else ns(step.estimate),
            serves=step_serves(step),
        )
        for step in scenario.recovery
    )


def criteria(scenario: Scenario, plan: Plan | None = None) -> list[Criterion]:
    """The plan's detection criteria a drill can evaluate, at staging time scale, each on what it names."""
    found = []
    for c in scenario.detection.criteria:
        if not (
            (c.metric == "error_rate" and c.above is not None)
            or (c.metric == "latency" and c.baseline_factor is not None)
            or c.signal is not None
        ):
            continue
        component, measured_on = measured_on_what(plan, c.component, c.measured_on)
        if c.signal is not None:
            component, measured_on = None, f"the system's own signal {c.signal!r}"
        found.append(
            Criterion(
                metric=c.metric,
                window_ns=ns(scenario.staging_window(c)),
                above=c.above,
                factor=c.baseline_factor,
                description=c.describe(),
                component=component,
                measured_on=measured_on,
                signal=c.signal,
            )
        )
    return found


def link_of(plan: Plan, component: str) -> str | None:
    """The link (Toxiproxy proxy) in front of ``component``, if the plan gives it one."""
    found = plan.components.get(component)
    proxy = found.staging.proxy if found is not None and found.staging is not None else None
    return proxy if proxy is not None and proxy in plan.staging_topology.links else None


def measured_on_what(plan: Plan | None, component: str | None, wanted: str) -> tuple[str | None, str]:
    """Which samples judge a criterion on ``component``, and that choice in words for the page."""
    system = "the system's steady-state probes"
    if component is None:
        return None, system
    if wanted == "system":
        return None, f"{system}, as the plan says"
    link = link_of(plan, component) if plan is not None else None
    if link is None:
        return None, f"{system}: {component} has no link of its own to measure"
    return component, f"{component}'s own traffic: test requests through its link {link!r}"


def latency_factor(scenario: Scenario) -> float | None:
    """The plan's own latency criterion (e.g. 10x baseline) decides when a slow probe is a symptom."""
    factors = [
        c.baseline_factor
        for c in scenario.detection.criteria
        if c.metric == "latency" and c.baseline_factor is not None
    ]
    return min(factors) if factors else None
