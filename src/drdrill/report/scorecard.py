"""The scorecard: the one JSON artifact of a drill. Every view (terminal, HTML, history) is built from it."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from drdrill import __version__
from drdrill.journal import Event, Kind
from drdrill.measure import Measurements, Objectives, Verdict
from drdrill.measure.verdicts import DrillEnd, not_measured
from drdrill.plan import Plan, Scenario
from drdrill.report.schema import SCHEMA, check_scorecard, load_checked
from drdrill.units import NS_PER_S, Bound


def _s(ns: int | None) -> float | None:
    return None if ns is None else round(ns / NS_PER_S, 6)


def _bound(bound: Bound | None) -> list[float] | None:
    """``[minus, plus]`` in seconds: the true time lies in [figure - minus, figure + plus]."""
    return None if bound is None else [round(bound[0] / NS_PER_S, 6), round(bound[1] / NS_PER_S, 6)]


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
    environment: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything a reader or a later view needs, with times in seconds and the whole timeline."""
    origin = events[0].t_ns if events else 0
    ledger = measurements.ledger
    m = measurements
    card: dict[str, Any] = {
        "schema": SCHEMA,
        "drdrill_version": __version__,
        "run_id": run_id,
        "status": status,
        "error": error,
        "started_utc": events[0].utc if events else None,
        "finished_utc": events[-1].utc if events else None,
        "duration_s": _s(events[-1].t_ns - origin) if events else None,
        "plan": {"name": plan.name, "client": plan.client, "source": str(plan.source_dir)},
        "unit": {"one": objectives.unit.one, "many": objectives.unit.many},
        "scenario": {
            "name": scenario.name,
            "title": scenario.title,
            "tier": scenario.tier,
            "disruption": str(scenario.disruption),
            "source": str(scenario.source),
            "faults": list(faults),
        },
        "objectives": {
            "rto_s": _s(objectives.rto_ns),
            "rpo_s": _s(objectives.rpo_ns),
            "staging_recovery_bound_s": _s(objectives.recovery_bound_ns),
            "steady_window_s": _s(objectives.steady_window_ns),
            "manual_steps_s": _s(objectives.manual_ns),
            "detection_criteria": [
                {"metric": c.metric, "staging_window_s": _s(c.window_ns), "production": c.description}
                for c in objectives.criteria
            ],
            "detection_match": "all" if objectives.criteria_match_all else "any",
            "staging_rpo_bound_s": _s(objectives.rpo_bound_ns),
        },
        "measurements": {
            "time_to_detect_s": _s(m.time_to_detect_ns),
            "time_to_detect_bound_s": _bound(m.time_to_detect_bound_ns),
            "time_to_detect_by_plan_s": _s(m.time_to_detect_by_plan_ns),
            "time_to_detect_by_plan_bound_s": _bound(m.time_to_detect_by_plan_bound_ns),
            "time_to_failover_s": _s(m.time_to_failover_ns),
            "time_to_failover_bound_s": _bound(m.time_to_failover_bound_ns),
            "time_to_recover_s": _s(m.time_to_recover_ns),
            "time_to_recover_bound_s": _bound(m.time_to_recover_bound_ns),
            "time_to_failback_s": _s(m.time_to_failback_ns),
            "time_to_failback_bound_s": _bound(m.time_to_failback_bound_ns),
            # False when no probe or write during the fault was a symptom; then time_to_recover_s is 0 and
            # unseen_gap_s the longest outage the samples could have missed
            "interruption_seen": None if m.fault_start_ns is None else m.interrupted,
            "unseen_gap_s": _s(m.unseen_gap_ns),
            "in_fault": {"good_probes": m.good_probes_in_fault, "acknowledged": m.acknowledged_in_fault},
            "projected_rto_s": _s(m.projected_rto_ns(objectives.manual_ns)),
            "recovery_held_s": _s(m.recovery_held_ns),
            "fault_held_s": _s(m.fault_held_ns),
            "baseline_probe_latency_s": _s(m.baseline_latency_ns),
            "slow_probe_threshold_s": _s(m.slow_after_ns),
            "probes": m.probes,
            "failed_probes": m.failed_probes,
            "ledger": ledger.counts(),
            "lost_ids": sorted(ledger.lost),
            "unexpected_ids": sorted(ledger.unexpected),
            "not_done_ids": sorted(ledger.unprocessed),
            "lost_window_s": _s(m.lost_window_ns()) if ledger.read_done else None,
            "not_measured": not_measured(m, objectives, DrillEnd(status, error)),
            # The lost writes and when they were acknowledged, counted back from the failure (null: none lost).
            "rpo_window": None
            if m.loss is None
            else {
                "ids": list(m.loss.ids),
                "oldest_before_failure_s": _s(m.loss.oldest_before_ns),
                "newest_before_failure_s": _s(m.loss.newest_before_ns),
                "span_s": _s(m.loss.span_ns),
            },
            # Units done more than once, with how many times (null: the system does not say).
            "done_twice": None if m.done_twice is None else dict(sorted(m.done_twice.items())),
            "data_checks": [
                {"name": c.name, "outcome": c.outcome, "value": c.value, "expect": c.expect, "why": c.why}
                for c in m.data_checks
            ],
            # Every automated step (hook or declarative action) as it ran: what it served, its outcome, its time.
            "actions": [
                {
                    "title": r.title,
                    "carried_by": r.carried_by,
                    "action": r.action,
                    "serves": r.serves,
                    "outcome": r.outcome,
                    "duration_s": _s(r.duration_ns),
                    "detail": r.detail,
                }
                for r in m.steps
            ],
        },
        "verdicts": [v.to_json() for v in verdicts],
        "cleanup": list(cleanup),
        # What this run was, frozen: a re-run that differs can be told apart from a system that changed.
        "config": dict(config or {}),
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            **dict(environment or {}),
        },
        "timeline": [{**e.to_json(), "t_s": _s(e.t_ns - origin)} for e in events if e.kind is not Kind.READ],
    }
    # The builder holds itself to the published schema: a scorecard it writes always reads back.
    return check_scorecard(card, f"the scorecard of run {run_id}")


