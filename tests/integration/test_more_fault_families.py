"""Container faults, HTTP-level provider faults and the restart hook, on real containers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
from docker.models.containers import Container

from drdrill.faults.container import ContainerFault
from drdrill.replica import NotRunning
from drdrill.staging.stack import LABEL_MANAGED, LABEL_OWNER, LABEL_RUN, owner_tag
from tests.integration.conftest import run_drill

pytestmark = pytest.mark.integration


class _One(NotRunning):
    """A replica of one container."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def container(self, service: str) -> Container:
        assert service == "sleeper"
        return self._container


@pytest.fixture
def sleeper(docker_ready: docker.DockerClient) -> Iterator[Container]:
    container = docker_ready.containers.run(
        "drdrill/base:local",
        ["sleep", "300"],
        detach=True,
        init=True,
        labels={LABEL_MANAGED: "true", LABEL_RUN: "container-fault-test", LABEL_OWNER: owner_tag()},
    )
    yield container
    container.remove(force=True)


def _status(container: Container) -> str:
    container.reload()
    return str(container.status)


@pytest.mark.parametrize(("kind", "down"), [("kill", "exited"), ("stop", "exited"), ("pause", "paused")])
def test_fault_takes_the_container_down_and_revert_brings_it_back(
    sleeper: Container, kind: str, down: str
) -> None:
    fault = ContainerFault(_One(sleeper), "sleeper", "classifier-worker", kind)
    assert _status(sleeper) == "running"
    fault.apply()
    assert _status(sleeper) == down
    fault.revert()
    fault.revert()  # safe twice
    assert _status(sleeper) == "running"


def test_server_failure_drill_kills_the_worker_and_the_restart_hook_brings_it_back(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    run = run_drill(pytester, plan_copy, "server-failure")
    run.result.assert_outcomes(passed=1)
    card = run.card
    events = card["timeline"]
    assert [e["name"] for e in events if e["kind"] == "fault" and e["type"] == "start"] == [
        "kill classifier-worker (SIGKILL)"
    ]
    (restart,) = [e for e in events if e["kind"] == "step" and e["type"] != "invoke"]
    assert restart["type"] == "ok" and restart["data"]["detail"] == "restarted worker"
    # the worker was really gone: its status endpoint stopped answering, then came back on the same port
    # While the worker is down its failover signal cannot be read; after the restart it serves the primary.
    seen = [e["data"]["raw"] for e in events if e["kind"] == "signal" and e["name"] == "failover"]
    assert any(raw.startswith("unreadable") for raw in seen) and seen[-1] == "primary"
    assert card["measurements"]["ledger"]["lost"] == 0
    assert card["measurements"]["time_to_recover_s"] <= 20


def test_integration_failure_drill_breaks_the_providers_answers_and_the_worker_fails_over(
    pytester: pytest.Pytester, no_leftovers: docker.DockerClient, plan_copy: Path
) -> None:
    # An HTTP-level fault Toxiproxy cannot play: the primary answers 200 with a body cut off mid-JSON.
    run = run_drill(pytester, plan_copy, "integration-failure")
    run.result.assert_outcomes(passed=1)
    card = run.card
    assert card["scenario"]["faults"] == ["malformed_body primary-provider (error_rate=1.0, malformed=True)"]
    measured = card["measurements"]
    assert measured["time_to_failover_s"] is not None  # a 200 with a broken body counted as a failure
    assert measured["ledger"]["lost"] == 0 and measured["ledger"]["not_done"] == 0
