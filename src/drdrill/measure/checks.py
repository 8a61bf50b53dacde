"""What the verify phase found after recovery, from the journal: the scenario's data checks, its golden set's
accuracy and its index's recall@k. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from drdrill.journal import DATA_CHECK, GOLDEN_SET, INDEX_RECALL, Event, Kind, Type

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


@dataclass(frozen=True)
class Miss:
    """One item the system got wrong: a golden input and what it gave, or a query and how many it found."""

    text: str
    expected: str
    got: str


@dataclass(frozen=True)
class ScoreResult:
    """A score the verify phase measured against its minimum: a golden set's accuracy or an index's recall@k.

    ``outcome`` is ``pass`` / ``fail`` (``score`` against ``minimum``), or ``unknown`` with ``why`` (it could not
    be measured). ``right`` of ``total`` items scored, ``answered`` of them answered at all; ``misses`` are the
    first items it got wrong.
    """

    outcome: CheckOutcome
    minimum: float
    score: float | None = None
    right: float = 0
    total: int = 0
    answered: int = 0
    k: int | None = None  # recall@k only
    misses: tuple[Miss, ...] = ()
    why: str | None = None


def _score(events: Sequence[Event], name: str) -> ScoreResult | None:
    found: ScoreResult | None = None
    for event in events:
        if event.kind is not Kind.CHECK or event.name != name:
            continue
        data = event.data
        minimum = float(data.get("minimum", 0.0))
        if event.type is Type.INVOKE:
            found = ScoreResult("unknown", minimum, why="it did not complete: the drill stopped")
        elif event.type is Type.INFO:
            found = ScoreResult("unknown", minimum, why=str(data.get("why", "it did not run")))
        elif event.type in (Type.OK, Type.FAIL):
            misses = tuple(
                Miss(str(m.get("text", "")), str(m.get("expected", "")), str(m.get("got", "")))
                for m in data.get("misses", ())
                if isinstance(m, dict)
            )
            k = data.get("k")
            found = ScoreResult(
                "pass" if event.type is Type.OK else "fail",
                minimum,
                score=float(data.get("score", 0.0)),
                right=float(data.get("right", 0)),
                total=int(data.get("total", 0)),
                answered=int(data.get("answered", 0)),
                k=int(k) if isinstance(k, int) else None,
                misses=misses,
            )
    return found


def golden_set_result(events: Sequence[Event]) -> ScoreResult | None:
    """The golden set's accuracy as the verify phase scored it; None when it never started."""
    return _score(events, GOLDEN_SET)


def index_recall_result(events: Sequence[Event]) -> ScoreResult | None:
    """The index's recall@k as the verify phase measured it; None when it never started."""
    return _score(events, INDEX_RECALL)
