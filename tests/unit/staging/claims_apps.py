"""Load the claims system's app scripts (compose/claims/apps) by path, without their container deps."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

APPS = Path(__file__).resolve().parents[3] / "compose" / "claims" / "apps"


def load_app(name: str) -> types.ModuleType:
    """Import compose/claims/apps/<name>.py as module `claims_<name>`.

    The worker imports `db`, which needs psycopg2 (present in the image, not in the venv): a stub
    stands in for it, since the tests here exercise provider routing, not SQL.
    """
    if str(APPS) not in sys.path:
        sys.path.append(str(APPS))  # the apps import their shared `serving` module as a sibling
    if "db" not in sys.modules:
        stub = types.ModuleType("db")
        stub.Error = type("Error", (Exception,), {})  # type: ignore[attr-defined]
        sys.modules["db"] = stub
    spec = importlib.util.spec_from_file_location(f"claims_{name}", APPS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
