"""Scorecards for the report tests: the cards ``build_scorecard`` makes (schema /2) for the standard drill and
for drills that left figures unmeasured, the same cards as schema /1 wrote them (as JSON: /1 is only ever
read from a file), and a reports directory laid out the way drills lay it out (``<reports>/<run>/scorecard.json``)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from drdrill.journal import Kind, Phase, Type
from drdrill.plan import Plan
from drdrill.report.schema import Scorecard, parse_scorecard
from drdrill.report.scorecard import write_scorecard
from tests.unit.measure.drill_timeline import (
    DrillScript,
    StandardDrill,
    edited,
    standard_scorecard,
    stepped_drill,
)

ROOT = Path(__file__).resolve().parents[3]
V1_SCORECARD = ROOT / "tests" / "unit" / "data" / "scorecard-v1.json"  # written by drdrill 0.1.0 (schema /1)
START = "2026-06-01T02:00:00.000000+00:00"


def restamp(
    card: Scorecard,
    status: str | None = None,
    started: str = START,
    *,
    scenario: str = "provider-outage",
    run_id: str = "abc123",
    error: str | None = None,
) -> Scorecard:
    """``card`` as another run: its identity, start and status replaced (``None``: kept)."""

    def change(out: dict[str, Any]) -> None:
        out.update(started_utc=started, run_id=run_id, error=error)
        if status is not None:
            out["status"] = status
        out["scenario"]["name"] = scenario

    return edited(card, change)


def varied_card(
    plan: Plan,
    status: str = "passed",
    started: str = START,
    *,
    scenario: str = "provider-outage",
    detect: float = 0.75,
    recover: float = 4.25,
    lost: int = 0,
    run_id: str = "abc123",
    error: str | None = None,
) -> Scorecard:
    """The standard drill's scorecard with its identity and headline figures replaced (every one measured:
    a figure that was not is the card of a drill that left it so, below)."""
    card = restamp(_standard(plan), status, started, scenario=scenario, run_id=run_id, error=error)

    def change(out: dict[str, Any]) -> None:
        m = out["measurements"]
        m["time_to_detect_s"], m["time_to_recover_s"] = detect, recover
        m["ledger"]["lost"] = lost

    return edited(card, change)


_CACHE: dict[int, Scorecard] = {}


def _standard(plan: Plan) -> Scorecard:
    if id(plan) not in _CACHE:
        _CACHE[id(plan)] = standard_scorecard(plan, "passed")
    return _CACHE[id(plan)]


def unread_card(plan: Plan, why: str) -> Scorecard:
    """The standard drill whose final read failed with ``why``, as the runner journals it: no count that
    needs the read, the verdicts that do unknown, so the run failed."""
    events = [
        replace(e, type=Type.FAIL, data={"why": why}) if e.kind is Kind.READ else e
        for e in StandardDrill().events
    ]
    return standard_scorecard(plan, "failed", events=events)


def unrecovered_card(plan: Plan) -> Scorecard:
    """A drill whose steady state never returned while the fault was held: no time to recover."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.submit("c1", Type.OK)
    d.probes(True, 5)
    d.phase(Phase.BASELINE, Type.END)
    d.phase("fault", Type.START)
    d.fault(Type.START)
    d.probes(False, 20)
    d.fault(Type.END)
    d.phase("fault", Type.END)
    d.probes(True, 2)
    d.final_read(held=["c1"], done=["c1"])
    return standard_scorecard(plan, "failed", events=d.events())


def unfaulted_card(plan: Plan) -> Scorecard:
    """A drill whose baseline did not hold, so it stopped before the fault: nothing to recover from."""
    d = DrillScript()
    d.phase(Phase.BASELINE, Type.START)
    d.submit("c1", Type.OK)
    d.probes(True, 3)
    d.probes(False, 2)
    d.phase(Phase.BASELINE, Type.END)
    d.final_read(held=["c1"], done=["c1"])
    return standard_scorecard(plan, "failed", events=d.events(), faults=())


