"""When a scenario was last drilled and whether its next drill is overdue: the one definition of "overdue".

The plan's lints and the readiness report both ask this module, so a scenario cannot be overdue in one and on
time in the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from drdrill.plan.models import Scenario


@dataclass(frozen=True)
class DrillStanding:
    """A scenario's latest drill as of ``today`` against its cadence."""

    scenario: str
    tier: int
    cadence: timedelta
    today: date
    last: date | None

    @property
    def never_drilled(self) -> bool:
        return self.last is None

    @property
    def due(self) -> date | None:
        """The last day on which the next drill is still on time."""
        if self.last is None:
            return None
        try:
            return self.last + self.cadence
        except OverflowError:  # a plan may date a drill in year 9999 (the future-date lint says so)
            return date.max

    @property
    def overdue(self) -> bool:
        """Drilled once, and the cadence has run out before ``today`` (the due day itself is on time)."""
        return self.due is not None and self.due < self.today

    @property
    def lapsed(self) -> bool:
        """Never drilled or overdue: the plan's promise of a tested recovery does not hold."""
        return self.never_drilled or self.overdue

    @property
    def days_since(self) -> int | None:
        return None if self.last is None else (self.today - self.last).days

    @property
    def decay(self) -> float | None:
        """Share of the cadence used up since the last drill (1.0 on the due day, above 1 when overdue)."""
        days = self.days_since
        cadence_days = self.cadence / timedelta(days=1)
        return None if days is None or cadence_days <= 0 else days / cadence_days


def drill_standing(scenario: Scenario, today: date, drilled: date | None = None) -> DrillStanding:
    """The standing of ``scenario``: its latest drill is the later of the plan's ``drills.history`` and
    ``drilled`` (a drill found outside the plan, such as a scorecard)."""
    dates = [d for d in (scenario.drills.last_drilled, drilled) if d is not None]
    return DrillStanding(
        scenario.name, scenario.tier, scenario.drills.cadence, today, max(dates, default=None)
    )
