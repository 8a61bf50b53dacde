"""Each automated recovery step as it ran, from the journal: what carried it out, what it served, how it ended
and how long it took (an action's duration: time to promote, to restore, to rebuild). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drdrill.journal import Event, Kind, Type


@dataclass(frozen=True)
class StepRun:
    """One run of a step; ``duration_ns`` is None when it never ended (the drill stopped during it)."""

    title: str
    carried_by: str  # the hook's name, or the action's kind
    action: str | None  # exec, http, repoint, start, wait_until; None for a Python hook
    serves: str
    outcome: str  # ok, fail, or running
    started_ns: int
    duration_ns: int | None
    detail: str = ""


def step_runs(events: Sequence[Event]) -> tuple[StepRun, ...]:
    """Every step the journal holds, in the order they started."""
    runs: list[StepRun] = []
    open_: dict[str, int] = {}
    for event in events:
        if event.kind is not Kind.STEP:
            continue
        if event.type is Type.INVOKE:
            open_[event.name] = len(runs)
            action = event.data.get("action")
            runs.append(
                StepRun(
                    title=event.name,
                    carried_by=str(event.value),
                    action=str(action) if action is not None else None,
                    serves=str(event.data.get("serves", "recovery")),
                    outcome="running",
                    started_ns=event.t_ns,
                    duration_ns=None,
                )
            )
        elif event.type in (Type.OK, Type.FAIL) and event.name in open_:
            index = open_.pop(event.name)
            run = runs[index]
            runs[index] = StepRun(
                title=run.title,
                carried_by=run.carried_by,
                action=run.action,
                serves=run.serves,
                outcome=event.type.value,
                started_ns=run.started_ns,
                duration_ns=event.t_ns - run.started_ns,
                detail=str(event.data.get("detail", "")),
            )
    return tuple(runs)
