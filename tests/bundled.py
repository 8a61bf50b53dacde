"""A writable copy of the bundled plan, with the compose file its staging topology names."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = Path("compose") / "claims" / "compose.yaml"


def copy_bundled_plan(target: Path) -> Path:
    """Copy ``scenarios/`` to ``target`` and the claims compose file to where the plan looks for it.

    The plan names ``../compose/claims/compose.yaml``, so ``target``'s parent gets ``compose/claims/``.
    """
    shutil.copytree(ROOT / "scenarios", target)
    compose = target.parent / COMPOSE
    compose.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / COMPOSE, compose)
    return target
