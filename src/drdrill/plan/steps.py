"""What drdrill's built-in recovery hooks need from a plan, and which verdict each serves, as plan data.

The hooks themselves live with the runner (:mod:`drdrill.recovery`); their needs are here so that
``drdrill validate`` refuses a step that cannot work before any drill starts, ``drdrill init`` never writes one,
and measure/ knows which verdict a step serves without importing the runner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from drdrill.plan.errors import PlanIssue
from drdrill.plan.models import Plan, RecoveryStep, Scenario
from drdrill.plan.system import FAILOVER_SIGNAL
from drdrill.plan.yamlsource import YamlDoc

Serves = Literal["recovery", "failback"]


@dataclass(frozen=True)
class BuiltinHook:
    """A hook drdrill ships: what it serves and what the plan must declare for it to work."""

    serves: Serves  # recovery: runs while the fault is held; failback: after the revert
    needs_failover_signal: bool = False  # it waits on staging_topology.system.signals.failover
    needs_components: bool = False  # it acts on the step's `components`, each with a staging service


BUILTIN_STEP_HOOKS: dict[str, BuiltinHook] = {
    "provider-failover": BuiltinHook("recovery", needs_failover_signal=True),
    "provider-failback": BuiltinHook("failback", needs_failover_signal=True),
    "restart-service": BuiltinHook("recovery", needs_components=True),
}


def step_serves(step: RecoveryStep) -> Serves:
    """The verdict an automated step serves, as far as the plan can tell: a step the plan marks
    ``after_revert`` serves the fail-back, a built-in hook says which itself, and a project's own hook says at
    run time, in the journal (until then it is taken to serve recovery)."""
    if step.after_revert:
        return "failback"
    builtin = BUILTIN_STEP_HOOKS.get(step.hook or "")
    return "recovery" if builtin is None else builtin.serves


def has_failover_signal(plan: Plan) -> bool:
    """The plan declares the failover signal (its meaning; a Python system may read it itself)."""
    contract = plan.staging_topology.system
    return contract is not None and FAILOVER_SIGNAL in contract.signals


def step_prerequisite_issues(plan: Plan, scenario: Scenario, doc: YamlDoc) -> list[PlanIssue]:
    """Every automated step of ``scenario`` whose built-in hook lacks what it needs from the plan.

    Such a step fails in every drill (today it would only say so in the scorecard's timeline), so the plan is
    refused with the step's place, what is missing and the fix.
    """
    issues: list[PlanIssue] = []
    signal = has_failover_signal(plan)
    for i, step in enumerate(scenario.recovery):
        hook = BUILTIN_STEP_HOOKS.get(step.hook or "")
        if hook is None:
            continue
        where = f"recovery[{i}].hook"
        if hook.needs_failover_signal and not signal:
            issues.append(
                doc.issue(
                    ["recovery", i, "hook"],
                    f"{where}: hook {step.hook!r} waits for the system's failover signal, but plan.yaml declares "
                    "none; declare staging_topology.system.signals.failover (its `normal` and `failed_over` "
                    "values) in plan.yaml, or make the step manual (`owner` and `estimate` instead of `hook`)",
                )
            )
        if hook.needs_components and not step.components:
            issues.append(
                doc.issue(
                    ["recovery", i, "hook"],
                    f"{where}: hook {step.hook!r} restarts the step's components, but the step names none; "
                    "add `components: [<component>]` with the components whose containers it restarts",
                )
            )
        if hook.needs_components:
            for j, name in enumerate(step.components):
                component = plan.components.get(name)
                if component is not None and (component.staging is None or component.staging.service is None):
                    issues.append(
                        doc.issue(
                            ["recovery", i, "components", j],
                            f"recovery[{i}].components[{j}]: hook {step.hook!r} restarts the container of "
                            f"{name!r}, but that component has no staging service; give it `staging: "
                            "{service: <compose service>}` in plan.yaml, or name another component",
                        )
                    )
    return issues
