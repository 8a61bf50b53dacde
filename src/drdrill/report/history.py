"""Drill history from the scorecards a reports directory holds, and each plan scenario's readiness.

This is the one history model: ``drdrill lint --reports`` and ``drdrill history`` both read it, and both judge
"overdue" with :func:`drdrill.plan.standing.drill_standing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from drdrill.plan import Plan, Scenario
from drdrill.plan.standing import DrillStanding, drill_standing
from drdrill.report.cardview import COUNTS_AS_DRILL, CardView, load_card

__all__ = [
    "COUNTS_AS_DRILL",
    "DrillHistory",
    "DrillRun",
    "ScenarioReadiness",
    "lapsed",
    "read_history",
    "readiness",
]

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DrillRun:
    """One run's scorecard: a drill when it passed or failed; an errored or aborted run is kept to be shown."""

    path: Path
    card: CardView

    @property
    def started(self) -> datetime | None:
        return self.card.started

    @property
    def counts(self) -> bool:
        """Whether this run counts as a drill of its scenario."""
        return self.card.counts_as_drill and self.started is not None


@dataclass
class DrillHistory:
    """Every readable run, oldest first, and the files that could not be read as scorecards."""

    runs: list[DrillRun] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def drills(self) -> list[DrillRun]:
        """The runs that count as drills."""
        return [r for r in self.runs if r.counts]

    @property
    def last_drilled(self) -> dict[str, date]:
        """Day of the latest drill per scenario (UTC)."""
        out: dict[str, date] = {}
        for run in self.drills:
            assert run.started is not None  # counts implies a start
            out[run.card.scenario_name] = run.started.date()  # runs are in order: the last one wins
        return out

    def of(self, scenario: str) -> list[DrillRun]:
        """Every run of ``scenario``, oldest first."""
        return [r for r in self.runs if r.card.scenario_name == scenario]


def read_history(report_dir: Path) -> DrillHistory:
    """Scan ``<report_dir>/*/scorecard.json`` (schema /1 or /2)."""
    history = DrillHistory()
    for path in sorted(report_dir.glob("*/scorecard.json")):
        try:
            run = DrillRun(path, load_card(path))
        except (OSError, ValueError) as exc:
            history.unreadable.append(f"{path}: {exc}")
            continue
        history.runs.append(run)
    history.runs.sort(key=lambda r: (r.started or _NEVER, str(r.path)))
    return history


@dataclass(frozen=True)
class ScenarioReadiness:
    """One row of the readiness report: a plan scenario, its drills and its standing against its cadence."""

    scenario: Scenario
    standing: DrillStanding
    runs: list[DrillRun]

    @property
    def drills(self) -> list[DrillRun]:
        return [r for r in self.runs if r.counts]

    @property
    def last_run(self) -> DrillRun | None:
        """The latest run of any status (an errored last run is worth showing)."""
        return self.runs[-1] if self.runs else None

    @property
    def last_drill(self) -> DrillRun | None:
        """The latest run that counts as a drill."""
        drills = self.drills
        return drills[-1] if drills else None


def readiness(plan: Plan, history: DrillHistory, today: date) -> list[ScenarioReadiness]:
    """One entry per scenario of ``plan``, in the plan's order."""
    drilled = history.last_drilled
    return [
        ScenarioReadiness(scenario, drill_standing(scenario, today, drilled.get(name)), history.of(name))
        for name, scenario in plan.scenarios.items()
    ]


def lapsed(rows: list[ScenarioReadiness], tier: int | None = 1) -> list[ScenarioReadiness]:
    """Rows never drilled or overdue, of ``tier`` only (``None``: every tier)."""
    return [r for r in rows if r.standing.lapsed and (tier is None or r.scenario.tier == tier)]
