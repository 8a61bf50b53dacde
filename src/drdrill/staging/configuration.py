"""What shaped the system under drill, recorded on the scorecard: two runs that differ here drilled two systems.

The compose file's digest, every variable compose substitutes into it with the value it got (the run's
environment, the project's ``.env`` file, or the file's default; secrets masked), the plan's digest, and (once
the replica runs) the image id of each service.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE|CREDENTIAL", re.IGNORECASE)
MASKED = "*** (masked)"
GENERATED = "*** (generated for this run)"


@dataclass(frozen=True)
class Configuration:
    """The configuration that ran; image ids are added once the replica is up."""

    compose_file: str
    compose_digest: str
    environment: Mapping[str, str]
    plan_digest: str
    images: Mapping[str, str] = field(default_factory=dict)


def digest(paths: Iterable[Path], root: Path | None = None) -> str:
    """``sha256:<hex>`` over the files' names (relative to ``root``) and bytes, in name order."""
    h = hashlib.sha256()
    for path in sorted(paths):
        name = str(path.relative_to(root)) if root is not None else path.name
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"sha256:{h.hexdigest()}"


def plan_digest(plan_dir: Path) -> str:
    """The digest of every YAML file of the plan directory (plan.yaml and each scenario)."""
    return digest([*plan_dir.glob("*.yaml"), *plan_dir.glob("*.yml")], plan_dir)


def parse_variables(table: str) -> dict[str, tuple[bool, str]]:
    """``docker compose config --variables`` (a fixed-width table) as ``name -> (required, default)``."""
    lines = [line for line in table.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("NAME"):
        return {}
    header = lines[0]
    starts = [header.index(column) for column in ("NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE")]
    found: dict[str, tuple[bool, str]] = {}
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, [*starts[1:], len(line) + 1], strict=True)]
        found[cells[0]] = (cells[1] == "true", cells[2])
    return found


def dotenv(path: Path) -> dict[str, str]:
    """The simple ``NAME=value`` lines of a project's ``.env`` file (what compose reads when it is there)."""
    if not path.is_file():
        return {}
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and name and not name.startswith("#"):
            found[name.strip()] = value.strip().strip("'\"")
    return found


def substituted(
    variables: Mapping[str, tuple[bool, str]],
    environ: Mapping[str, str],
    dotenv_values: Mapping[str, str],
    generated: Iterable[str],
) -> dict[str, str]:
    """The value compose gave each variable, and where it came from; secrets never appear."""
    secret_names = set(generated)
    shown: dict[str, str] = {}
    for name, (required, default) in sorted(variables.items()):
        if name in secret_names:
            shown[name] = GENERATED
            continue
        if name in environ:
            value, origin = environ[name], "environment"
        elif name in dotenv_values:
            value, origin = dotenv_values[name], ".env"
        elif required:
            value, origin = "", "unset, required"
        else:
            value, origin = default, "default"
        if SECRET_NAME.search(name) and value:
            value = MASKED
        shown[name] = f"{value} ({origin})"
    return shown
