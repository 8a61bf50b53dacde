"""Durations written in a plan: parsed once, at load time, into :class:`datetime.timedelta`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema

from drdrill.plan.errors import shorten

ACCEPTED_FORMS = "a number with a unit (250ms, 90s, 15m, 4h, 2d, 1h30m) or ISO 8601 (PT15M, PT1H30M, P2D)"
MAX_DURATION = timedelta(days=3650)
"""The longest duration a plan may give (about ten years): longer is a typo, and dates plus it must fit."""

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_ISO_SECONDS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_SHORT_PART = r"(\d+(?:\.\d+)?)(ms|s|m|h|d)"
_SHORT = re.compile(rf"^(?:{_SHORT_PART})+$")
_SHORT_PARTS = re.compile(_SHORT_PART)
_ISO = re.compile(
    r"^P(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
# Used in the JSON Schema so editors flag a bad duration while it is typed.
DURATION_PATTERN = r"^((\d+(\.\d+)?(ms|s|m|h|d))+|P(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?(T(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?)$"


class DurationError(ValueError):
    """A duration string that is neither of the accepted forms."""


def parse_duration(text: str) -> timedelta:
    """Parse ``"90s"``, ``"15m"``, ``"4h"``, ``"1h30m"``, ``"250ms"``, ``"2d"`` or ISO 8601 (``"PT15M"``).

    Raises :class:`DurationError` naming the accepted forms for anything else, and for a duration longer than
    :data:`MAX_DURATION`.
    """
    value = text.strip()
    seconds = _seconds(value)
    if seconds is None:
        raise DurationError(f"invalid duration {shorten(repr(text))}; use {ACCEPTED_FORMS}")
    # Compared before timedelta() sees it: a number that large overflows it (OverflowError).
    if seconds > MAX_DURATION.total_seconds():
        raise DurationError(
            f"duration {shorten(repr(text))} is longer than a plan may give "
            f"(at most {format_duration(MAX_DURATION)}, about ten years): check the number and its unit"
        )
    return timedelta(seconds=seconds)


def _seconds(value: str) -> float | None:
    """The seconds ``value`` stands for (``inf`` for a number too large for a float), or None if no duration."""
    if _SHORT.match(value):
        return sum(float(n) * _UNIT_SECONDS[u] for n, u in _SHORT_PARTS.findall(value))
    iso = _ISO.match(value.upper())
    if iso and value.upper() not in ("P", "PT") and not value.upper().endswith("T"):
        parts = {k: float(v) for k, v in iso.groupdict().items() if v is not None}
        return sum(parts.get(unit, 0.0) * size for unit, size in _ISO_SECONDS.items())
    return None


def format_duration(value: timedelta) -> str:
    """The shortest exact short form of ``value`` (``timedelta(minutes=90)`` -> ``"1h30m"``)."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    sign = "-" if total_ms < 0 else ""
    total_ms = abs(total_ms)
    out = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, total_ms = divmod(total_ms, size)
        if count:
            out.append(f"{count}{unit}")
    return sign + "".join(out)


def humanize_duration(value: timedelta) -> str:
    """A duration as a reader says it: ``"4 hours"``, ``"1 hour 30 minutes"``, ``"30 seconds"``."""
    total = round(value.total_seconds())
    if total == 0:
        ms = round(value.total_seconds() * 1000)
        return f"{ms} milliseconds" if ms else "0 seconds"
    words = []
    for name, size in (("day", 86_400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, total = divmod(total, size)
        if count:
            words.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(words)


def _coerce(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}; use {ACCEPTED_FORMS}")
    if isinstance(value, int | float) and value == 0:
        return timedelta(0)
    if isinstance(value, int | float):
        raise DurationError(f"duration {shorten(repr(value))} has no unit; use {ACCEPTED_FORMS}")
    if isinstance(value, str):
        return parse_duration(value)
    raise DurationError(f"invalid duration {shorten(repr(value))}; use {ACCEPTED_FORMS}")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "pattern": DURATION_PATTERN}, {"const": 0}],
            "description": f"A duration: {ACCEPTED_FORMS}.",
        }
    ),
]
"""A plan duration field: accepts the short and ISO 8601 forms, holds a timedelta."""


GRID = timedelta(milliseconds=50)
"""The finest time a drill resolves: probes run at most this often and the detection criteria are evaluated on
a grid of this step (:data:`drdrill.measure.timeline.GRID_NS`), so no staging window or timeout is shorter."""


def at_least(minimum: timedelta, why: str) -> AfterValidator:
    """A check for a :data:`Duration` field: at least ``minimum``, else an error saying ``why`` and the minimum."""

    def check(value: timedelta) -> timedelta:
        if value < minimum:
            raise ValueError(
                f"{format_duration(value)} is shorter than drdrill can honour: {why}; give at least "
                f"{format_duration(minimum)}"
            )
        return value

    return AfterValidator(check)


ON_THE_GRID = "a drill resolves time in steps of 50ms (the probes' floor and the detection criteria's grid)"
StagingDuration = Annotated[Duration, at_least(GRID, ON_THE_GRID)]
"""A staging window or timeout: a :data:`Duration` of at least :data:`GRID`."""
