"""Nothing is left behind: after Ctrl-C, and after a run that was killed outright (swept at the next start)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from drdrill.staging.stack import LABEL_MANAGED, LABEL_OWNER, LABEL_RUN, sweep_leftovers
from tests.integration.conftest import ROOT, run_drill

pytestmark = pytest.mark.integration


def _start_drill(plan_dir: Path, reports: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--drill=provider-outage",
        f"--drill-plan={plan_dir}",
        f"--drill-report-dir={reports}",
    ]
    return subprocess.Popen(command, cwd=reports.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for_event(reports: Path, needle: str, proc: subprocess.Popen[bytes], timeout_s: float = 120) -> str:
    """Wait until the drill's journal holds ``needle``; return the run id."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for journal in reports.glob("*/journal.jsonl"):
            if needle in journal.read_text():
                return journal.parent.name.rsplit("-", 1)[-1]
        if proc.poll() is not None:
            output, _ = proc.communicate()
            pytest.fail(f"the drill ended before {needle!r}:\n{output.decode()}")
        time.sleep(0.2)
    proc.kill()
    proc.communicate()
    pytest.fail(f"the drill never reached {needle!r}")


def _run_objects(client: docker.DockerClient, run_id: str) -> list[str]:
    selector: dict[str, str | list[str] | bool] = {"label": f"{LABEL_RUN}={run_id}"}
    names = [str(c.name) for c in client.containers.list(all=True, filters=selector, ignore_removed=True)]
    return names + [str(n.name) for n in client.networks.list(filters=selector)]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupt_during_the_fault_reverts_and_removes_everything(
    docker_ready: docker.DockerClient, plan_copy: Path, tmp_path: Path, stop_signal: signal.Signals
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    proc = _start_drill(plan_copy, reports)
    run_id = _wait_for_event(reports, '"kind": "fault"', proc)
    assert _run_objects(docker_ready, run_id), "the replica should be running during the fault"
    proc.send_signal(stop_signal)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, output.decode()
    assert _run_objects(docker_ready, run_id) == []
    (card_path,) = reports.glob(f"*-{run_id}/scorecard.json")
    card = json.loads(card_path.read_text())
    assert card["status"] == "aborted"
    assert any(e["kind"] == "fault" and e["type"] == "end" for e in card["timeline"])


def test_a_killed_runs_leftovers_are_swept_and_a_live_runs_are_kept(
    docker_ready: docker.DockerClient, plan_copy: Path, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    proc = _start_drill(plan_copy, reports)
    run_id = _wait_for_event(reports, '"name": "baseline"', proc)
    proc.kill()  # SIGKILL: no teardown runs, exactly like a crashed CI runner
    proc.communicate(timeout=30)
    assert _run_objects(docker_ready, run_id), "a killed run leaves its replica behind"

    # A container owned by a live process (our parent) must survive the sweep.
    live_owner = f"{socket.gethostname()}:{os.getppid()}"
    keeper = docker_ready.containers.run(
        "drdrill/base:local",
        ["sleep", "60"],
        detach=True,
        init=True,
        labels={LABEL_MANAGED: "true", LABEL_RUN: "keeper", LABEL_OWNER: live_owner},
    )
    try:
        messages: list[str] = []
        removed = sweep_leftovers(docker_ready, messages.append)
        assert removed >= 6  # six containers and a network
        assert _run_objects(docker_ready, run_id) == []
        assert any(run_id in m and "leftover" in m for m in messages), messages
        keeper.reload()
        assert keeper.status == "running"
    finally:
        keeper.remove(force=True)


def _plan_with_compose(plan_copy: Path, compose: Path) -> None:
    plan = plan_copy / "plan.yaml"
    text = plan.read_text()
    start = text.index("compose_file: ")
    end = text.index("\n", start)
    plan.write_text(text[:start] + f"compose_file: {compose}" + text[end:])


def test_a_replica_that_cannot_start_is_errored_not_failed_and_leaves_nothing(
    pytester: pytest.Pytester,
    no_leftovers: docker.DockerClient,
    plan_copy: Path,
    tmp_path: Path,
) -> None:
    # The user's own compose file, except that the intake waits for a Postgres health check that can never
    # pass: the other services start, then compose gives up. The tool failed, not the system, and the partial
    # stack must go.
    broken = tmp_path / "broken-compose"
    shutil.copytree(ROOT / "compose" / "claims", broken, ignore=shutil.ignore_patterns("__pycache__"))
    compose = broken / "compose.yaml"
    text = compose.read_text()
    intake = text.index("\n  intake:\n")
    needle = "postgres: {condition: service_started}"
    at = text.index(needle, intake)  # the intake's own wait for Postgres
    text = text[:at] + needle.replace("service_started", "service_healthy") + text[at + len(needle) :]
    check = 'test: ["CMD", "/usr/lib/postgresql/15/bin/pg_isready"'
    line = next(line for line in text.splitlines() if line.strip().startswith(check))
    indent = line[: len(line) - len(line.lstrip())]  # the health check's own indentation
    text = text.replace(
        check,
        f'interval: 200ms\n{indent}retries: 1\n{indent}test: ["CMD", "false", "/usr/lib/postgresql/15/bin/pg_isready"',
    )
    compose.write_text(text)
    _plan_with_compose(plan_copy, compose)
    run = run_drill(pytester, plan_copy, "provider-outage")
    result, card = run.result, run.card
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["drill provider-outage ERRORED: drill errored (the tool, not the system): *"]
    )
    assert card["status"] == "errored"
    assert "the staging replica did not start" in card["error"]
    verdicts = {v["name"]: v for v in card["verdicts"]}
    assert verdicts["rpo"]["outcome"] == "unknown"  # never judged: the drill did not get that far


def _refused_drill(pytester: pytest.Pytester, plan_dir: Path) -> pytest.RunResult:
    """``pytest --drill=provider-outage`` on ``plan_dir``, for a drill that must be refused before it starts."""
    return pytester.runpytest_subprocess(
        "--drill=provider-outage",
        f"--drill-plan={plan_dir}",
        f"--drill-report-dir={pytester.path / 'reports'}",
        "-p",
        "no:cacheprovider",
    )


def test_a_missing_image_is_refused_before_anything_starts(
    pytester: pytest.Pytester, docker_ready: docker.DockerClient, plan_copy: Path, tmp_path: Path
) -> None:
    # An image that is not on this machine and has no build: section is never pulled: the drill says which
    # service and how to build it, and no container was created.
    broken = tmp_path / "no-image"
    shutil.copytree(ROOT / "compose" / "claims", broken, ignore=shutil.ignore_patterns("__pycache__"))
    compose = broken / "compose.yaml"
    text = compose.read_text().replace(
        "image: drdrill/provider-sim:local", "image: example.invalid/llm-gateway:9"
    )
    compose.write_text(text)
    _plan_with_compose(plan_copy, compose)
    before = {c.id for c in docker_ready.containers.list(all=True)}
    result = _refused_drill(pytester, plan_copy)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*drill provider-outage cannot start: *compose.yaml: service 'provider-backup' uses image "
            "'example.invalid/llm-gateway:9', which is not on this machine, and has no build: section; drdrill "
            "never pulls images: build it (docker build -t example.invalid/llm-gateway:9 ...) or give the "
            "service a build: section"
        ]
    )
    assert {c.id for c in docker_ready.containers.list(all=True)} == before


def test_a_plan_naming_services_its_compose_file_lacks_is_refused_and_starts_nothing(
    pytester: pytest.Pytester, docker_ready: docker.DockerClient, plan_copy: Path
) -> None:
    plan = plan_copy / "plan.yaml"
    text = plan.read_text()
    assert "staging: {service: worker}" in text
    plan.write_text(text.replace("staging: {service: worker}", "staging: {service: wroker}"))
    before = {c.id for c in docker_ready.containers.list(all=True)}
    result = _refused_drill(pytester, plan_copy)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"*{plan_copy.name}/plan.yaml:*: components.classifier-worker.staging.service: unknown compose service "
            "'wroker'; did you mean 'worker'? (known in *compose.yaml: edge, intake, intake-b, *, worker, "
            "worker-b, worker-c)"
        ]
    )
    assert {c.id for c in docker_ready.containers.list(all=True)} == before
    reports = pytester.path / "reports"
    assert not reports.exists() or list(reports.iterdir()) == []
