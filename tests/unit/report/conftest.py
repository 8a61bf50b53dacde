from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.plan import Plan, load_plan

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(ROOT / "scenarios")
