"""The builder of the scorecard: the one artifact of a drill, typed, that every view is built from.

:func:`build_scorecard` turns what measure/ found into a :class:`~drdrill.report.schema.Scorecard` (times in
seconds, the whole timeline); :func:`write_scorecard` writes it as JSON. Reading one back is
:func:`drdrill.report.schema.load_checked`.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import JsonValue

from drdrill import __version__
from drdrill.journal import Event, Kind, fault_reports
from drdrill.measure import Measurements, Objectives, Verdict
from drdrill.measure.checks import ScoreResult
from drdrill.measure.modes import ModeReport
from drdrill.measure.notices import Communication
from drdrill.measure.steps import StepResult
from drdrill.measure.verdicts import DrillEnd, not_measured
from drdrill.measure.workload import WorkloadFigures
from drdrill.plan import Plan, Scenario
from drdrill.report.schema import (
    STATUSES,
    CommunicationCard,
    ConfigurationCard,
    CriterionRef,
    DataCheckCard,
    EventCard,
    FaultReportCard,
    InFault,
    LedgerCounts,
    MeasurementsCard,
    MessageCard,
    MissCard,
    ModesCard,
    ModeSpanCard,
    NoticeStageCard,
    ObjectivesCard,
    PlanRef,
    RpoWindowCard,
    ScenarioRef,
    ScoreCard,
    Scorecard,
    StartLag,
    Status,
    StepCard,
    UnitWords,
    VerdictCard,
    WorkloadCard,
)
from drdrill.units import NS_PER_S, Bound


def _secs(ns: int) -> float:
    return round(ns / NS_PER_S, 6)


def _s(ns: int | None) -> float | None:
    return None if ns is None else _secs(ns)


def _bound(bound: Bound | None) -> tuple[float, float] | None:
    """``(minus, plus)`` in seconds: the true time lies in [figure - minus, figure + plus]."""
    return None if bound is None else (round(bound[0] / NS_PER_S, 6), round(bound[1] / NS_PER_S, 6))


def _json(value: object) -> JsonValue:
    """A data check's value as JSON: numbers, strings, booleans and null as they are, anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _status(status: str) -> Status:
    found = next((s for s in STATUSES if s == status), None)
    if found is None:
        raise ValueError(f"unknown drill status {status!r}; known: {', '.join(STATUSES)}")
    return found


def _measurements(m: Measurements, objectives: Objectives, end: DrillEnd) -> MeasurementsCard:
    ledger = m.ledger
    return MeasurementsCard(
        time_to_detect_s=_s(m.time_to_detect_ns),
        time_to_detect_bound_s=_bound(m.time_to_detect_bound_ns),
        time_to_detect_by_plan_s=_s(m.time_to_detect_by_plan_ns),
        time_to_detect_by_plan_bound_s=_bound(m.time_to_detect_by_plan_bound_ns),
        time_to_failover_s=_s(m.time_to_failover_ns),
        time_to_failover_bound_s=_bound(m.time_to_failover_bound_ns),
        time_to_recover_s=_s(m.time_to_recover_ns),
        time_to_recover_bound_s=_bound(m.time_to_recover_bound_ns),
        time_to_failback_s=_s(m.time_to_failback_ns),
        time_to_failback_bound_s=_bound(m.time_to_failback_bound_ns),
        # False when no probe or write during the fault was a symptom; then time_to_recover_s is 0 and
        # unseen_gap_s the longest outage the samples could have missed
        interruption_seen=None if m.fault_start_ns is None else m.interrupted,
        unseen_gap_s=_s(m.unseen_gap_ns),
        in_fault=InFault(good_probes=m.good_probes_in_fault, acknowledged=m.acknowledged_in_fault),
        projected_rto_s=_s(m.projected_rto_ns(objectives.manual_ns)),
        time_to_detect_by_system_s=None
        if m.communication is None
        else _s(m.communication.time_to_detect_by_system_ns),
        recovery_held_s=_s(m.recovery_held_ns),
        fault_held_s=_s(m.fault_held_ns),
        baseline_probe_latency_s=_s(m.baseline_latency_ns),
        warmup_s=None if m.warmup is None else m.warmup.waited_s,
        warmup_settled=None if m.warmup is None else m.warmup.settled,
        slow_probe_threshold_s=_s(m.slow_after_ns),
        probes=m.probes,
        failed_probes=m.failed_probes,
        ledger=LedgerCounts(**ledger.counts()),
        lost_ids=sorted(ledger.lost),
        unexpected_ids=sorted(ledger.unexpected),
        not_done_ids=sorted(ledger.unprocessed),
        lost_window_s=_s(m.lost_window_ns()) if ledger.read_done else None,
        not_measured=not_measured(m, objectives, end),
        rpo_window=None
        if m.loss is None
        else RpoWindowCard(
            ids=list(m.loss.ids),
            oldest_before_failure_s=_secs(m.loss.oldest_before_ns),
            newest_before_failure_s=_secs(m.loss.newest_before_ns),
            span_s=_secs(m.loss.span_ns),
        ),
        done_twice=None if m.done_twice is None else dict(sorted(m.done_twice.items())),
        data_checks=[
            DataCheckCard(
                name=c.name, outcome=c.outcome, value=_json(c.value), expect=_json(c.expect), why=c.why
            )
            for c in m.data_checks
        ],
        golden_set=_score(m.golden_set),
        index_recall=_score(m.index_recall),
        workload=_workload(m.workload),
    )


