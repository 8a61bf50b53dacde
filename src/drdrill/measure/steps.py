"""What each recovery step of the plan did in a drill, from the journal alone. Pure: no I/O, no clock.

The runner journals every automated step it carries out as a ``step`` operation (Jepsen's history model):
``invoke`` with the step's title as the name, its hook (or a declarative action's kind) as the value, what it
serves and, for an action, ``data.action``; then ``ok`` or ``fail`` with its own words in ``data.detail``. The plan says which steps there are (:class:`PlannedStep`, through
:class:`~drdrill.measure.verdicts.Objectives`), so a step the drill never carried out is known as not run, not
silently absent. Manual steps are never run by a drill: their estimate is what the projected RTO adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from drdrill.journal import Event, Kind, Type

Serves = Literal["recovery", "failback"]
SERVES: tuple[Serves, ...] = ("recovery", "failback")
StepOutcome = Literal["ok", "failed", "not_run", "unfinished", "manual"]


@dataclass(frozen=True)
class PlannedStep:
    """One recovery step as the plan declares it.

    ``serves`` says which verdict an automated step earns: ``recovery`` (it runs while the fault is held) or
    ``failback`` (it runs after the revert). A step's journal entry may say so itself, and then it wins.
    """

    title: str
    hook: str | None = None  # None: a manual step
    owner: str | None = None
    estimate_ns: int | None = None  # a manual step's declared duration
    serves: Serves = "recovery"

    @property
    def automated(self) -> bool:
        """True when the drill carries the step out (through its hook)."""
        return self.hook is not None


@dataclass(frozen=True)
class StepResult:
    """One step's outcome in a drill: ``ok`` / ``failed`` (its hook returned / raised), ``unfinished``
    (invoked, never completed: the drill stopped during it), ``not_run`` (an automated step the drill never
    invoked), ``manual`` (not the drill's to run)."""

    title: str
    hook: str | None
    owner: str | None
    serves: Serves
    outcome: StepOutcome
    estimate_ns: int | None = None
    invoked_ns: int | None = None  # journal time of the invoke
    duration_ns: int | None = None  # invoke to completion (an action's: time to promote, restore, rebuild)
    detail: str | None = None  # what the hook or action said it did, or why it failed
    action: str | None = (
        None  # a declarative action's kind (exec, http, repoint, start, wait_until); None: a hook
    )

    @property
    def automated(self) -> bool:
        return self.outcome != "manual"

    @property
    def let_down(self) -> bool:
        """An automated step that did not complete: failed, never run, or cut off by the drill's end."""
        return self.outcome in ("failed", "not_run", "unfinished")


@dataclass
class _Run:
    title: str
    hook: str | None
    serves: Serves | None
    invoked_ns: int
    action: str | None = None
    outcome: StepOutcome = "unfinished"
    duration_ns: int | None = None
    detail: str | None = None


def _journaled(events: Sequence[Event]) -> list[_Run]:
    """Every step invocation in journal order, each closed by the first ok/fail of the same title after it."""
    runs: list[_Run] = []
    open_runs: dict[str, _Run] = {}
    for e in events:
        if e.kind is not Kind.STEP:
            continue
        if e.type is Type.INVOKE:
            serves = e.data.get("serves")
            action = e.data.get("action")
            run = _Run(
                e.name,
                e.value,
                serves if serves in SERVES else None,
                e.t_ns,
                str(action) if action is not None else None,
            )
            runs.append(run)
            open_runs[e.name] = run
        elif e.type in (Type.OK, Type.FAIL) and e.name in open_runs:
            run = open_runs.pop(e.name)
            run.outcome = "ok" if e.type is Type.OK else "failed"
            run.duration_ns = e.t_ns - run.invoked_ns
            detail = e.data.get("detail")
            run.detail = None if detail is None else str(detail)
    return runs


def _result(run: _Run, owner: str | None, serves: Serves, estimate_ns: int | None = None) -> StepResult:
    return StepResult(
        title=run.title,
        hook=run.hook,
        owner=owner,
        serves=run.serves or serves,
        outcome=run.outcome,
        estimate_ns=estimate_ns,
        invoked_ns=run.invoked_ns,
        duration_ns=run.duration_ns,
        detail=run.detail,
        action=run.action,
    )


def step_results(events: Sequence[Event], planned: Sequence[PlannedStep] = ()) -> tuple[StepResult, ...]:
    """Each planned step's outcome, in the plan's order, then any journaled step the plan does not list.

    A planned automated step is matched to the first journaled run of the same title not yet matched (a plan
    may repeat a title); one with no run was not run.
    """
    runs = _journaled(events)
    used: set[int] = set()
    out: list[StepResult] = []
    for step in planned:
        if not step.automated:
            out.append(StepResult(step.title, None, step.owner, step.serves, "manual", step.estimate_ns))
            continue
        index = next((i for i, r in enumerate(runs) if i not in used and r.title == step.title), None)
        if index is None:
            out.append(StepResult(step.title, step.hook, step.owner, step.serves, "not_run"))
            continue
        used.add(index)
        out.append(_result(runs[index], step.owner, step.serves))
    out += [_result(r, None, "recovery") for i, r in enumerate(runs) if i not in used]
    return tuple(out)
