"""Durations are parsed once, in the short or the ISO 8601 form; anything else names the accepted forms."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drdrill.plan import DurationError, format_duration, humanize_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("4h", timedelta(hours=4)),
        ("2d", timedelta(days=2)),
        ("1h30m", timedelta(minutes=90)),
        ("1.5s", timedelta(milliseconds=1500)),
        ("PT15M", timedelta(minutes=15)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P2D", timedelta(days=2)),
        ("P1W", timedelta(weeks=1)),
        ("pt90s", timedelta(seconds=90)),
    ],
)
def test_accepted_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "5x", "h", "P", "PT", "P1DT", "-5m", "5 m", "fifteen minutes"])
def test_rejected_forms_name_the_accepted_ones(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    assert str(info.value) == (
        f"invalid duration {text!r}; use a number with a unit (250ms, 90s, 15m, 4h, 2d, 1h30m) "
        "or ISO 8601 (PT15M, PT1H30M, P2D)"
    )


def test_ten_years_is_the_longest() -> None:
    assert parse_duration("3650d") == timedelta(days=3650)
    assert parse_duration("P521W3D") == timedelta(days=3650)


@pytest.mark.parametrize("text", ["3651d", "P522W", "87601h", "99999999999d", "9" * 400 + "s"])
def test_longer_durations_are_refused_without_overflow(text: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(text)
    quoted = repr(text) if len(text) < 80 else repr(text)[:79] + "…"
    assert str(info.value) == (
        f"duration {quoted} is longer than a plan may give (at most 3650d, about ten years): "
        "check the number and its unit"
    )


@pytest.mark.parametrize(
    ("value", "short", "words"),
    [
        (timedelta(0), "0s", "0 seconds"),
        (timedelta(milliseconds=500), "500ms", "500 milliseconds"),
        (timedelta(minutes=90), "1h30m", "1 hour 30 minutes"),
        (timedelta(days=2), "2d", "2 days"),
    ],
)
def test_formatting(value: timedelta, short: str, words: str) -> None:
    assert format_duration(value) == short
    assert parse_duration(format_duration(value)) == value
    assert humanize_duration(value) == words