def _score(result: ScoreResult | None) -> ScoreCard | None:
    if result is None:
        return None
    return ScoreCard(
        outcome=result.outcome,
        minimum=result.minimum,
        score=result.score,
        right=result.right,
        total=result.total,
        answered=result.answered,
        k=result.k,
        misses=[MissCard(text=x.text, expected=x.expected, got=x.got) for x in result.misses],
        why=result.why,
    )


def _host(m: Measurements) -> dict[str, JsonValue]:
    """How busy the host was, for the environment (nothing when it was not measured)."""
    h = m.host
    if h is None:
        return {}
    share = None if h.busy_share is None else round(h.busy_share, 3)
    steal = None if h.steal_share is None else round(h.steal_share, 3)
    found: dict[str, JsonValue] = {
        "cpus": h.cpus,
        "load_1m": round(h.load_1m, 2),
        "cpu_busy_share": share,
        "cpu_steal_share": steal,
        "saturated": h.saturated,
    }
    return {"host": found}


def _workload(w: WorkloadFigures | None) -> WorkloadCard | None:
    if w is None:
        return None
    lag = None
    if w.lag_median_ns is not None and w.lag_p99_ns is not None and w.lag_max_ns is not None:
        lag = StartLag(median_s=_secs(w.lag_median_ns), p99_s=_secs(w.lag_p99_ns), max_s=_secs(w.lag_max_ns))
    achieved = None if w.achieved_rate_per_s is None else round(w.achieved_rate_per_s, 3)
    return WorkloadCard(
        mode=w.mode,
        declared_rate_per_s=w.declared_rate_per_s,
        achieved_rate_per_s=achieved,
        scheduled=w.scheduled,
        started=w.started,
        refused=w.refused,
        max_in_flight=w.max_in_flight,
        start_lag=lag,
        on_schedule_s=_secs(w.on_schedule_ns),
        late=w.late,
    )


def _communication(comm: Communication | None) -> CommunicationCard | None:
    if comm is None:
        return None
    return CommunicationCard(
        time_to_detect_by_system_s=_s(comm.time_to_detect_by_system_ns),
        alerts_before_fault=comm.alerts_before_fault,
        detected_s=_s(comm.detected_ns),
        detected_by=comm.detected_by,
        restored_s=_s(comm.restored_ns),
        messages=[
            MessageCard(
                at_s=_secs(m.at_ns),
                channel=m.channel,
                role=m.role,
                shape=m.shape,
                text=m.text,
                action=m.action,
                subject=m.subject,
                stage=m.stage,
                problems=list(m.problems),
            )
            for m in comm.messages
        ],
        stages=[
            NoticeStageCard(
                stage=r.stage,
                outcome=r.outcome,
                measured=r.measured,
                objective=r.objective,
                message=r.message,
                deadline_s=_s(r.deadline_ns),
                due_s=_s(r.due_ns),
                sent_s=_s(r.sent_ns),
            )
            for r in comm.stages
        ],
    )


def _modes(report: ModeReport | None) -> ModesCard | None:
    if report is None:
        return None
    return ModesCard(
        allowed=list(report.allowed),
        spans=[
            ModeSpanCard(
                mode=s.mode,
                raw=s.raw,
                allowed=s.mode in report.allowed,
                entered_s=_secs(s.entered_ns),
                entered_minus_s=_secs(s.entered_minus_ns),
                left_s=_s(s.left_ns),
                left_minus_s=_secs(s.left_minus_ns),
            )
            for s in report.spans
        ],
    )


