"""What only compose can resolve (``${...}`` values, the settings of an allowed include) is checked on
``docker compose config``'s resolved model before anything starts, with the compose file's lines."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from drdrill.errors import StagingError
from drdrill.plan import load_plan
from drdrill.staging.stack import StagingStack
from tests.unit.plan.test_host_access import PLAN, SCENARIO, TOPOLOGY, refusal

pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None, reason="needs the docker CLI (compose config starts nothing)"
)
COMPOSE = """\
services:
  web:
    image: drdrill/base:local
    command: ["sleep", "infinity"]
    privileged: ${PRIV:-true}
    network_mode: ${NET:-bridge}
"""


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def plan_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the plan is written; the working directory is its parent, so errors read ``plan/...``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path / "plan"


def _stack(directory: Path, compose: str, allow: str = "") -> StagingStack:
    (directory / "stack").mkdir(parents=True)
    (directory / "plan.yaml").write_text(PLAN + TOPOLOGY + allow, encoding="utf-8")
    (directory / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    (directory / "stack" / "compose.yaml").write_text(compose, encoding="utf-8")
    return StagingStack(load_plan(directory), "hostcheck", lambda _: None)


def test_an_interpolated_setting_is_refused_on_the_resolved_model_at_its_line(
    plan_dir: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRIV", raising=False)
    monkeypatch.setenv("NET", "host")
    stack = _stack(plan_dir, COMPOSE)  # the loader cannot know ${...}: it loads
    with pytest.raises(StagingError) as info:
        stack.prepare()
    assert str(info.value).splitlines() == [
        "the compose file, as docker compose resolves it, gives the stack the host:",
        refusal(
            "plan/stack/compose.yaml:5:17",
            "services.web.privileged",
            "privileged: true gets every device and capability of the host: it can take the machine",
            "web",
            "privileged",
        ),
        refusal(
            "plan/stack/compose.yaml:6:19",
            "services.web.network_mode",
            "network_mode: host shares the host's network: its ports listen on every address of this machine, "
            "not only 127.0.0.1 as drdrill publishes them",
            "web",
            "network_mode:host",
        ),
    ]
    stack.stop()
    assert list(temp.iterdir()) == []


def test_the_resolved_model_honours_the_plans_allowances(
    plan_dir: Path, temp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PRIV", raising=False)
    monkeypatch.delenv("NET", raising=False)
    stack = _stack(plan_dir, COMPOSE, "  allow_host_access: {web: [privileged]}\n")
    try:
        stack.prepare()  # refused nothing: the image is local, the override is written
        assert "privileged" not in stack.override_text
    finally:
        stack.stop()


def test_settings_of_an_allowed_include_from_outside_still_need_their_own_allowance(
    plan_dir: Path, temp: Path, tmp_path: Path
) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "tools.yaml").write_text(
        "services:\n  tools:\n    image: drdrill/base:local\n    pid: host\n", encoding="utf-8"
    )
    compose = "include:\n  - ../../shared/tools.yaml\nservices:\n  web:\n    image: drdrill/base:local\n"
    stack = _stack(plan_dir, compose, '  allow_host_access: {tools: ["include:../../shared/tools.yaml"]}\n')
    with pytest.raises(StagingError) as info:
        stack.prepare()
    assert str(info.value).splitlines()[1:] == [
        "plan/stack/compose.yaml: service 'tools' of an included file: services.tools.pid: pid: host sees and can "
        "signal every process of the host; drdrill refuses it: remove it, or allow it knowingly in plan.yaml with "
        'staging_topology.allow_host_access: {tools: ["pid:host"]}'
    ]
    stack.stop()
