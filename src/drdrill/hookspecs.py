"""Hooks other plugins and conftest files can implement to extend drdrill."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy
import pytest

if TYPE_CHECKING:
    from drdrill.plan import Plan
    from drdrill.recovery import RecoveryHook
    from drdrill.report.schema import Scorecard
    from drdrill.system import DrillSystem


spec = pluggy.HookspecMarker("pytest")


@spec
def pytest_drdrill_recovery_hooks(config: pytest.Config) -> Mapping[str, RecoveryHook]:  # type: ignore[empty-body]
    """Return automated recovery steps by name, for scenarios whose ``recovery`` steps name a ``hook``.

    Every implementation's mapping is merged over drdrill's built-in hooks.
    """


@spec
def pytest_drdrill_scorecard(config: pytest.Config, scorecard: Scorecard, path: Path) -> None:
    """Called after each drill with its typed scorecard (already written to ``path``; ``scorecard.to_json()``
    gives the file's JSON)."""


@pluggy.HookspecMarker("pytest")(firstresult=True)
def pytest_drdrill_system(config: pytest.Config, plan: Plan) -> DrillSystem | None:
    """Return the system under drill as a Python object (see :class:`drdrill.system.DrillSystem`).

    Called before any container starts. The first non-None answer wins; without one, drdrill drills the
    plan's declarative HTTP contract (``staging_topology.system``). Subclass :class:`drdrill.system.HttpSystem`
    to keep the declared parts and replace others (e.g. a final read that goes straight to the data store).
    """