def _fault_reports(events: Sequence[Event]) -> list[FaultReportCard]:
    return [
        FaultReportCard(fault=label, target=target, counts=counts)
        for label, target, counts in fault_reports(events)
        if counts
    ]


def _step(step: StepResult, origin: int) -> StepCard:
    return StepCard(
        title=step.title,
        automated=step.automated,
        outcome=step.outcome,
        serves=step.serves,
        hook=step.hook,
        action=step.action,
        owner=step.owner,
        estimate_s=_s(step.estimate_ns),
        started_s=None if step.invoked_ns is None else _s(step.invoked_ns - origin),
        duration_s=_s(step.duration_ns),
        detail=step.detail,
    )


def _verdict(v: Verdict) -> VerdictCard:
    return VerdictCard(
        name=v.name,
        outcome=v.outcome,
        passed=v.passed,
        measured=v.measured,
        objective=v.objective,
        message=v.message,
    )


def _event(e: Event, origin: int) -> EventCard:
    data: dict[str, JsonValue] = dict(e.data)
    return EventCard(
        seq=e.seq,
        t_ns=e.t_ns,
        utc=e.utc,
        kind=e.kind.value,
        type=e.type.value,
        name=e.name,
        t_s=_secs(e.t_ns - origin),
        process=e.process,
        value=e.value,
        data=data,
    )


def build_scorecard(
    *,
    plan: Plan,
    scenario: Scenario,
    run_id: str,
    status: str,
    error: str | None,
    objectives: Objectives,
    measurements: Measurements,
    verdicts: Sequence[Verdict],
    events: Sequence[Event],
    faults: Sequence[str],
    cleanup: Sequence[str],
    environment: Mapping[str, JsonValue] | None = None,
    config: Mapping[str, JsonValue] | None = None,
    configuration: ConfigurationCard | None = None,
) -> Scorecard:
    """Everything a reader or a later view needs, with times in seconds and the whole timeline.

    ``configuration`` is what shaped the system under drill (compose file and plan digests, the environment
    compose substituted, image ids), when the runner recorded it.
    """
    origin = events[0].t_ns if events else 0
    # Every model validates as it is made, so a card the builder returns is one its schema accepts.
    return Scorecard(
        schema="drdrill.scorecard/2",
        drdrill_version=__version__,
        run_id=run_id,
        status=_status(status),
        error=error,
        started_utc=events[0].utc if events else None,
        finished_utc=events[-1].utc if events else None,
        duration_s=_s(events[-1].t_ns - origin) if events else None,
        plan=PlanRef(name=plan.name, client=plan.client, source=str(plan.source_dir)),
        unit=UnitWords(one=objectives.unit.one, many=objectives.unit.many),
        scenario=ScenarioRef(
            name=scenario.name,
            title=scenario.title,
            tier=scenario.tier,
            disruption=str(scenario.disruption),
            source=str(scenario.source),
            faults=list(faults),
        ),
        objectives=ObjectivesCard(
            rto_s=_secs(objectives.rto_ns),
            rpo_s=_secs(objectives.rpo_ns),
            staging_recovery_bound_s=_secs(objectives.recovery_bound_ns),
            steady_window_s=_secs(objectives.steady_window_ns),
            manual_steps_s=_secs(objectives.manual_ns),
            detection_criteria=[
                CriterionRef(
                    metric=c.metric,
                    staging_window_s=_s(c.window_ns),
                    production=c.description,
                    measured_on=c.measured_on,
                )
                for c in objectives.criteria
            ],
            detection_match="all" if objectives.criteria_match_all else "any",
            staging_rpo_bound_s=_s(objectives.rpo_bound_ns),
        ),
        measurements=_measurements(measurements, objectives, DrillEnd(status, error)),
        verdicts=[_verdict(v) for v in verdicts],
        cleanup=list(cleanup),
        # What this run was, frozen: a re-run that differs can be told apart from a system that changed.
        config=dict(config or {}),
        environment={
            "python": platform.python_version(),
            "platform": platform.platform(),
            **dict(environment or {}),
            **_host(measurements),
        },
        timeline=[_event(e, origin) for e in events if e.kind is not Kind.READ],
        steps=[_step(s, origin) for s in measurements.steps],
        configuration=configuration,
        communication=_communication(measurements.communication),
        degraded_modes=_modes(measurements.modes),
        fault_reports=_fault_reports(events),
    )


def write_scorecard(scorecard: Scorecard, path: Path) -> Path:
    """Write the scorecard atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(scorecard.dumps(), encoding="utf-8")
    tmp.replace(path)
    return path
