"""The scheduled drills workflow runs the README's own commands, semi-annually and on demand."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "drills.yml"
# How the workflow runs a README command on a hosted runner (root for debootstrap, the runner's PATH), and
# where the venv puts drdrill; both are said in the README's CI section.
AS_ROOT = 'sudo -E env "PATH=$PATH" '
VENV = ".venv/bin/"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = YAML(typ="safe").load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow["jobs"]["drills"]["steps"]
    return steps


def _readme_commands() -> set[str]:
    """Lines of the README's indented or fenced code blocks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = {line[4:].strip() for line in text.splitlines() if line.startswith("    ") and line.strip()}
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL):
        commands |= {line.strip() for line in block.splitlines() if line.strip()}
    return commands


def _as_readme_writes_it(command: str) -> str:
    return command.removeprefix(AS_ROOT).removeprefix(VENV)


def test_every_run_step_is_a_readme_command(workflow: dict[str, Any]) -> None:
    runs = [_as_readme_writes_it(s["run"].strip()) for s in _steps(workflow) if "run" in s]
    assert runs, "the workflow runs nothing"
    assert all("\n" not in r for r in runs), "one command per step, as the README writes them"
    assert set(runs) <= _readme_commands(), set(runs) - _readme_commands()
    assert runs[0] == "./dev setup"
    assert runs[1].startswith("./dev drill ")


def test_the_readme_says_how_ci_wraps_its_commands() -> None:
    assert AS_ROOT.strip() in (ROOT / "README.md").read_text(encoding="utf-8")


def test_it_runs_semi_annually_and_on_demand(workflow: dict[str, Any]) -> None:
    # ruamel's safe loader reads the YAML 1.2 key `on` as the string "on".
    triggers = workflow["on"]
    assert "workflow_dispatch" in triggers
    (cron,) = [entry["cron"] for entry in triggers["schedule"]]
    _minute, _hour, day, months, weekday = cron.split()
    first, second = (int(m) for m in months.split(","))
    assert (second - first) == 6 and day.isdigit() and weekday == "*"


def test_drills_are_required_and_reports_always_uploaded(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["drills"]
    assert job["env"]["DRDRILL_REQUIRE_DOCKER"] == "1"  # a missing engine fails instead of skipping
    drill = next(s for s in _steps(workflow) if "run" in s and "./dev drill" in s["run"])
    assert "continue-on-error" not in drill and "||" not in drill["run"]  # a failed drill fails the job
    upload = next(s for s in _steps(workflow) if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"] == "reports/"
