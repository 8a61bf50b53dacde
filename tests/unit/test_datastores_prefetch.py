"""The stores' client libraries are loaded while the replica starts, only for the store kinds the plan declares
(unit: a fresh interpreter, no Docker)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from drdrill import datastores
from drdrill.plan import load_plan
plan = load_plan({plan!r})
before = {{"psycopg": "psycopg" in sys.modules, "redis": "redis" in sys.modules}}
kinds = datastores.prefetch(plan)
print(json.dumps({{"before": before, "kinds": kinds,
                  "after": {{"psycopg": "psycopg" in sys.modules, "redis": "redis" in sys.modules}}}}))
"""


def test_a_postgres_plan_loads_psycopg_and_leaves_redis_alone() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(plan=str(ROOT / "scenarios"))],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout)
    assert found["before"] == {"psycopg": False, "redis": False}  # neither comes with drdrill's own imports
    assert found["kinds"] == ["postgres"]
    assert found["after"] == {"psycopg": True, "redis": False}