def write_scorecard(scorecard: dict[str, Any], path: Path) -> Path:
    """Write the scorecard atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(scorecard, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_scorecard(path: Path) -> dict[str, Any]:
    """Read a scorecard back, checked against its versioned schema (a /1 one upgraded to /2).

    Raises :class:`~drdrill.report.schema.ScorecardError` (a ValueError) with one line saying what is wrong.
    """
    return load_checked(path)


def tabletop_figures(scorecard: dict[str, Any], path: Path | None = None) -> dict[str, object]:
    """The measured figures that fill a tabletop script's after-action report."""
    m = scorecard["measurements"]
    figures: dict[str, object] = {
        "time_to_detect_s": m["time_to_detect_s"],
        "time_to_detect_bound_s": m.get("time_to_detect_bound_s"),
        "time_to_recover_s": m["time_to_recover_s"],
        "time_to_recover_bound_s": m.get("time_to_recover_bound_s"),
        "interruption_seen": m.get("interruption_seen"),
        "unseen_gap_s": m.get("unseen_gap_s"),
        "lost": m["ledger"]["lost"],
        "lost_not_measured": (m.get("not_measured") or {}).get("ledger.lost"),
        "verdict": str(scorecard["status"]).upper(),
        "time_to_fail_over_s": m["time_to_failover_s"],
        "time_to_fail_over_bound_s": m.get("time_to_failover_bound_s"),
        "projected_rto_s": m["projected_rto_s"],
        "drill run": f"{scorecard['run_id']} at {scorecard['started_utc']}",
    }
    if path is not None:
        figures["scorecard"] = str(path)
    return figures
