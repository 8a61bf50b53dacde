"""A writable copy of the bundled plan whose staging topology still names the repository's claims compose file."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = "../compose/claims/compose.yaml"


def copy_bundled_plan(target: Path) -> Path:
    """Copy ``scenarios/`` to ``target``, pointing ``compose_file`` at the repository's claims compose file.

    The compose file stays where its build context is; only the plan is a copy a test may change.
    """
    shutil.copytree(ROOT / "scenarios", target)
    plan = target / "plan.yaml"
    text = plan.read_text(encoding="utf-8")
    assert f"compose_file: {COMPOSE_FILE}\n" in text, "the bundled plan no longer names its compose file so"
    absolute = (ROOT / "scenarios" / COMPOSE_FILE).resolve()
    plan.write_text(
        text.replace(f"compose_file: {COMPOSE_FILE}\n", f"compose_file: {absolute}\n"), encoding="utf-8"
    )
    return target
