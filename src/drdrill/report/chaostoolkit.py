"""A drill's scorecard as a Chaos Toolkit journal, so tools that read Chaos Toolkit results can read drills.

The mapping, from the typed scorecard alone:

- the experiment is the scenario: its faults and automated recovery steps are the method's actions (in the
  order the timeline shows them), the fault reverts are its rollbacks, and each verdict is a probe of the
  steady-state hypothesis (tolerance ``true``);
- ``steady_states.before`` holds the ``baseline`` verdict, ``after`` the others. A verdict that passed is a
  probe that ``succeeded`` within tolerance; one that failed ``succeeded`` out of tolerance (the system missed
  the objective); one whose outcome is unknown (a figure not measured) is a probe that ``failed``, as Chaos
  Toolkit records a probe that could not run;
- status: passed is ``completed``; failed is ``completed`` and ``deviated``, or ``failed`` when a verdict is
  unknown, as chaoslib does when a probe fails. When the baseline did not hold, the drill injected nothing
  (its recovery verdicts are unknown): that is chaoslib's gate, ``completed``, not deviated, judged on the
  baseline alone. Errored (the tool failed) is ``failed``; aborted (Ctrl-C, SIGTERM) is ``interrupted``,
  chaoslib's word for the same thing;
- a fault action runs from its start (stamped before it was applied) to its revert, i.e. as long as the fault
  was held; a rollback and a recovery step carry the times the journal stamped.

Activities name :func:`recorded` as their Python provider: the journal's experiment then validates with
chaoslib, and running it replays the recorded results and acts on nothing (the replica is gone).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from drdrill.report.schema import EventCard, Scorecard, VerdictCard

Activity = dict[str, Any]
RunRecord = dict[str, Any]

_STATUS = {"passed": "completed", "failed": "completed", "errored": "failed", "aborted": "interrupted"}
_BEFORE = "baseline"


def recorded(event: str, result: bool | None = None) -> bool | None:
    """The provider of every exported activity: the drill already performed ``event``, nothing is done again.

    Returns the drill's result (a probe: whether its verdict passed), so a probe's tolerance of ``true`` is
    met exactly when the drill's verdict was.
    """
    return result


def _activity(kind: str, name: str, result: bool | None = None, **extra: Any) -> Activity:
    arguments: dict[str, Any] = {"event": name}
    if result is not None:
        arguments["result"] = result
    provider = {"type": "python", "module": __name__, "func": recorded.__name__, "arguments": arguments}
    return {"type": kind, "name": name, "provider": provider, **extra}


def _duration(start: str, end: str) -> float:
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 6)


def _run(activity: Activity, start: str, end: str, status: str, output: Any) -> RunRecord:
    return {
        "activity": activity,
        "output": output,
        "status": status,
        "start": start,
        "end": end,
        "duration": _duration(start, end),
    }


def _method_and_rollbacks(timeline: Sequence[EventCard]) -> tuple[list[RunRecord], list[RunRecord]]:
    """Fault and recovery-step runs (by start) and fault reverts, from the timeline."""
    runs: list[RunRecord] = []
    rollbacks: list[RunRecord] = []
    faults: dict[str, EventCard] = {}
    steps: dict[str, EventCard] = {}
    for e in timeline:
        kind, type_, name, utc = e.kind, e.type, e.name, e.utc
        if kind == "fault" and type_ == "start":
            faults[name] = e
        elif kind == "fault" and type_ == "end" and name in faults:
            start = faults.pop(name).utc
            output = f"held {_duration(start, utc):g} s, then reverted"
            runs.append(_run(_activity("action", f"inject {name}"), start, utc, "succeeded", output))
            rollbacks.append(_run(_activity("action", f"revert {name}"), utc, utc, "succeeded", "reverted"))
        elif kind == "step" and type_ == "invoke":
            steps[name] = e
        elif kind == "step" and type_ in ("ok", "fail") and name in steps:
            start = steps.pop(name).utc
            status = "succeeded" if type_ == "ok" else "failed"
            detail = e.data.get("detail")
            runs.append(_run(_activity("action", name), start, utc, status, detail))
    # A fault never reverted (the run was cut short) still ran: it is an action that did not finish.
    for name, e in faults.items():
        runs.append(_run(_activity("action", f"inject {name}"), e.utc, e.utc, "failed", None))
    runs.sort(key=lambda r: str(r["start"]))
    return runs, rollbacks


def _probe_run(verdict: VerdictCard, when: str) -> RunRecord:
    activity = _activity("probe", verdict.name, verdict.outcome == "pass", tolerance=True)
    status = "failed" if verdict.outcome == "unknown" else "succeeded"
    record = _run(activity, when, when, status, verdict.message)
    record["tolerance_met"] = verdict.outcome == "pass"
    return record


def _steady_state(verdicts: Sequence[VerdictCard], when: str | None) -> dict[str, Any] | None:
    if not verdicts or when is None:
        return None
    return {
        "steady_state_met": all(v.outcome == "pass" for v in verdicts),
        "probes": [_probe_run(v, when) for v in verdicts],
    }


def _experiment(card: Scorecard, method: list[Activity], rollbacks: list[Activity]) -> dict[str, Any]:
    sc = card.scenario
    tags = ["drdrill", f"tier-{sc.tier}", sc.disruption or "unclassified"]
    return {
        "version": "1.0.0",
        "title": sc.title,
        "description": (
            f"drdrill staging drill of scenario {sc.name!r} ({card.plan.name} for {card.plan.client}); "
            f"faults: {', '.join(sc.faults) or 'none'}"
        ),
        "tags": tags,
        "steady-state-hypothesis": {
            "title": "The service holds its steady state and meets the scenario's objectives",
            "probes": [
                _activity("probe", v.name, v.outcome == "pass", tolerance=True) for v in card.verdicts
            ],
        },
        "method": method,
        "rollbacks": rollbacks,
        "extensions": [{"name": "drdrill", "run_id": card.run_id, "schema": card.schema_id}],
    }


def _phase_end(timeline: Sequence[EventCard], phase: str) -> str | None:
    return next((e.utc for e in timeline if e.kind == "phase" and e.type == "end" and e.name == phase), None)


def _status(card: Scorecard, before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[str, bool]:
    """(status, deviated) as chaoslib sets them: ``failed`` when a probe could not run; deviated when the
    steady state held before the method and not after it."""
    if card.status not in ("passed", "failed"):
        return _STATUS.get(card.status, "failed"), False
    if before is not None and not before["steady_state_met"]:
        # chaoslib's gate: the method never ran, so only the probes before it decide (run_gate_hypothesis).
        gate_failed = any(p["status"] != "succeeded" for p in before["probes"])
        return ("failed" if gate_failed else "completed"), False
    probe_failed = any(p["status"] != "succeeded" for s in (before, after) if s for p in s["probes"])
    deviated = after is not None and not after["steady_state_met"]
    return ("failed" if probe_failed else "completed"), deviated


def chaostoolkit_journal(card: Scorecard, scorecard_path: str | None = None) -> dict[str, Any]:
    """The Chaos Toolkit journal of a drill."""
    timeline = card.timeline
    runs, rollbacks = _method_and_rollbacks(timeline)
    verdicts = card.verdicts
    end = card.finished_utc
    before = _steady_state([v for v in verdicts if v.name == _BEFORE], _phase_end(timeline, _BEFORE))
    after = _steady_state([v for v in verdicts if v.name != _BEFORE], end or _phase_end(timeline, "fault"))
    status, deviated = _status(card, before, after)
    journal: dict[str, Any] = {
        "chaoslib-version": None,  # written by drdrill, not by chaoslib
        "drdrill-version": card.drdrill_version,
        "platform": card.environment.get("platform", ""),
        "node": card.environment.get("node", ""),
        "experiment": _experiment(card, [r["activity"] for r in runs], [r["activity"] for r in rollbacks]),
        "start": card.started_utc,
        "end": end,
        "duration": card.duration_s,
        "status": status,
        "deviated": deviated,
        "steady_states": {"before": before, "after": after, "during": []},
        "run": runs,
        "rollbacks": rollbacks,
    }
    if card.error:
        journal["error"] = card.error
    if scorecard_path:
        journal["experiment"]["extensions"][0]["scorecard"] = scorecard_path
    return journal


def write_chaostoolkit_journal(card: Scorecard, path: Path, scorecard_path: str | None) -> Path:
    """Write the journal as JSON, as ``chaos run`` writes ``journal.json``."""
    path.write_text(json.dumps(chaostoolkit_journal(card, scorecard_path), indent=2) + "\n")
    return path
