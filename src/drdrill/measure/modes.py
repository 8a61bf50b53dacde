"""Degraded modes, observed: which modes the system said it ran in, when it entered and left each, and whether
the scenario allows them. Pure: the journal's ``mode`` signal events in, a :class:`ModeReport` out.

The system reports its mode through the contract's ``mode`` signal; the plan maps each value to one of its
degraded modes (or ``normal``). The signal is polled, so a change happened after the poll before the one that
saw it: each instant carries that bound, as time to fail over does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import MODE, PREVIOUS_POLL, Event, Kind
from drdrill.units import seconds

NORMAL = "normal"


@dataclass(frozen=True)
class ModeObjectives:
    """What the scenario says of degraded modes: the ones it allows and how each returns to normal."""

    allowed: tuple[str, ...]
    return_to_normal: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (mode, the plan's steps back)

    def steps_back(self, mode: str) -> tuple[str, ...]:
        return next((steps for name, steps in self.return_to_normal if name == mode), ())


@dataclass(frozen=True)
class ModeSpan:
    """One stretch in a mode other than normal, in ns from the fault's start (negative: before it).

    ``entered_minus_ns`` / ``left_minus_ns``: the change happened up to that much before it was seen.
    ``left_ns`` is None when the system was still in the mode when the drill ended.
    """

    mode: str
    raw: str
    entered_ns: int
    entered_minus_ns: int
    left_ns: int | None = None
    left_minus_ns: int = 0


@dataclass(frozen=True)
class ModeReport:
    """Every degraded stretch the mode signal showed, and whether the scenario allows each."""

    spans: tuple[ModeSpan, ...]
    allowed: tuple[str, ...]
    fault_end_ns: int | None  # the revert, from the fault's start

    def not_allowed(self) -> list[ModeSpan]:
        return [s for s in self.spans if s.mode not in self.allowed and (s.left_ns is None or s.left_ns > 0)]

    def entered_during_fault(self) -> list[ModeSpan]:
        return [s for s in self.spans if s.left_ns is None or s.left_ns > 0]


def mode_report(
    events: Sequence[Event], fault_start_ns: int, fault_end_ns: int | None, allowed: Sequence[str]
) -> ModeReport:
    """The stretches the system spent outside normal operation, from the journal's mode signal."""
    spans: list[ModeSpan] = []
    open_span: ModeSpan | None = None
    for event in events:
        if event.kind is not Kind.SIGNAL or event.name != MODE or event.value is None:
            continue
        previous = event.data.get(PREVIOUS_POLL)
        minus = event.t_ns - int(previous) if isinstance(previous, int) else 0
        at = event.t_ns - fault_start_ns
        raw = str(event.data.get("raw", event.value))
        if open_span is not None:
            spans.append(
                ModeSpan(
                    open_span.mode, open_span.raw, open_span.entered_ns, open_span.entered_minus_ns, at, minus
                )
            )
            open_span = None
        if event.value != NORMAL:
            # "other" is a value the plan does not name: shown by its raw value, never allowed.
            mode = event.value if event.value != "other" else f"unnamed value {raw!r}"
            open_span = ModeSpan(mode, raw, at, minus)
    if open_span is not None:
        spans.append(open_span)
    end = None if fault_end_ns is None else fault_end_ns - fault_start_ns
    return ModeReport(tuple(spans), tuple(allowed), end)


@dataclass(frozen=True)
class ModeJudgement:
    outcome: str  # pass | fail
    measured: str
    objective: str
    message: str


def judge_modes(report: ModeReport, objectives: ModeObjectives) -> ModeJudgement:
    """The scenario's degraded mode entered while the fault held, left by the end, and no other mode entered."""
    allowed = ", ".join(repr(m) for m in objectives.allowed) or "none"
    objective = f"enter one of {allowed} during the fault, and return to normal"
    during = report.entered_during_fault()
    measured = "; ".join(_span_words(s) for s in during) or "normal throughout"
    wrong = report.not_allowed()
    if wrong:
        named = ", ".join(f"{s.mode!r} at {seconds(s.entered_ns)}" for s in wrong)
        return ModeJudgement(
            "fail",
            measured,
            objective,
            f"the system entered {named}, which this scenario does not allow ({allowed})",
        )
    if objectives.allowed and not during:
        return ModeJudgement(
            "fail",
            measured,
            objective,
            f"the system never reported a degraded mode while the fault was held; this scenario expects {allowed}",
        )
    stuck = [s for s in during if s.left_ns is None]
    if stuck:
        span = stuck[0]
        steps = "; ".join(objectives.steps_back(span.mode))
        how = f" (the plan's return to normal: {steps})" if steps else ""
        return ModeJudgement(
            "fail",
            measured,
            objective,
            f"still in {span.mode!r} when the drill ended: it never returned to normal{how}",
        )
    if not during:
        return ModeJudgement(
            "pass",
            measured,
            objective,
            "the system stayed in normal operation; the scenario names no degraded mode",
        )
    span = during[-1]
    steps = "; ".join(objectives.steps_back(span.mode))
    how = f"; the plan's return to normal: {steps}" if steps else ""
    return ModeJudgement("pass", measured, objective, f"{'; '.join(_span_words(s) for s in during)}{how}")


def _span_words(span: ModeSpan) -> str:
    entered = f"entered {span.mode!r} {seconds(span.entered_ns)} after the fault (+0/-{seconds(span.entered_minus_ns)})"
    if span.left_ns is None:
        return f"{entered}, not left"
    return f"{entered}, back to normal at {seconds(span.left_ns)} (+0/-{seconds(span.left_minus_ns)})"
