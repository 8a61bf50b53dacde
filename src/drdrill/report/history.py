"""Drill history from the scorecards a reports directory holds, and each plan scenario's readiness.

This is the one history model: ``drdrill lint --reports`` and ``drdrill history`` both read it, and both judge
"overdue" with :func:`drdrill.plan.standing.drill_standing`. It also tells when two runs of one scenario drilled
different configurations (compose file, environment, images, plan), so a changed result is not read as a
changed system when the drill itself changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from drdrill.plan import Plan, Scenario
from drdrill.plan.errors import clip_message
from drdrill.plan.files import exists, os_reason
from drdrill.plan.standing import DrillStanding, drill_standing
from drdrill.report.schema import COUNTS_AS_DRILL, ConfigurationCard, Scorecard, load_checked

__all__ = [
    "CLOCK_SKEW",
    "COUNTS_AS_DRILL",
    "ConfigurationChange",
    "DrillHistory",
    "DrillRun",
    "ScenarioReadiness",
    "configuration_changes",
    "lapsed",
    "read_history",
    "readiness",
]

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DrillRun:
    """One run's scorecard: a drill when it passed or failed; an errored or aborted run is kept to be shown."""

    path: Path
    card: Scorecard

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
            out[run.card.scenario.name] = run.started.date()  # runs are in order: the last one wins
        return out

    def of(self, scenario: str) -> list[DrillRun]:
        """Every run of ``scenario``, oldest first."""
        return [r for r in self.runs if r.card.scenario.name == scenario]

    def configuration_changes(self, scenario: str) -> list[ConfigurationChange]:
        """Each pair of consecutive runs of ``scenario`` (among those that recorded their configuration) that
        drilled different configurations, oldest first."""
        recorded = [(r, r.card.configuration) for r in self.of(scenario) if r.card.configuration is not None]
        out = []
        for (before, was), (after, now) in pairwise(recorded):
            changes = configuration_changes(was, now)
            if changes:
                out.append(ConfigurationChange(before, after, changes))
        return out


CLOCK_SKEW = timedelta(minutes=5)
"""How far past ``now`` a scorecard's start may lie and still count: another machine's clock may run ahead."""


def read_history(report_dir: Path, now: datetime | None = None) -> DrillHistory:
    """Scan ``<report_dir>/*/scorecard.json`` (schema /1 or /2), skipping each bad file with one line.

    Every file goes through the guarded reader (:func:`drdrill.report.schema.load_checked`): a FIFO, a link to
    ``/dev/zero``, a huge or deeply nested file or a non-finite number is one line in ``unreadable``, never a
    hang or a traceback, and the other scorecards are still read. A run started later than ``now`` (default:
    the current time) plus :data:`CLOCK_SKEW` is skipped too: a drill dated in the future never counts.
    """
    history = DrillHistory()
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    for path in _scorecard_files(report_dir, history):
        try:
            run = DrillRun(path, load_checked(path))
        except (OSError, ValueError, OverflowError) as exc:
            history.unreadable.append(
                clip_message(f"{path}: {exc}" if str(path) not in str(exc) else str(exc))
            )
            continue
        if run.started is not None and run.started > latest:
            history.unreadable.append(
                f"{path}: started {run.started.isoformat()}, after now ({latest - CLOCK_SKEW:%Y-%m-%d %H:%M} UTC) "
                f"by more than the {_minutes(CLOCK_SKEW)} clock skew allowed: not counted; correct the clock of "
                "the machine that ran it, or remove the file"
            )
            continue
        history.runs.append(run)
    history.runs.sort(key=lambda r: (r.started or _NEVER, str(r.path)))
    return history


def _minutes(span: timedelta) -> str:
    return f"{round(span.total_seconds() / 60)}-minute"


def _scorecard_files(report_dir: Path, history: DrillHistory) -> list[Path]:
    """``*/scorecard.json`` under ``report_dir``; a folder that cannot be listed is one line, not an error."""
    found: list[Path] = []
    try:
        runs = sorted(os.scandir(report_dir), key=lambda e: e.name)
    except OSError as exc:
        history.unreadable.append(f"{report_dir}: {os_reason(report_dir, exc)}")
        return found
    for entry in runs:
        if entry.name.startswith("."):
            continue  # as a shell's */ would: hidden folders hold no runs
        card = Path(entry.path) / "scorecard.json"
        try:
            is_dir = entry.is_dir()  # follows a link, as glob did; a link loop is not a directory
        except OSError:
            is_dir = False
        if is_dir and exists(card):
            found.append(card)
    return found


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


@dataclass(frozen=True)
class ConfigurationChange:
    """Two consecutive runs of one scenario that drilled different configurations, and what differed."""

    before: DrillRun
    after: DrillRun
    changes: list[str]


def _short(value: str | None) -> str:
    if value is None:
        return "not recorded"
    return value if len(value) <= 24 else value[:23] + "…"


def _mapping_changes(what: str, before: dict[str, str], after: dict[str, str]) -> list[str]:
    out = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is None:
            out.append(f"{what} {key} set to {new!r} (unset before)")
        elif new is None:
            out.append(f"{what} {key} unset (was {old!r})")
        else:
            out.append(f"{what} {key} changed from {_short(old)!r} to {_short(new)!r}")
    return out


def configuration_changes(before: ConfigurationCard, after: ConfigurationCard) -> list[str]:
    """What differs between two runs' configurations, in words; empty when they drilled the same thing."""
    out = []
    if before.compose_digest != after.compose_digest:
        out.append(
            f"compose file changed ({_short(before.compose_digest)} to {_short(after.compose_digest)})"
        )
    if before.plan_digest != after.plan_digest:
        out.append(f"plan changed ({_short(before.plan_digest)} to {_short(after.plan_digest)})")
    out += _mapping_changes("variable", before.environment, after.environment)
    out += _mapping_changes("image of", before.images, after.images)
    return out
