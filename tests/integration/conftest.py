"""Integration drills need a Docker engine, the compose plugin and the local images (Toxiproxy included).

Without them the drills are skipped on a laptop, but fail when ``DRDRILL_REQUIRE_DOCKER=1`` (CI).
"""

from __future__ import annotations

import json
import os
import pwd
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from drdrill.errors import EnvironmentNotReadyError
from drdrill.staging import images
from drdrill.staging.stack import LABEL_MANAGED, LABEL_OWNER, check_compose, docker_client, owner_gone
from tests.bundled import copy_bundled_plan

ROOT = Path(__file__).resolve().parents[2]
MANAGED: dict[str, str | list[str] | bool] = {"label": f"{LABEL_MANAGED}=true"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def docker_ready() -> docker.DockerClient:
    """The engine, or a skip (a failure with DRDRILL_REQUIRE_DOCKER=1)."""
    try:
        client = docker_client()
        check_compose()
        missing = images.missing_images()
        if missing:
            raise EnvironmentNotReadyError(f"local images missing: {', '.join(missing)}; run ./dev setup")
    except EnvironmentNotReadyError as exc:
        if os.environ.get("DRDRILL_REQUIRE_DOCKER") == "1":
            pytest.fail(f"DRDRILL_REQUIRE_DOCKER=1 but {exc}", pytrace=False)
        pytest.skip(f"needs Docker, compose and the local images: {exc}")
    return client


def managed_ids(client: docker.DockerClient) -> set[str]:
    """Ids of the drdrill containers and networks whose owner process is gone (a live run is not a leftover)."""
    containers = {
        str(c.id)
        for c in client.containers.list(all=True, filters=MANAGED, ignore_removed=True)
        if owner_gone((c.labels or {}).get(LABEL_OWNER, ""))
    }
    networks = {
        str(n.id)
        for n in client.networks.list(filters=MANAGED)
        if owner_gone((n.attrs.get("Labels") or {}).get(LABEL_OWNER, ""))
    }
    return containers | networks


@pytest.fixture
def no_leftovers(docker_ready: docker.DockerClient) -> Iterator[docker.DockerClient]:
    """Fail the test if it leaves any drdrill container or network behind."""
    before = managed_ids(docker_ready)
    yield docker_ready
    left = managed_ids(docker_ready) - before
    kept = {found for found in left if kept_by_engine(docker_ready, found)}
    if kept:
        # The engine's own miscount (moby/moby#42119), which the drill's scorecard names: not drdrill's to free.
        print(f"networks the engine keeps though it lists no endpoint on them: {sorted(kept)}")
    assert left - kept == set(), f"left behind: {left - kept}"


def kept_by_engine(client: docker.DockerClient, object_id: str) -> bool:
    """True for a network the engine lists no endpoint on and still refuses to remove for active endpoints."""
    try:
        network = client.networks.get(object_id)
    except docker.errors.NotFound:
        return False  # a container's id, or gone
    if network.attrs.get("Containers"):
        return False
    try:
        network.remove()
    except docker.errors.APIError as exc:
        return "active endpoints" in str(exc)
    return False  # it went now: it was not kept, and the assertion above names it


@pytest.fixture
def drill_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester points HOME at a temporary folder; keep the user's docker CLI plugins and drdrill cache."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    monkeypatch.setenv("DOCKER_CONFIG", os.environ.get("DOCKER_CONFIG", str(home / ".docker")))
    monkeypatch.setenv("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME", str(home / ".cache")))


@pytest.fixture
def plan_copy(tmp_path: Path, drill_env: None) -> Path:
    """A copy of the bundled plan that a test may add scenarios to."""
    return copy_bundled_plan(tmp_path / "plan")


@dataclass(frozen=True)
class DrillRun:
    """One drill run through pytest in a subprocess, and the scorecard it wrote."""

    result: pytest.RunResult
    card: dict[str, Any]
    run_dir: Path


def run_drill(pytester: pytest.Pytester, plan_dir: Path, scenario: str, *options: str) -> DrillRun:
    """``pytest --drill=<scenario>`` on ``plan_dir``, reports under the pytester folder."""
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        f"--drill={scenario}",
        f"--drill-plan={plan_dir}",
        f"--drill-report-dir={reports}",
        "-p",
        "no:cacheprovider",
        *options,
    )
    found = sorted(reports.glob(f"*-{scenario}-*/scorecard.json"))
    assert len(found) == 1, (found, result.stdout.str()[-3000:])
    return DrillRun(result, json.loads(found[0].read_text()), found[0].parent)
