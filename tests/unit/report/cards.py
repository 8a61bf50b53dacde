"""Scorecards for the report tests: the standard drill's card, varied, in schema /1 or /2, written to a reports
directory the way drills lay it out (``<reports>/<run>/scorecard.json``)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from drdrill.plan import Plan
from drdrill.report.scorecard import write_scorecard
from tests.unit.measure.drill_timeline import standard_scorecard


def varied_card(
    plan: Plan,
    status: str = "passed",
    started: str = "2026-06-01T02:00:00.000000+00:00",
    *,
    scenario: str = "provider-outage",
    detect: float | None = 0.75,
    recover: float | None = 4.0,
    lost: int = 0,
    run_id: str = "abc123",
    error: str | None = None,
) -> dict[str, Any]:
    """The standard drill's scorecard (schema /1) with its headline figures and identity replaced."""
    card = copy.deepcopy(_base(plan))
    card.update(status=status, started_utc=started, run_id=run_id, error=error)
    card["scenario"]["name"] = scenario
    m = card["measurements"]
    m["time_to_detect_s"], m["time_to_recover_s"] = detect, recover
    m["ledger"]["lost"] = lost
    return card


_CACHE: dict[int, dict[str, Any]] = {}


def _base(plan: Plan) -> dict[str, Any]:
    if id(plan) not in _CACHE:
        _CACHE[id(plan)] = standard_scorecard(plan, "passed")
    return _CACHE[id(plan)]


def as_v2(card: dict[str, Any], *, lost_reason: str | None = None) -> dict[str, Any]:
    """The same card in schema /2: a unit of work, verdict outcomes, done/not_done, and optionally data lost
    not measured (null, with its reason)."""
    out = copy.deepcopy(card)
    out["schema"] = "drdrill.scorecard/2"
    out["unit"] = {"one": "claim", "many": "claims"}
    for verdict in out["verdicts"]:
        verdict["outcome"] = "pass" if verdict["passed"] else "fail"
    ledger = out["measurements"]["ledger"]
    ledger["done"] = ledger.pop("processed")
    ledger["not_done"] = ledger.pop("unprocessed")
    out["measurements"]["not_measured"] = {}
    if lost_reason is not None:
        ledger["lost"] = None
        out["measurements"]["not_measured"]["lost"] = lost_reason
        for verdict in out["verdicts"]:
            if verdict["name"] == "rpo":
                verdict["outcome"], verdict["passed"] = "unknown", False
    return out


def write_run(reports: Path, run: str, card: dict[str, Any]) -> Path:
    """Write ``card`` as the scorecard of run folder ``run``."""
    return write_scorecard(card, reports / run / "scorecard.json")
