"""Automated recovery steps: the hooks a scenario's ``recovery`` names, run by the runner after the fault.

A hook is a callable that takes a :class:`RecoveryContext`. drdrill ships the hooks its reference system
needs; a project adds its own with the ``pytest_drdrill_recovery_hooks`` hook or by passing them to the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import docker.errors
import httpx

from drdrill.clock import NS_PER_S, Clock
from drdrill.errors import DrdrillError
from drdrill.faults.container import ServiceControl, bring_back
from drdrill.journal import Journal
from drdrill.staging.stack import Endpoints


@dataclass(frozen=True)
class RecoveryContext:
    """What a hook may use: the replica's endpoints, its containers, the journal, the clock and the time left.

    ``components`` are the plan components the step names; ``services`` maps components to compose services.
    """

    endpoints: Endpoints
    journal: Journal
    clock: Clock
    deadline_ns: int
    control: ServiceControl
    services: Mapping[str, str] = field(default_factory=dict)
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecoveryHook:
    """An automated step. ``after_revert`` hooks run once the fault is taken away (a fail-back, a drain)."""

    run: Callable[[RecoveryContext], str]
    after_revert: bool = False


class RecoveryStepFailed(DrdrillError):  # noqa: N818 - reads as an event in the journal
    """An automated step did not complete; the drill goes on and the verdicts say what it cost."""


def await_failover(ctx: RecoveryContext) -> str:
    """Wait until the worker reports it serves from the backup provider (it fails over by itself)."""
    return _await_provider(ctx, "backup")


def await_failback(ctx: RecoveryContext) -> str:
    """Wait until the worker reports it serves from the primary provider again."""
    return _await_provider(ctx, "primary")


def _await_provider(ctx: RecoveryContext, wanted: str) -> str:
    seen = "unknown"
    with httpx.Client(base_url=ctx.endpoints.worker_url, timeout=1.0) as http:
        while ctx.clock.monotonic_ns() < ctx.deadline_ns:
            try:
                seen = str(http.get("/status").json().get("active_provider"))
            except (httpx.HTTPError, ValueError):
                seen = "unreachable"
            if seen == wanted:
                return f"worker serves from the {wanted} provider"
            ctx.clock.sleep(0.1)
    left = (ctx.deadline_ns - ctx.clock.monotonic_ns()) / NS_PER_S
    raise RecoveryStepFailed(
        f"the worker still reports {seen!r}, not {wanted!r}, at the deadline ({left:.1f} s left)"
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
            if not bring_back(ctx.control.container(service)):
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
