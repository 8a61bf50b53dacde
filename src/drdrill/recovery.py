"""Automated recovery steps: the hooks a scenario's ``recovery`` names, run by the runner after the fault.

A hook is a callable that takes a :class:`RecoveryContext`. drdrill ships the hooks its reference system
needs; a project adds its own with the ``pytest_drdrill_recovery_hooks`` hook or by passing them to the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from drdrill.clock import NS_PER_S, Clock
from drdrill.errors import DrdrillError
from drdrill.journal import Journal
from drdrill.staging.stack import Endpoints


@dataclass(frozen=True)
class RecoveryContext:
    """What a hook may use: the replica's endpoints, the journal, the clock and the time it has left."""

    endpoints: Endpoints
    journal: Journal
    clock: Clock
    deadline_ns: int


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


BUILTIN_HOOKS: Mapping[str, RecoveryHook] = {
    "provider-failover": RecoveryHook(await_failover),
    "provider-failback": RecoveryHook(await_failback, after_revert=True),
}
