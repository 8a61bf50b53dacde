"""Fixtures for plan tests: a small valid plan written to a temporary directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.bundled import copy_bundled_plan
from tests.unit.plan.plan_samples import MINIMAL_PLAN

REPO = Path(__file__).resolve().parents[3]
BUNDLED = REPO / "scenarios"
DATA = Path(__file__).resolve().parent / "data"

WritePlan = Callable[..., Path]


@pytest.fixture
def write_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WritePlan:
    """Write ``plan.yaml`` and scenario files into a temporary plan directory; returns the directory.

    The working directory is the temporary directory, so error paths read ``plan/<file>``.
    """
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "plan"

    def write(plan: str = MINIMAL_PLAN, **scenarios: str | bytes) -> Path:
        directory.mkdir(exist_ok=True)
        (directory / "plan.yaml").write_text(plan, encoding="utf-8")
        for name, text in scenarios.items():
            path = directory / f"{name.replace('_', '-')}.yaml"
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
        return directory

    return write


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled plan."""
    return copy_bundled_plan(tmp_path / "scenarios")
