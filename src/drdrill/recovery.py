"""Automated recovery steps: the hooks a scenario's ``recovery`` names, run by the runner after the fault.

A hook is a callable that takes a :class:`RecoveryContext`. drdrill ships generic hooks (wait for the
system's own failover or fail-back, restart a component's containers); a project adds its own with the ``pytest_drdrill_recovery_hooks`` hook or by passing them to the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import docker.errors

from drdrill.clock import Clock
from drdrill.errors import DrdrillError
from drdrill.faults.container import bring_back
from drdrill.journal import FAILOVER, PREVIOUS_POLL, Journal, Kind, Type
from drdrill.replica import Replica
from drdrill.system import DrillSystem, SignalMeaning
from drdrill.units import NS_PER_S


@dataclass(frozen=True)
class RecoveryContext:
    """What a hook may use: the running replica, the system under drill, the journal, the clock, the time left.

    ``components`` are the plan components the step names; ``services`` maps components to compose services;
    ``failover`` is what the system's failover signal means, if it has one.
    """

    replica: Replica
    system: DrillSystem
    journal: Journal
    clock: Clock
    deadline_ns: int
    services: Mapping[str, str] = field(default_factory=dict)
    components: tuple[str, ...] = ()
    failover: SignalMeaning | None = None


@dataclass(frozen=True)
class RecoveryHook:
    """An automated step. ``after_revert`` hooks run once the fault is taken away (a fail-back, a drain).

    ``run`` returns what it did: a sentence (its ``str``), which the journal keeps as the step's detail.
    """

    run: Callable[[RecoveryContext], object]
    after_revert: bool = False


class RecoveryStepFailed(DrdrillError):  # noqa: N818 - reads as an event in the journal
    """An automated step did not complete; the drill goes on and the verdicts say what it cost.

    ``data`` is kept in the journal beside the message (an exec's output, an HTTP answer)."""

    def __init__(self, message: str, data: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.data: Mapping[str, object] = dict(data or {})


def await_failover(ctx: RecoveryContext) -> str:
    """Wait until the system's failover signal says it runs on its fallback (it fails over by itself)."""
    return _await_state(ctx, "failed_over")


def await_failback(ctx: RecoveryContext) -> str:
    """Wait until the system's failover signal says it is back in normal operation."""
    return _await_state(ctx, "normal")


def _await_state(ctx: RecoveryContext, wanted: str) -> str:
    if ctx.failover is None:
        raise RecoveryStepFailed(
            f"this step waits for the failover signal to say {wanted!r}, but the system has none; add "
            "staging_topology.system.signals.failover (normal / failed_over) to plan.yaml, or give a Python "
            "system's signal_meanings() a 'failover' entry"
        )
    seen = "unknown"
    previous_poll: int | None = None
    while ctx.clock.monotonic_ns() < ctx.deadline_ns:
        polled = ctx.clock.monotonic_ns()
        try:
            seen = str(ctx.system.signals().get(FAILOVER))
        except Exception as exc:  # a system that cannot say is not yet where we wait for it to be
            seen = f"unreadable ({type(exc).__name__})"
        if ctx.failover.state(seen) == wanted:
            # This poll is a sample of the same signal the observer polls, and often the earlier one.
            data: dict[str, str | int] = {"raw": seen, "seen_by": "step"}
            if previous_poll is not None:
                data[PREVIOUS_POLL] = previous_poll  # the change came after this poll: measure/ bounds it so
            ctx.journal.record(Kind.SIGNAL, Type.INFO, FAILOVER, value=wanted, data=data)
            return f"the failover signal says {seen!r} ({wanted.replace('_', ' ')})"
        previous_poll = polled
        ctx.clock.sleep(0.05)
    left = (ctx.deadline_ns - ctx.clock.monotonic_ns()) / NS_PER_S
    raise RecoveryStepFailed(
        f"the failover signal still says {seen!r}, not {wanted.replace('_', ' ')}, at the deadline ({left:.1f} s left)"
    )


def restart_service(ctx: RecoveryContext) -> str:
    """Start again the containers of the step's components that are down, as an orchestrator would."""
    if not ctx.components:
        raise RecoveryStepFailed("restart-service needs the step to name its `components`")
    restarted: list[str] = []
    for component in ctx.components:
        service = ctx.services.get(component)
        if service is None:
            raise RecoveryStepFailed(f"component {component!r} has no staging service to restart")
        try:
            if not bring_back(ctx.replica.container(service)):
                continue
        except (docker.errors.APIError, LookupError) as exc:
            raise RecoveryStepFailed(f"could not restart {service!r}: {exc}") from exc
        restarted.append(service)
    return f"restarted {', '.join(restarted)}" if restarted else "every service was already running"


BUILTIN_HOOKS: Mapping[str, RecoveryHook] = {
    "provider-failover": RecoveryHook(await_failover),
    "provider-failback": RecoveryHook(await_failback, after_revert=True),
    "restart-service": RecoveryHook(restart_service),
}
