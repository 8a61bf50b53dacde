"""Units and the few formatters every part shares: nanoseconds inside, seconds and words for people.

Durations travel as integer nanoseconds (monotonic clock arithmetic is exact); the scorecard stores seconds.
Each formatter comes in two forms over one implementation: :func:`seconds`, :func:`span`, :func:`bounded` take
nanoseconds (measure/), :func:`duration_s`, :func:`span_s`, :func:`bounded_s` take the scorecard's seconds
(views), so a time reads the same in the verdicts, the terminal, the HTML page and the tabletop report, and no
view converts seconds back to nanoseconds.
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


def duration_s(value_s: float | None, missing: str = "not observed") -> str:
    """A duration given in seconds (as the scorecard stores it), for people: '12.3 s', '45.0 min', '4.00 h'."""
    if value_s is None:
        return missing
    if value_s >= 3600:
        return f"{value_s / 3600:.2f} h"
    if value_s >= 120:
        return f"{value_s / 60:.1f} min"
    return f"{value_s:.1f} s" if value_s >= 10 else f"{value_s:.2f} s"


def seconds(value_ns: int | None) -> str:
    """A duration in nanoseconds for people: '12.3 s', or 'not observed'."""
    return duration_s(None if value_ns is None else value_ns / NS_PER_S)


def span_s(value_s: float) -> str:
    """A short span given in seconds: '120 ms' under a second, else as :func:`duration_s`."""
    return f"{round(value_s * 1000)} ms" if value_s < 1 else duration_s(value_s)


def span(value_ns: int) -> str:
    """A short span in nanoseconds: '120 ms' under a second, else as :func:`seconds`."""
    return span_s(value_ns / NS_PER_S)


def fine_s(value_s: float) -> str:
    """A span that may be well under a millisecond, in seconds: '0.4 ms', '12.3 ms', else as :func:`duration_s`."""
    return f"{value_s * 1000:.1f} ms" if value_s < 1 else duration_s(value_s)


def fine(value_ns: int) -> str:
    """:func:`fine_s` of nanoseconds."""
    return fine_s(value_ns / NS_PER_S)


def _offset(value_s: float) -> str:
    if value_s == 0:
        return "0"
    return f"{value_s:.1f}" if value_s >= 10 else f"{value_s:.2f}"


def bounded_s(
    value_s: float | None, bound_s: tuple[float, float] | None, missing: str = "not observed"
) -> str:
    """A time in seconds with its sampling bound ``(minus, plus)`` in seconds: '0.61 s (+0/-0.50 s)'."""
    if value_s is None or bound_s is None:
        return duration_s(value_s, missing)
    minus, plus = bound_s
    return f"{duration_s(value_s)} (+{_offset(plus)}/-{_offset(minus)} s)"


def bounded(value_ns: int | None, bound: Bound | None) -> str:
    """A time in nanoseconds with its sampling bound: '0.61 s (+0/-0.50 s)'; without a bound, as :func:`seconds`."""
    if value_ns is None:
        return seconds(None)
    return bounded_s(
        value_ns / NS_PER_S, None if bound is None else (bound[0] / NS_PER_S, bound[1] / NS_PER_S)
    )


def unseen_outage(gap_s: float) -> str:
    """What a drill whose samples saw no symptom during the fault says instead of a recovery time."""
    return (
        f"no interruption seen by the probes and writes (an outage of at most {span_s(gap_s)} could fall "
        "between their samples)"
    )
