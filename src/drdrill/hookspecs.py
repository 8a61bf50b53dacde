"""Hooks other plugins and conftest files can implement to extend drdrill."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
import pytest

if TYPE_CHECKING:
    from drdrill.recovery import RecoveryHook


spec = pluggy.HookspecMarker("pytest")


@spec
def pytest_drdrill_recovery_hooks(config: pytest.Config) -> Mapping[str, RecoveryHook]:  # type: ignore[empty-body]
    """Return automated recovery steps by name, for scenarios whose ``recovery`` steps name a ``hook``.

    Every implementation's mapping is merged over drdrill's built-in hooks.
    """


@spec
def pytest_drdrill_scorecard(config: pytest.Config, scorecard: dict[str, Any], path: Path) -> None:
    """Called after each drill with its scorecard (already written to ``path``)."""
