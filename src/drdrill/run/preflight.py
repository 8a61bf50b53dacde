"""Preflight: everything a drill needs, built and checked before any container starts.

The system's contract, every fault (typed, built once, the same objects later applied), every recovery step's
hook, and the replica's images, ports and override. A drill that cannot run says so here, with nothing started;
whatever preflight made (the replica's temporary files) is removed when it refuses.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from drdrill.errors import DrdrillError
from drdrill.faults import FaultInjector
from drdrill.plan import Plan, Scenario
from drdrill.run.actions import ActionBuilder
from drdrill.run.context import DrillSettings, Prepared
from drdrill.run.steps import plan_steps
from drdrill.staging.backend import ReplicaControl
from drdrill.system.kinds import resolve_system


def preflight(plan: Plan, scenario: Scenario, settings: DrillSettings, replica: ReplicaControl) -> Prepared:
    """Build and check the drill; raises :class:`DrdrillError` (or a subclass) with what to fix or install."""
    faults = [*scenario.faults, *settings.extra_faults]
    if not faults:
        raise DrdrillError(
            f"{scenario.source}: the scenario declares no fault, so a drill has nothing to inject; "
            "add a `faults:` entry, or exercise it as a tabletop (drdrill tabletop)"
        )
    kind, system = resolve_system(plan, settings.system)
    injector = FaultInjector(plan, faults, str(scenario.source), replica, proxies=settings.proxies)
    steps = plan_steps(scenario, settings.hooks, ActionBuilder(replica, injector.toxiproxy, settings.run_id))
    stack = settings.staging(plan, settings.run_id, settings.log)
    try:
        injector.check_backend(stack)  # a fault the back-end cannot play is refused before anything is made
        # The engine's and compose's versions are asked while compose reads the plan's file: neither waits.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="drdrill-versions") as pool:
            versions = pool.submit(stack.environment)
            try:
                stack.prepare()
            except BaseException:
                versions.result()  # a missing engine or compose is the cause to tell first: this raises it
                raise
            environment: dict[str, Any] = dict(versions.result())
        # read before the set-up (early.py) or by it: the set-up checks' time depends on it
        if stack.read_early is not None:
            environment["compose_read_early"] = stack.read_early
        configuration = stack.configuration()
    except BaseException:
        stack.stop()  # nothing runs yet: this removes the run's temporary files
        raise
    return Prepared(kind, system, injector, steps, stack, environment, configuration)
