"""The drill's result: the journal measured and judged, the scorecard built and written, the views rendered."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drdrill.journal import Journal
from drdrill.measure import Measurements, Verdict, measure_and_judge
from drdrill.measure.objectives import objectives_for
from drdrill.measure.verdicts import DrillEnd
from drdrill.plan import Plan, Scenario
from drdrill.report.html import write_html
from drdrill.report.schema import ConfigurationCard, Scorecard
from drdrill.report.scorecard import build_scorecard, write_scorecard
from drdrill.run.context import DrillSettings, Prepared


@dataclass(frozen=True)
class DrillResult:
    """What a drill produced: the scorecard (the one artifact every view is built from) and where it is."""

    status: str  # passed | failed | errored | aborted
    scorecard: Scorecard
    scorecard_path: Path
    verdicts: list[Verdict]
    measurements: Measurements

    @property
    def failures(self) -> list[Verdict]:
        """Objectives the system missed."""
        return [v for v in self.verdicts if v.outcome == "fail"]

    @property
    def not_judged(self) -> list[Verdict]:
        """Objectives whose inputs were never measured."""
        return [v for v in self.verdicts if v.outcome == "unknown"]


def finish(
    *,
    plan: Plan,
    scenario: Scenario,
    settings: DrillSettings,
    prepared: Prepared | None,
    journal: Journal,
    run_dir: Path,
    end: DrillEnd,
    environment: dict[str, Any],
    cleanup: list[str],
) -> DrillResult:
    """Measure the journal, judge it, and write the scorecard and its HTML page beside the journal."""
    events = journal.events()
    journal.close()
    objectives = objectives_for(plan, scenario)
    measurements, verdicts = measure_and_judge(events, objectives, end)
    status = end.status
    if status == "completed":
        status = "passed" if all(v.passed for v in verdicts) else "failed"
    stack = prepared.stack if prepared is not None else None
    scorecard = build_scorecard(
        plan=plan,
        scenario=scenario,
        run_id=settings.run_id,
        status=status,
        error=end.error,
        objectives=objectives,
        measurements=measurements,
        verdicts=verdicts,
        events=events,
        faults=[f.label for f in prepared.injector.faults] if prepared is not None else [],
        cleanup=cleanup,
        environment=environment,
        config={
            "staging": scenario.staging.model_dump(mode="json"),
            "faults": [f.model_dump(mode="json") for f in [*scenario.faults, *settings.extra_faults]],
            "recovery_hooks": [p.step.hook for p in prepared.steps] if prepared is not None else [],
            "compose_file": str(stack.compose_file) if stack is not None else None,
            "compose_override": stack.override_text if stack is not None else None,
            "system": type(prepared.system).__qualname__ if prepared is not None else None,
        },
        configuration=_configuration(prepared, environment, plan),
    )
    path = write_scorecard(scorecard, run_dir / "scorecard.json")
    write_html(scorecard, run_dir / "scorecard.html", str(path))
    return DrillResult(status, scorecard, path, verdicts, measurements)


def _configuration(
    prepared: Prepared | None, environment: dict[str, Any], plan: Plan
) -> ConfigurationCard | None:
    """What shaped the system under drill, with the image each service ran (known once it started)."""
    if prepared is None or prepared.configuration is None:
        return None
    found = prepared.configuration
    return ConfigurationCard(
        compose_file=found.compose_file,
        compose_digest=found.compose_digest,
        environment=dict(found.environment),
        images={str(k): str(v) for k, v in (environment.get("images") or {}).items()},
        plan_digest=found.plan_digest,
        host_access_allowed={
            service: list(entries) for service, entries in plan.staging_topology.allow_host_access.items()
        },
    )
