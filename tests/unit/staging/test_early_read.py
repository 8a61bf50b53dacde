"""compose reads the plan's file before the drill's set-up (while pytest imports and collects), and the run's
stack takes that reading up: the same answer, with the same secrets, and no process left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from drdrill.plan import Plan, load_plan
from drdrill.staging import early as early_module
from drdrill.staging.early import Spawned, discard_early_reads, read_model_early
from drdrill.staging.stack import StagingStack, _ProjectCompose
from tests.unit.plan.test_host_access import PLAN, SCENARIO, TOPOLOGY
from tests.unit.staging.test_stack_host_access import (  # noqa: F401 - the fixtures, and the skip without docker
    plan_dir,
    pytestmark,
    temp,
)

COMPOSE = 'services:\n  web: {image: "drdrill/base:local", command: ["sleep", "infinity"]}\n'


def _plan(directory: Path) -> Plan:
    (directory / "stack").mkdir(parents=True)
    (directory / "plan.yaml").write_text(PLAN + TOPOLOGY, encoding="utf-8")
    (directory / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    (directory / "stack" / "compose.yaml").write_text(COMPOSE, encoding="utf-8")
    return load_plan(directory)


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The compose commands a stack starts to read the file (the arguments after ``-f <file>``)."""
    found: list[tuple[str, ...]] = []
    real = _ProjectCompose.spawn

    def spy(self: _ProjectCompose, *args: str) -> Spawned:
        found.append(args)
        return real(self, *args)

    monkeypatch.setattr(_ProjectCompose, "spawn", spy)
    return found


def test_the_runs_stack_takes_up_the_early_reading_and_reads_nothing_again(
    plan_dir: Path,  # noqa: F811
    temp: Path,  # noqa: F811
    spawned: list[tuple[str, ...]],
) -> None:
    plan = _plan(plan_dir)
    assert read_model_early(plan, "early001")
    early = early_module._EARLY["early001"]
    stack = StagingStack(plan, "early001", lambda _: None)
    try:
        assert "early001" not in early_module._EARLY
        assert stack.secrets == early.secrets
        stack.prepare()
        assert stack.model is not None and "web" in stack.model.services
        assert stack.configuration().compose_file == str(stack.compose_file)
    finally:
        stack.stop()
    assert spawned == []  # both readings were the early ones
    other = StagingStack(plan, "late0001", lambda _: None)
    try:
        other.prepare()
    finally:
        other.stop()
    assert spawned == [("--profile", "*", "config", "--format", "json")]  # a run without one reads now


def test_an_early_reading_nobody_takes_up_ends_with_nothing_left_running(
    plan_dir: Path,  # noqa: F811
    temp: Path,  # noqa: F811
) -> None:
    plan = _plan(plan_dir)
    assert read_model_early(plan, "early002") and read_model_early(plan, "early003")
    refused = StagingStack(plan, "early002", lambda _: None)  # refused before prepare(): only stop() runs
    processes = [early_module._EARLY["early003"].config._process]
    assert refused._early is not None
    processes.append(refused._early.variables._process)
    refused.stop()
    discard_early_reads()
    assert early_module._EARLY == {}
    assert all(p.returncode is not None for p in processes)


def test_a_reading_made_with_another_command_line_or_environment_than_the_stacks_is_not_taken_up(
    plan_dir: Path,  # noqa: F811
    temp: Path,  # noqa: F811
) -> None:
    plan = _plan(plan_dir)
    assert read_model_early(plan, "early004")
    stack = StagingStack(plan, "early004", lambda _: None)
    try:
        assert stack._early is not None
        compose = stack._compose.compose_command_property
        environment = stack._compose.process_environment()
        assert stack._early.reads(compose, ("--profile", "*"), environment)
        assert not stack._early.reads(["podman", *compose[1:]], ("--profile", "*"), environment)
        # a variable set since the early reading (by a conftest, say) may change what compose makes of the file
        assert not stack._early.reads(compose, ("--profile", "*"), {**environment, "IMAGE_TAG": "v2"})
    finally:
        stack.stop()


@pytest.mark.parametrize(
    ("variable", "read_again"),
    [
        ("DRDRILL_TEST_SET_LATER", True),  # as a conftest's pytest_sessionstart might set one
        # pytest's own: unset in pytest_configure, where the plugin reads early, and "<item> (setup)" in the drill's
        # set-up. Before it was left out of compose's environment, no early reading was ever taken up.
        ("PYTEST_CURRENT_TEST", False),
    ],
)
def test_a_variable_set_after_the_early_reading_has_the_stack_read_the_file_again_unless_it_is_pytests(
    plan_dir: Path,  # noqa: F811
    temp: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    spawned: list[tuple[str, ...]],
    variable: str,
    read_again: bool,
) -> None:
    plan = _plan(plan_dir)
    monkeypatch.delenv(variable, raising=False)
    assert read_model_early(plan, "early005")
    monkeypatch.setenv(variable, "::provider-outage (setup)")
    stack = StagingStack(plan, "early005", lambda _: None)
    try:
        stack.prepare()
        assert (variable in stack._compose.process_environment()) is read_again
    finally:
        stack.stop()
    assert spawned == ([("--profile", "*", "config", "--format", "json")] if read_again else [])
