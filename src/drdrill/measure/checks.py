"""The scenario's data checks as the verify phase ran them, from the journal. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from drdrill.journal import DATA_CHECK, Event, Kind, Type

CheckOutcome = Literal["pass", "fail", "unknown"]


@dataclass(frozen=True)
class CheckResult:
    """One data check: ``pass`` (the query gave the expected value), ``fail`` (another one), or ``unknown``
    (it could not run: ``why``)."""

    name: str
    outcome: CheckOutcome
    value: object = None
    expect: object = None
    why: str | None = None


def data_check_results(events: Sequence[Event]) -> tuple[CheckResult, ...]:
    """Every data check the journal holds, in the order they ran; one invoked and never completed is unknown."""
    results: dict[str, CheckResult] = {}
    for event in events:
        if event.kind is not Kind.CHECK or event.name != DATA_CHECK or event.process is None:
            continue
        name = event.process
        if event.type is Type.INVOKE:
            results[name] = CheckResult(name, "unknown", why="it did not complete: the drill stopped")
        elif event.type in (Type.OK, Type.FAIL):
            outcome: CheckOutcome = "pass" if event.type is Type.OK else "fail"
            results[name] = CheckResult(name, outcome, event.data.get("value"), event.data.get("expect"))
        elif event.type is Type.INFO:
            results[name] = CheckResult(name, "unknown", why=str(event.data.get("why", "it did not run")))
    return tuple(results.values())