def as_v1(card: Scorecard) -> dict[str, Any]:
    """``card`` as schema /1 wrote it (JSON): no unit, no verdict outcome, ``processed``/``unprocessed``, every
    count taken (a /1 drill always had its final read), a null figure without its reason."""
    out = copy.deepcopy(card.to_json())
    for added in ("steps", "configuration", "communication", "degraded_modes", "fault_reports"):
        del out[added]
    out["schema"] = "drdrill.scorecard/1"
    del out["unit"]
    assert all(v["outcome"] != "unknown" for v in out["verdicts"]), "schema /1 had no unknown verdict"
    out["verdicts"] = [
        {k: v[k] for k in ("name", "passed", "measured", "objective", "message")} for v in out["verdicts"]
    ]
    m = out["measurements"]
    del m["not_measured"]
    ledger = m["ledger"]
    assert None not in ledger.values(), "schema /1 always had the final read"
    m["ledger"] = {{"done": "processed", "not_done": "unprocessed"}.get(k, k): v for k, v in ledger.items()}
    m["unprocessed_ids"] = m.pop("not_done_ids")
    out["measurements"] = {k: m[k] for k in _V1_MEASUREMENTS}
    out["objectives"].pop("staging_rpo_bound_s", None)  # /1 had no staging RPO bound
    return out


# The order schema /1 wrote its measurements in (the keys of the 0.1.0 scorecard in tests/unit/data).
_V1_MEASUREMENTS = (
    "time_to_detect_s",
    "time_to_detect_by_plan_s",
    "time_to_failover_s",
    "time_to_recover_s",
    "time_to_failback_s",
    "projected_rto_s",
    "recovery_held_s",
    "fault_held_s",
    "baseline_probe_latency_s",
    "slow_probe_threshold_s",
    "probes",
    "failed_probes",
    "ledger",
    "lost_ids",
    "unexpected_ids",
    "unprocessed_ids",
    "lost_window_s",
)


def read_v1(card: Scorecard) -> Scorecard:
    """``card`` written as schema /1 and read back, upgraded, as every view gets it."""
    return parse_scorecard(as_v1(card), "a /1 scorecard")


def write_run(reports: Path, run: str, card: Scorecard | dict[str, Any]) -> Path:
    """Write ``card`` as the scorecard of run folder ``run`` (a /1 card as the JSON it is)."""
    path = reports / run / "scorecard.json"
    if isinstance(card, Scorecard):
        return write_scorecard(card, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(card, indent=2), encoding="utf-8")
    return path


# What the provider-failover hook says when the system never switches to its fallback before the staging bound.
STEP_ERROR = "the failover signal still says 'primary', not failed over, at the deadline (0.0 s left)"
ERRORED = "the staging replica did not start: service 'postgres' exited (code 1) before it was ready"


def errored_events() -> list[Any]:
    """A drill whose replica never started: the runner's phases up to the error, then its teardown."""
    d = DrillScript()
    d.phase(Phase.SWEEP, Type.START)
    d.phase(Phase.SWEEP, Type.END)
    d.phase(Phase.STACK_START, Type.START)
    d.wait(4.0)
    d.phase(Phase.STACK_START, Type.END)
    d.phase(Phase.TEARDOWN, Type.START)
    d.wait(1.0)
    d.phase(Phase.TEARDOWN, Type.END)
    return d.events()


def page_cards(plan: Plan) -> dict[str, Scorecard]:
    """The four drills every page must tell right, as the bundled provider-outage scenario with its steps: one
    that passed, one whose automated failover step failed (the service came back by itself), one that left a
    unit acknowledged and never done, and one that errored before the replica started."""
    return {
        "passed": standard_scorecard(plan, "passed", events=stepped_drill().events(), with_steps=True),
        "failed-step": standard_scorecard(
            plan,
            "failed",
            events=stepped_drill(failover=Type.FAIL, failover_detail=STEP_ERROR).events(),
            with_steps=True,
        ),
        "drained": standard_scorecard(
            plan, "failed", events=stepped_drill(stuck=["c7"]).events(), with_steps=True
        ),
        "errored": standard_scorecard(
            plan, "errored", events=errored_events(), error=ERRORED, faults=(), with_steps=True
        ),
    }
