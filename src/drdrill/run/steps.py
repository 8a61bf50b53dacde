"""The scenario's automated recovery steps: resolved in preflight, run by the fault and drain phases.

A step is carried out by a Python hook the plan names, or by a declarative action (:mod:`drdrill.run.actions`)
built into a runnable of the same shape. Every step run is journalled as an operation: ``invoke`` (with what it
serves: the recovery before the revert, or the fail-back after it; and, for an action, which one and what it
does), then ``ok`` with its detail or ``fail`` with why. measure/ judges the verdict each step serves on its
outcome, so a step that failed is never hidden behind a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from drdrill.clock import Clock
from drdrill.errors import DrdrillError
from drdrill.journal import FAILOVER, Journal, Kind, Type
from drdrill.plan import Plan, RecoveryStep, Scenario
from drdrill.recovery import RecoveryContext, RecoveryHook, RecoveryStepFailed
from drdrill.replica import Replica
from drdrill.system import DrillSystem

Serves = Literal["recovery", "failback"]
ActionHooks = Callable[[RecoveryStep], RecoveryHook]


@dataclass(frozen=True)
class PlannedStep:
    """An automated step of the scenario and the hook (or the built declarative action) that carries it out."""

    step: RecoveryStep
    hook: RecoveryHook

    @property
    def serves(self) -> Serves:
        return "failback" if self.hook.after_revert or self.step.after_revert else "recovery"

    @property
    def carried_by(self) -> str:
        """The hook's name, or the action's kind (exec, http, repoint, start, wait_until)."""
        if self.step.action is not None:
            return self.step.action.kind
        return str(self.step.hook)


def plan_steps(
    scenario: Scenario, hooks: Mapping[str, RecoveryHook], actions: ActionHooks | None = None
) -> tuple[PlannedStep, ...]:
    """Each automated step with its hook or built action; a hook nobody registered stops the drill before it
    starts."""
    planned = []
    for step in scenario.recovery:
        if step.action is not None:
            if actions is None:
                raise DrdrillError(
                    f"{scenario.source}: step {step.title!r} has an action, and no runner for it"
                )
            planned.append(PlannedStep(step, actions(step)))
            continue
        if step.hook is None:
            continue
        hook = hooks.get(step.hook)
        if hook is None:
            known = ", ".join(sorted(hooks)) or "none"
            raise DrdrillError(
                f"{scenario.source}: recovery step hook {step.hook!r} is not registered; known hooks: {known}. "
                "Register it with the pytest_drdrill_recovery_hooks hook."
            )
        planned.append(PlannedStep(step, hook))
    return tuple(planned)


@dataclass(frozen=True)
class StepRunner:
    """Runs the planned steps that serve one part of the drill, each journalled with its outcome."""

    plan: Plan
    journal: Journal
    clock: Clock
    replica: Replica
    system: DrillSystem

    def run(self, steps: Sequence[PlannedStep], serves: Serves, deadline_ns: int) -> None:
        services = {
            name: c.staging.service
            for name, c in self.plan.components.items()
            if c.staging is not None and c.staging.service
        }
        failover = self.system.signal_meanings().get(FAILOVER)
        for planned in steps:
            if planned.serves != serves:
                continue
            step = planned.step
            invoked: dict[str, object] = {"serves": serves}
            if step.action is not None:
                invoked |= {"action": step.action.kind, "does": step.action.describe()}
            self.journal.record(Kind.STEP, Type.INVOKE, step.title, value=planned.carried_by, data=invoked)
            ctx = RecoveryContext(
                replica=self.replica,
                system=self.system,
                journal=self.journal,
                clock=self.clock,
                deadline_ns=deadline_ns,
                services=services,
                components=tuple(step.components),
                failover=failover,
            )
            try:
                done = planned.hook.run(ctx)
            except DrdrillError as exc:
                failed = exc.data if isinstance(exc, RecoveryStepFailed) else {}
                data = {**failed, "detail": str(exc)[:1000]}
                self.journal.record(Kind.STEP, Type.FAIL, step.title, value=planned.carried_by, data=data)
            else:
                extra = getattr(done, "data", None)
                data = {**(extra if isinstance(extra, Mapping) else {}), "detail": str(done)[:1000]}
                self.journal.record(Kind.STEP, Type.OK, step.title, value=planned.carried_by, data=data)
