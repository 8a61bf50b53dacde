"""The warm-up note, typed: read as the runner writes it, and a note that is not so reads as none."""

from __future__ import annotations

from typing import Any

import pytest

from drdrill.journal import WARMUP, Event, Kind, Type
from drdrill.measure.warmup import Warmup, warmup_of

GOOD = {"settled": True, "waited_s": 1.25, "streak": 3, "needed": 3, "probes": 5, "failed": 2}


def note(data: dict[str, Any], seq: int = 0, name: str = WARMUP, kind: Kind = Kind.NOTE) -> Event:
    return Event(seq, seq, "", kind, Type.INFO, name, data=data)


def test_the_note_as_the_runner_writes_it() -> None:
    found = warmup_of([note({"x": 1}, name="host"), note(GOOD, 1), note({**GOOD, "settled": False}, 2)])
    assert found == Warmup(settled=True, waited_ns=1_250_000_000, streak=3, needed=3)  # the first one
    assert found.waited_s == 1.25


def test_no_note_no_warmup() -> None:
    assert warmup_of([]) is None
    assert warmup_of([note(GOOD, kind=Kind.PHASE)]) is None


@pytest.mark.parametrize(
    "change",
    [
        {"settled": "yes"},
        {"settled": 1},
        {"waited_s": "1.2"},
        {"waited_s": True},
        {"streak": 2.0},
        {"needed": False},
        {"needed": None},
    ],
)
def test_a_field_of_the_wrong_type_reads_as_no_note(change: dict[str, Any]) -> None:
    assert warmup_of([note({**GOOD, **change})]) is None


@pytest.mark.parametrize("missing", ["settled", "waited_s", "streak", "needed"])
def test_a_missing_field_reads_as_no_note(missing: str) -> None:
    assert warmup_of([note({k: v for k, v in GOOD.items() if k != missing})]) is None
