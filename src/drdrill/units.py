"""Units and the few formatters every part shares: nanoseconds inside, seconds and words for people.

Durations travel as integer nanoseconds (monotonic clock arithmetic is exact); the scorecard stores seconds;
every view formats a duration with :func:`seconds`, :func:`span` or :func:`bounded` from here, so a time reads
the same in the terminal, the HTML page and the tabletop report.
"""

from __future__ import annotations

from datetime import timedelta

NS_PER_S = 1_000_000_000

Bound = tuple[int, int]  # (minus, plus) in ns: the true time lies in [value - minus, value + plus]


def ns(delta: timedelta) -> int:
    """A duration in nanoseconds."""
    return round(delta.total_seconds() * NS_PER_S)


def ns_to_s(value: int) -> float:
    """Nanoseconds to seconds."""
    return value / NS_PER_S


def seconds(value_ns: int | None) -> str:
    """A duration for people: '12.3 s', or 'not observed'."""
    if value_ns is None:
        return "not observed"
    value = value_ns / NS_PER_S
    if value >= 3600:
        return f"{value / 3600:.2f} h"
    if value >= 120:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def span(value_ns: int) -> str:
    """A short span for people: '120 ms' under a second, else as :func:`seconds`."""
    return f"{round(value_ns / 1_000_000)} ms" if value_ns < NS_PER_S else seconds(value_ns)


def _offset(value_ns: int) -> str:
    if value_ns == 0:
        return "0"
    value = value_ns / NS_PER_S
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def bounded(value_ns: int | None, bound: Bound | None) -> str:
    """A time with its sampling bound: '0.61 s (+0/-0.50 s)'; without a bound, as :func:`seconds`."""
    if value_ns is None or bound is None:
        return seconds(value_ns)
    minus, plus = bound
    return f"{seconds(value_ns)} (+{_offset(plus)}/-{_offset(minus)} s)"
