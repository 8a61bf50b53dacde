"""The ground-truth target's recovery hook, for drills of tests/truth/plan through pytest.

pytest loads this file when ``--drill`` collects the plan's scenario file (it is below this folder). The
benchmark (benchmarks/truth_error.py) passes the same hooks to the runner itself.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from drdrill.recovery import RecoveryHook
from tests.truth.target import HOOKS


def pytest_drdrill_recovery_hooks(config: pytest.Config) -> Mapping[str, RecoveryHook]:
    return HOOKS
