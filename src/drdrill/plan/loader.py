"""Load a plan directory, validate all of it, and raise one :class:`PlanError` listing every problem."""

from __future__ import annotations

import errno
import os
import re
import stat
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drdrill.plan.crossref import check_references, check_scenario_references
from drdrill.plan.errors import PlanError, PlanIssue, shorten
from drdrill.plan.files import exists, os_reason, real_path
from drdrill.plan.models import Plan, Scenario
from drdrill.plan.validation import hidden_keys, issues_from
from drdrill.plan.yamlsource import YamlDoc, read_yaml

PLAN_FILE = "plan.yaml"
SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

M = TypeVar("M", bound=BaseModel)


def _validate(model: type[M], doc: YamlDoc, issues: list[PlanIssue]) -> M | None:
    if not isinstance(doc.data, dict):
        kind = "a list" if isinstance(doc.data, list) else f"a single value ({type(doc.data).__name__})"
        issues.append(
            PlanIssue(doc.path, 1, 1, f"top level should be a mapping of keys to values, got {kind}")
        )
        return None
    data: dict[Any, Any] = dict(doc.data)
    for key in sorted(hidden_keys(model) & {k for k in data if isinstance(k, str)}):
        issues.append(doc.issue([key], f"unknown key {key!r}: the loader sets it, a file may not", key=True))
        del data[key]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues.extend(issues_from(exc, model, doc))
        return None
    except RecursionError:
        issues.append(PlanIssue(doc.path, 1, 1, "structure is nested too deeply"))
        return None


def _plan_dir(path: Path) -> Path | PlanIssue:
    """The plan directory ``path`` names (itself, or the folder of a file in it), or why there is none."""
    try:
        found = os.stat(path)
    except (OSError, ValueError) as exc:
        if isinstance(exc, OSError) and exc.errno == errno.ENOENT and not exists(path):
            return PlanIssue(path, 0, 0, "no such plan directory; give the directory that holds plan.yaml")
        reason = real_path(path)
        return PlanIssue(path, 0, 0, reason if isinstance(reason, str) else os_reason(path, exc))
    if stat.S_ISDIR(found.st_mode):
        return path
    if stat.S_ISREG(found.st_mode):
        return path.parent
    return PlanIssue(path, 0, 0, "no such plan directory; give the directory that holds plan.yaml")


def scenario_files(directory: Path) -> list[Path]:
    """Scenario files of a plan directory: every ``*.yaml``/``*.yml`` beside ``plan.yaml``."""
    files = [*directory.glob("*.yaml"), *directory.glob("*.yml")]
    return sorted(p for p in files if p.name not in (PLAN_FILE, "plan.yml"))


def _read_scenario(file: Path, within: Path, issues: list[PlanIssue]) -> tuple[Scenario, YamlDoc] | None:
    sdoc = read_yaml(file, within)
    if isinstance(sdoc, PlanIssue):
        issues.append(sdoc)
        return None
    if not SCENARIO_NAME.match(file.stem):
        message = f"scenario file name {shorten(file.stem)!r} should be lowercase words joined by '-'"
        issues.append(PlanIssue(file, 1, 1, message))
    scenario = _validate(Scenario, sdoc, issues)
    if scenario is None:
        return None
    return scenario.model_copy(update={"name": file.stem, "source": file}), sdoc


def load_scenario(plan: Plan, file: Path) -> Scenario:
    """Load one scenario file against an already loaded ``plan`` (names are checked against it).

    Raises :class:`PlanError` listing every problem of that file.
    """
    issues: list[PlanIssue] = []
    loaded = _read_scenario(Path(file), plan.source_dir, issues)
    if loaded is not None:
        scenario, sdoc = loaded
        with_it = plan.model_copy(update={"scenarios": {scenario.name: scenario}})
        issues.extend(check_scenario_references(with_it, scenario, sdoc))
        if not issues:
            return scenario
    raise PlanError(issues)


def _compose_file(directory: Path, doc: YamlDoc) -> Path | None:
    """The compose file plan.yaml names, read from the raw data so it is known even when the plan is invalid."""
    topology = doc.data.get("staging_topology") if isinstance(doc.data, dict) else None
    name = topology.get("compose_file") if isinstance(topology, dict) else None
    # realpath never raises for a link loop or an over-long name (resolve() does): the reader reports those.
    return Path(os.path.realpath(directory / name)) if isinstance(name, str) and "\0" not in name else None


def load_plan(path: Path) -> Plan:
    """Load and validate the plan in ``path`` (a directory holding ``plan.yaml``, or a file in it).

    Every problem is collected first; then a :class:`PlanError` lists all of them.
    """
    directory = _plan_dir(Path(path))
    if isinstance(directory, PlanIssue):
        raise PlanError([directory])
    plan_path = directory / PLAN_FILE
    issues: list[PlanIssue] = []
    plan: Plan | None = None
    compose: Path | None = None
    if not os.path.lexists(plan_path):
        issues.append(
            PlanIssue(
                plan_path,
                0,
                0,
                f"missing {PLAN_FILE}: a plan directory needs one (is this the directory that holds your scenarios?)",
            )
        )
    else:
        doc = read_yaml(plan_path, directory)
        if isinstance(doc, PlanIssue):
            issues.append(doc)
        else:
            plan = _validate(Plan, doc, issues)
            plan_doc = doc
            compose = _compose_file(directory, doc)
    scenarios: dict[str, Scenario] = {}
    docs: dict[str, YamlDoc] = {}
    for file in scenario_files(directory):
        if compose is not None and Path(os.path.realpath(file)) == compose:
            continue  # the staging topology's compose file, kept beside plan.yaml: no scenario
        loaded = _read_scenario(file, directory, issues)
        if loaded is not None:
            scenarios[file.stem], docs[file.stem] = loaded
    if plan is not None:
        plan = plan.model_copy(update={"source_dir": directory, "scenarios": dict(sorted(scenarios.items()))})
        issues.extend(check_references(plan, plan_doc, docs))
    if issues or plan is None:
        raise PlanError(issues)
    return plan
