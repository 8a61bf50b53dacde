"""What the warm-up before the baseline found, read from its note, typed. Pure.

The runner waits, before the baseline, until the system has answered a few probes in a row (or the plan's
warm-up bound has passed) and journals one note saying how that went. A note that lacks a field or holds the
wrong type reads as no note at all: what was not journalled is not made up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import WARMUP, Event, Kind
from drdrill.measure.fields import count, number
from drdrill.units import NS_PER_S


@dataclass(frozen=True)
class Warmup:
    """How the warm-up went: whether the system answered ``needed`` probes in a row, and in how long."""

    settled: bool
    waited_ns: int
    streak: int  # good probes in a row when it ended
    needed: int  # how many in a row it waited for

    @property
    def waited_s(self) -> float:
        return self.waited_ns / NS_PER_S


def warmup_of(events: Sequence[Event]) -> Warmup | None:
    """The first warm-up note, typed; None when there is none or it is not as the runner writes it."""
    data = next((e.data for e in events if e.kind is Kind.NOTE and e.name == WARMUP), None)
    if data is None:
        return None
    settled, waited = data.get("settled"), number(data, "waited_s")
    streak, needed = count(data, "streak"), count(data, "needed")
    if not isinstance(settled, bool) or waited is None or streak is None or needed is None:
        return None
    return Warmup(settled=settled, waited_ns=round(waited * NS_PER_S), streak=streak, needed=needed)
