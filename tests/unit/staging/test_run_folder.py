"""No temporary folder outlives a refused preflight: the run's folder is made by prepare(), and stop()
removes it whatever prepare() did."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from drdrill.errors import StagingError
from drdrill.plan import load_plan
from drdrill.staging.stack import StagingStack
from tests.bundled import copy_bundled_plan


@pytest.fixture
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_a_refused_engine_leaves_no_folder(
    temp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = load_plan(copy_bundled_plan(tmp_path / "scenarios"))
    monkeypatch.setenv("DOCKER_HOST", "tcp://203.0.113.7:2376")
    monkeypatch.delenv("DRDRILL_ALLOW_REMOTE_DOCKER", raising=False)
    stack = StagingStack(plan, "r1", lambda _: None)
    with pytest.raises(StagingError, match="is not this machine's Docker engine"):
        stack.environment()
    assert list(temp.iterdir()) == []


@pytest.mark.skipif(
    shutil.which("docker") is None, reason="needs the docker CLI (compose config runs no container)"
)
def test_a_prepare_that_fails_leaves_no_folder_after_stop(temp: Path, tmp_path: Path) -> None:
    plan_dir = copy_bundled_plan(tmp_path / "scenarios")
    compose = tmp_path / "stack" / "compose.yaml"
    compose.parent.mkdir()
    # The bundled stack plus a service that drdrill's reader accepts and compose refuses (no image, no build).
    claims = Path(__file__).resolve().parents[3] / "compose" / "claims" / "compose.yaml"
    text = claims.read_text(encoding="utf-8").replace(
        "services:\n", "services:\n  broken: {command: ['true']}\n", 1
    )
    compose.write_text(text, encoding="utf-8")
    plan_text = (plan_dir / "plan.yaml").read_text(encoding="utf-8")
    (plan_dir / "plan.yaml").write_text(
        plan_text.replace(f"compose_file: {claims}", f"compose_file: {compose}"), encoding="utf-8"
    )
    stack = StagingStack(load_plan(plan_dir), "r2", lambda _: None)
    with pytest.raises(StagingError, match="docker compose cannot read"):
        stack.prepare()
    assert [p.name.startswith("drdrill-r2-") for p in temp.iterdir()] == [True]
    assert stack.stop() == 0
    assert list(temp.iterdir()) == []


def test_a_drill_refused_in_preflight_leaves_no_folder(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_bundled_plan(pytester.path / "scenarios")
    folder = tmp_path / "subprocess-tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setenv("DOCKER_HOST", "tcp://203.0.113.7:2376")
    monkeypatch.delenv("DRDRILL_ALLOW_REMOTE_DOCKER", raising=False)
    result = pytester.runpytest_subprocess("--drill=provider-outage", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert [p.name for p in folder.iterdir() if p.name.startswith("drdrill-")] == []
