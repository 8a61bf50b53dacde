"""The kinds of system a drill can speak to, outside the runner: each kind checks its own contract.

- ``http``: the plan's declarative HTTP contract (:class:`~drdrill.system.HttpSystem`), when no Python system
  is given;
- ``python``: a :class:`~drdrill.system.DrillSystem` a ``pytest_drdrill_system`` hook returned (often an
  ``HttpSystem`` subclass that replaces one part).

:func:`resolve_system` only dispatches: it picks the kind and lets it check and build the system, so a plan that
cannot be drilled is refused before any container starts, with what to declare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from drdrill.errors import DrdrillError
from drdrill.plan import Plan
from drdrill.system.contract import DrillSystem
from drdrill.system.http import HttpSystem

CONTRACT = ("open", "write", "probe", "final_read", "signals", "payloads", "signal_meanings", "close")
GUIDE = "see docs/drill-your-own-system.md"


class SystemKind(Protocol):
    """One way of giving drdrill a system: it builds the system and says what is missing for a drill."""

    @property
    def name(self) -> str:
        """The kind's name, for the scorecard."""

    def build(self, plan: Plan, provided: DrillSystem | None) -> DrillSystem:
        """The system, or a :class:`DrdrillError` naming what the plan or the object lacks."""


def _missing_parts(plan: Plan, system: HttpSystem) -> list[str]:
    """The parts a drill calls that neither the plan declares nor a subclass replaces."""
    contract = plan.staging_topology.system
    missing = []
    for part in ("write", "probe"):
        declared = contract is not None and getattr(contract, part) is not None
        replaced = getattr(type(system), part) is not getattr(HttpSystem, part)
        if not (declared or replaced):
            missing.append(part)
    return missing


@dataclass(frozen=True)
class DeclaredHttp:
    """The plan's ``staging_topology.system``, spoken over HTTP."""

    name: str = "http"

    def build(self, plan: Plan, provided: DrillSystem | None) -> DrillSystem:
        system = HttpSystem.from_plan(plan)
        missing = _missing_parts(plan, system)
        if missing:
            raise DrdrillError(
                f"{plan.source_dir / 'plan.yaml'}: staging_topology.system declares no "
                f"{' and no '.join(missing)}, so the drill has no workload and no steady-state probe; declare "
                f"them ({GUIDE}) or return a system from a pytest_drdrill_system hook"
            )
        return system


@dataclass(frozen=True)
class PythonSystem:
    """A system object from the user's ``conftest.py``."""

    name: str = "python"

    def build(self, plan: Plan, provided: DrillSystem | None) -> DrillSystem:
        if provided is None:
            raise DrdrillError("no Python system was given")
        lacking = [part for part in CONTRACT if not callable(getattr(provided, part, None))]
        if lacking:
            raise DrdrillError(
                f"pytest_drdrill_system returned {type(provided).__name__}, which is not a DrillSystem: it has no "
                f"{', '.join(lacking)} (subclass drdrill.system.HttpSystem to inherit the plan's parts; {GUIDE})"
            )
        if isinstance(provided, HttpSystem):
            missing = _missing_parts(plan, provided)
            if missing:
                raise DrdrillError(
                    f"{plan.source_dir / 'plan.yaml'}: {type(provided).__name__} neither replaces "
                    f"{' nor '.join(missing)} nor does staging_topology.system declare "
                    f"{'them' if len(missing) > 1 else 'it'}; declare {' and '.join(missing)} ({GUIDE})"
                )
        return provided


SYSTEM_KINDS: dict[str, SystemKind] = {"http": DeclaredHttp(), "python": PythonSystem()}


def resolve_system(
    plan: Plan, provided: DrillSystem | None, kinds: dict[str, SystemKind] = SYSTEM_KINDS
) -> tuple[str, DrillSystem]:
    """The kind and the checked system: the Python one when given, else the plan's declarative one."""
    name = "http" if provided is None else "python"
    return name, kinds[name].build(plan, provided)
