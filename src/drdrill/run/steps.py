"""The scenario's automated recovery steps: resolved in preflight, run by the fault and drain phases.

Every step run is journalled as an operation: ``invoke`` (with what it serves: the recovery before the revert,
or the fail-back after it), then ``ok`` with its output or ``fail`` with why. measure/ judges the verdict each
step serves on its outcome, so a step that failed is never hidden behind a pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from drdrill.clock import Clock
from drdrill.errors import DrdrillError
from drdrill.journal import FAILOVER, Journal, Kind, Type
from drdrill.plan import Plan, RecoveryStep, Scenario
from drdrill.recovery import RecoveryContext, RecoveryHook
from drdrill.replica import Replica
from drdrill.system import DrillSystem

Serves = Literal["recovery", "failback"]


@dataclass(frozen=True)
class PlannedStep:
    """An automated step of the scenario and the hook that carries it out."""

    step: RecoveryStep
    hook: RecoveryHook

    @property
    def serves(self) -> Serves:
        return "failback" if self.hook.after_revert else "recovery"


def plan_steps(scenario: Scenario, hooks: Mapping[str, RecoveryHook]) -> tuple[PlannedStep, ...]:
    """Each automated step with its hook; a hook nobody registered stops the drill before it starts."""
    planned = []
    for step in scenario.recovery:
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
            self.journal.record(Kind.STEP, Type.INVOKE, step.title, value=step.hook, data={"serves": serves})
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
                detail = planned.hook.run(ctx)
            except DrdrillError as exc:
                self.journal.record(
                    Kind.STEP, Type.FAIL, step.title, value=step.hook, data={"detail": str(exc)[:1000]}
                )
            else:
                self.journal.record(
                    Kind.STEP, Type.OK, step.title, value=step.hook, data={"detail": str(detail)[:1000]}
                )
