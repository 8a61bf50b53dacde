"""A writable copy of the bundled plan whose staging topology still names the repository's claims compose file and
Kubernetes manifests."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = "../compose/claims/compose.yaml"
MANIFESTS = "../compose/claims/kubernetes"


def copy_bundled_plan(target: Path) -> Path:
    """Copy ``scenarios/`` to ``target``, pointing ``compose_file`` and ``kubernetes.manifests`` at the repository's
    claims system.

    The compose file stays where its build context is; only the plan is a copy a test may change.
    """
    shutil.copytree(ROOT / "scenarios", target)
    plan = target / "plan.yaml"
    text = plan.read_text(encoding="utf-8")
    for key, relative in (("compose_file", COMPOSE_FILE), ("manifests", MANIFESTS)):
        line = f"{key}: {relative}\n"
        assert line in text, f"the bundled plan no longer names its {key} so"
        text = text.replace(line, f"{key}: {(ROOT / 'scenarios' / relative).resolve()}\n")
    plan.write_text(text, encoding="utf-8")
    return target
