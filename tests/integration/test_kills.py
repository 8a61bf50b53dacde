"""Kill tests: SIGINT or SIGTERM in any phase, teardown included, still writes a scorecard and leaves nothing;
SIGKILL in any phase writes nothing, and the next run's sweep removes all it left (containers and temp files)."""

from __future__ import annotations

import json
import shutil
import signal
import tempfile
import time
from pathlib import Path

import docker
import pytest

from drdrill.staging.stack import process_running, sweep_leftovers, sweep_run_dirs
from tests.integration.conftest import ROOT
from tests.integration.test_cleanup import _plan_with_compose, _run_objects, _start_drill, _wait_for_event

pytestmark = pytest.mark.integration

# A service that ignores SIGTERM: `compose down` waits out its stop timeout, so teardown lasts long enough
# for a signal to land inside it.
STUBBORN = """
  stubborn:
    image: drdrill/base:local
    init: true
    command: ["bash", "-c", "trap '' TERM; while true; do sleep 0.2; done"]
"""


@pytest.fixture
def slow_teardown_plan(plan_copy: Path, tmp_path: Path) -> Path:
    compose = tmp_path / "claims-compose" / "compose.yaml"
    compose.parent.mkdir()
    text = (ROOT / "compose" / "claims" / "compose.yaml").read_text()
    # The simulators' rules file is bound from the compose file's own folder: a bind from outside it is refused.
    shutil.copytree(ROOT / "compose" / "claims" / "sim", compose.parent / "sim")
    text = text.replace("context: .", f"context: {ROOT / 'compose' / 'claims'}")
    compose.write_text(text.replace("\nvolumes:\n", f"{STUBBORN}\nvolumes:\n", 1))
    _plan_with_compose(plan_copy, compose)
    plan = plan_copy / "plan.yaml"
    plan.write_text(plan.read_text().replace("  infrastructure: []", "  infrastructure: [stubborn]"))
    return plan_copy


def _processes_naming(project: str) -> list[str]:
    """Command lines of the processes that still run with ``project`` among their arguments."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0") if entry.name.isdigit() else []
        except OSError:
            continue
        if project.encode() in argv and process_running(entry):
            found.append(b" ".join(argv).decode(errors="replace"))
    return found


def _phase_started(name: str) -> str:
    return f'"kind": "phase", "name": "{name}"'  # its first event is the start (keys are sorted)


@pytest.mark.parametrize("phase", ["stack-start", "baseline", "fault", "drain", "teardown"])
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupt_in_any_phase_keeps_the_scorecard_and_leaves_nothing(
    docker_ready: docker.DockerClient,
    slow_teardown_plan: Path,
    tmp_path: Path,
    phase: str,
    stop_signal: signal.Signals,
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    proc = _start_drill(slow_teardown_plan, reports)
    run_id = _wait_for_event(reports, _phase_started(phase), proc)
    proc.send_signal(stop_signal)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, output.decode()[-3000:]
    (card_path,) = reports.glob(f"*-{run_id}/scorecard.json")
    card = json.loads(card_path.read_text())
    if phase == "teardown":
        # Every phase ran: the verdicts stand, and the signal is said, not obeyed, until teardown is done.
        assert card["status"] in ("passed", "failed"), card["error"]
        name = signal.Signals(stop_signal).name
        assert f"{name} during teardown: noted and ignored until it finished" in card["cleanup"]
        assert _run_objects(docker_ready, run_id) == []  # teardown finished: nothing for a sweep to do
    else:
        assert card["status"] == "aborted"
        assert f"during the {phase} phase" in card["error"], card["error"]
    # Whatever the interrupt cut short, the next run's sweep leaves nothing of this one.
    sweep_leftovers(docker_ready, lambda line: None)
    assert _run_objects(docker_ready, run_id) == []


def test_repeated_signals_during_teardown_are_noted_and_teardown_still_finishes(
    docker_ready: docker.DockerClient, slow_teardown_plan: Path, tmp_path: Path
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    proc = _start_drill(slow_teardown_plan, reports)
    run_id = _wait_for_event(reports, _phase_started("fault"), proc)
    proc.send_signal(signal.SIGINT)  # the first Ctrl-C aborts the drill ...
    _wait_for_event(reports, _phase_started("teardown"), proc)
    for stop_signal in (
        signal.SIGINT,
        signal.SIGTERM,
        signal.SIGINT,
    ):  # ... and impatience does not strand it
        time.sleep(0.3)
        proc.send_signal(stop_signal)
    output, _ = proc.communicate(timeout=120)
    text = output.decode()
    assert proc.returncode == pytest.ExitCode.INTERRUPTED, text[-3000:]
    (card_path,) = reports.glob(f"*-{run_id}/scorecard.json")
    card = json.loads(card_path.read_text())
    assert card["status"] == "aborted"
    assert card["error"].startswith("interrupted (Ctrl-C) during the fault phase"), card["error"]
    assert any("during teardown: noted and ignored until it finished" in line for line in card["cleanup"])
    assert _run_objects(docker_ready, run_id) == []  # no sweep needed: teardown finished
    assert f"scorecard: {card_path}" in text  # the terminal gives its path


@pytest.mark.parametrize("phase", ["stack-start", "fault", "teardown"])
def test_after_a_sigkill_in_any_phase_the_next_sweep_removes_everything(
    docker_ready: docker.DockerClient, slow_teardown_plan: Path, tmp_path: Path, phase: str
) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    proc = _start_drill(slow_teardown_plan, reports)
    run_id = _wait_for_event(reports, _phase_started(phase), proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert list(reports.glob(f"*-{run_id}/scorecard.json")) == []  # SIGKILL: nothing can be written
    temp = Path(tempfile.gettempdir())
    assert list(temp.glob(f"drdrill-{run_id}-*")), "the killed run's temporary files are still there"
    messages: list[str] = []
    sweep_leftovers(docker_ready, messages.append)
    removed_dirs = sweep_run_dirs(temp, keep=temp / "none")
    assert _run_objects(docker_ready, run_id) == [], messages
    # The compose command the drill had started is stopped too: it cannot create anything behind the sweep.
    assert _processes_naming(f"drdrill-{run_id}") == [], messages
    assert list(temp.glob(f"drdrill-{run_id}-*")) == []
    assert any(name.startswith(f"drdrill-{run_id}-") for name in removed_dirs)
