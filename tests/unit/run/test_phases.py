"""Preflight, the phases and the runner's settling, on the fake help desk, replica and clock."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from drdrill.clock import FakeClock
from drdrill.errors import DrdrillError
from drdrill.plan import Plan, load_plan
from drdrill.runner import DrillRunner, DrillSettings
from drdrill.system import HttpSystem
from drdrill.system.kinds import resolve_system
from tests.unit.fake_drill import FakeContainer, FakeHelpdesk, FakeStaging
from tests.unit.test_runner import Drill, helpdesk
from tests.unit.ticket_plan import write_ticket_plan


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("helpdesk"))


def test_the_declarative_kind_names_what_the_plan_lacks(plan: Plan) -> None:
    with pytest.raises(DrdrillError) as refused:
        resolve_system(plan, None)
    assert str(refused.value) == (
        f"{plan.source_dir / 'plan.yaml'}: staging_topology.system declares no write and no probe, so the drill "
        "has no workload and no steady-state probe; declare them (see docs/drill-your-own-system.md) or return a "
        "system from a pytest_drdrill_system hook"
    )


def test_a_python_system_missing_parts_of_the_contract_is_refused_by_name(plan: Plan) -> None:
    class Half:
        def open(self) -> None: ...
        def write(self) -> None: ...

    with pytest.raises(
        DrdrillError,
        match=r"returned Half, which is not a DrillSystem: it has no probe, final_read, "
        r"signals, payloads, signal_meanings, close",
    ):
        resolve_system(plan, Half())  # type: ignore[arg-type]


def test_an_http_subclass_that_replaces_nothing_the_plan_lacks_is_refused(plan: Plan) -> None:
    class OnlyRead(HttpSystem):
        pass

    with pytest.raises(
        DrdrillError, match="OnlyRead neither replaces write nor probe nor does staging_topology"
    ):
        resolve_system(plan, OnlyRead(None))
    assert resolve_system(plan, FakeHelpdesk(FakeClock()))[0] == "python"


def test_a_refused_preflight_removes_what_it_made_and_starts_nothing(plan: Plan, tmp_path: Path) -> None:
    staging = FakeStaging({})
    settings = DrillSettings(
        report_dir=tmp_path, run_id="r1", system=helpdesk(), staging=staging.factory, hooks={}
    )
    runner = DrillRunner(plan, plan.scenarios["responder-restart"], settings, clock=FakeClock())
    with pytest.raises(
        DrdrillError, match="recovery step hook 'restart-service' is not registered; known hooks: none"
    ):
        runner.preflight()
    assert staging.calls == []  # refused before the replica was even made

    result = DrillRunner(plan, plan.scenarios["responder-restart"], settings, clock=FakeClock()).run()
    assert result.status == "errored"
    assert "known hooks: none" in str(result.scorecard.error)
    assert staging.calls == []


def test_a_fault_that_raises_half_applied_is_still_reverted(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=1.0))

    def kill_then_fail(signal: str = "SIGKILL") -> None:
        FakeContainer.kill(drill.container, signal)
        raise RuntimeError("the engine lost the answer")

    drill.container.kill = kill_then_fail  # type: ignore[method-assign]
    result = drill.run()

    assert result.status == "errored"
    assert result.scorecard.error == "RuntimeError: the engine lost the answer"
    assert drill.container.calls == ["kill SIGKILL", "start"]  # pushed before apply, so reverted
    faults = [(e.type, e.name) for e in result.scorecard.timeline if e.kind == "fault"]
    assert faults == [("start", "kill responder (SIGKILL)"), ("end", "kill responder (SIGKILL)")]


def test_writes_stop_before_the_drain_and_the_probes_after_it(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))
    drill.run()
    timeline = drill.scorecard["timeline"]
    # by the journal's order: a write due at the very instant of the revert is invoked before the drain starts
    (drain_start,) = [
        i
        for i, e in enumerate(timeline)
        if e["kind"] == "phase" and e["name"] == "drain" and e["type"] == "start"
    ]
    (drain_end,) = [
        i
        for i, e in enumerate(timeline)
        if e["kind"] == "phase" and e["name"] == "drain" and e["type"] == "end"
    ]
    writes = [i for i, e in enumerate(timeline) if e["kind"] == "op" and e["type"] == "invoke"]
    probes = [i for i, e in enumerate(timeline) if e["kind"] == "probe" and e["type"] == "invoke"]
    assert max(writes) < drain_start
    assert max(probes) < drain_end
    assert timeline[max(writes)]["t_ns"] <= timeline[drain_start]["t_ns"]


def test_a_signal_during_teardown_keeps_the_result_writes_the_scorecard_and_goes_on_up(
    plan: Plan, tmp_path: Path
) -> None:
    system = helpdesk(heal_after_s=3.2)
    drill = Drill(plan, tmp_path, system)
    closes = system.close

    def close_with_ctrl_c() -> None:
        os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C while the replica is being removed
        closes()

    system.close = close_with_ctrl_c  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt, match="SIGINT during teardown"):
        drill.run()

    card = drill.scorecard
    assert card["status"] == "passed"  # every phase ran; the signal only came in teardown, which finished
    assert card["cleanup"] == [
        "replica drdrill-test removed",
        "SIGINT during teardown: noted and ignored until it finished",
    ]
    assert drill.staging.calls[-1] == "stop"
    assert drill.runner.result is not None and drill.runner.result.status == "passed"


def test_the_scorecard_records_what_shaped_the_system_under_drill(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))
    drill.run()
    assert drill.scorecard["configuration"] == {
        "compose_file": "compose.yaml",
        "compose_digest": "sha256:compose",
        "environment": {"RESPONDER_MODEL": "small (default)"},
        "plan_digest": "sha256:plan",
        "images": {"api": "sha256:api", "responder": "sha256:responder"},
        "host_access_allowed": {},
    }


def test_host_access_the_plan_allowed_is_on_the_scorecard_and_the_page(tmp_path: Path) -> None:
    plan_dir = tmp_path / "plan"
    write_ticket_plan(plan_dir)
    text = (plan_dir / "plan.yaml").read_text()
    (plan_dir / "plan.yaml").write_text(text + "  allow_host_access: {responder: [privileged]}\n")
    compose = (plan_dir / "compose.yaml").read_text()
    (plan_dir / "compose.yaml").write_text(compose + "    privileged: true\n")
    plan = load_plan(plan_dir)
    drill = Drill(plan, tmp_path / "reports", helpdesk(heal_after_s=3.2))
    drill.run()
    assert drill.scorecard["configuration"]["host_access_allowed"] == {"responder": ["privileged"]}
    page = (drill.runner.run_dir / "scorecard.html").read_text()
    assert "<td>host access allowed to responder</td><td class='ids'>privileged</td>" in page


class At:
    """A one-off event at a time on a fake clock (the engine's, in these tests)."""

    def __init__(self, clock: FakeClock, at_s: float, action: Callable[[], None]) -> None:
        self.due: int | None = clock.monotonic_ns() + round(at_s * 1e9)
        self.action = action
        clock.drive(self)

    def next_due_ns(self) -> int | None:
        return self.due

    def fire(self) -> None:
        self.due = None
        self.action()


def test_a_container_that_goes_down_by_itself_is_named_and_fails_the_drill(
    plan: Plan, tmp_path: Path
) -> None:
    system = helpdesk(heal_after_s=3.2)
    drill = Drill(plan, tmp_path, system)

    def engine() -> None:
        assert drill.staging.watcher is not None
        drill.staging.watcher.emit("responder", "die", 137)  # the fault's own kill: expected
        drill.staging.watcher.emit("api", "die", 137)  # nobody stopped the api

    # 2 s of baseline, then the kill; the api dies 1 s into the fault
    At(system.clock, 3.0, engine)
    result = drill.run()

    assert result.status == "failed"
    assert drill.verdict("replica") == (
        "fail",
        "api exited (code 137) 3.0 s into the drill, and no fault of the drill stopped it",
    )
    replica = [(e["value"], e["data"]) for e in drill.scorecard["timeline"] if e["kind"] == "replica"]
    assert replica == [
        ("responder", {"action": "die", "exit_code": 137}),
        ("api", {"action": "die", "exit_code": 137}),
    ]
    (start,) = [e for e in drill.scorecard["timeline"] if e["kind"] == "fault" and e["type"] == "start"]
    assert start["data"] == {"stops": ["responder"]}


def test_a_drill_where_nothing_went_down_by_itself_has_no_replica_verdict(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))
    assert drill.run().status == "passed"
    assert "replica" not in [v["name"] for v in drill.scorecard["verdicts"]]


def test_a_dead_toxiproxy_ends_the_drill_as_errored_within_a_tenth_of_a_second(
    plan: Plan, tmp_path: Path
) -> None:
    system = helpdesk(heal_after_s=3.2)
    drill = Drill(plan, tmp_path, system)
    died_at: list[int] = []

    def engine() -> None:
        assert drill.staging.watcher is not None
        died_at.append(system.clock.monotonic_ns())
        drill.staging.watcher.emit("drdrill-toxiproxy", "die", 137)

    At(system.clock, 2.0, engine)  # during the baseline (the warm-up's three good probes end at 1 s)
    result = drill.run()

    assert result.status == "errored"
    assert result.scorecard.error == (
        "the run's Toxiproxy exited (code 137): the links' faults can be neither held nor measured, so the drill "
        "stopped; a process on this machine may have killed it (its API is open on 127.0.0.1)"
    )
    (baseline_end,) = [e.t_ns for e in result.scorecard.timeline if e.name == "baseline" and e.type == "end"]
    assert baseline_end - died_at[0] <= 100_000_000
    assert drill.container.calls == []  # the fault was never applied


@pytest.mark.parametrize("share", [0.0, 0.3, 0.9])
def test_the_fault_lands_at_its_share_of_a_probe_interval_after_the_declared_baseline(
    plan: Plan, tmp_path: Path, share: float
) -> None:
    # The warm-up ends whenever its quick probes said the system answers, off the steady-state probe's schedule;
    # the fault still lands `share` of an interval after a steady-state probe was due, never before the
    # declared baseline has passed, and within one interval of it.
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))
    drill.runner.settings = replace(drill.runner.settings, fault_phase=share)
    drill.run()
    timeline = drill.scorecard["timeline"]
    staging = plan.scenarios["responder-crash"].staging
    interval_ns = round(staging.probe_interval.total_seconds() * 1e9)
    (first_probe,) = [
        e["t_ns"] for e in timeline if e.get("process") == "r1-canary-00001" and e["type"] == "invoke"
    ]
    (baseline_start,) = [
        e["t_ns"]
        for e in timeline
        if e["kind"] == "phase" and e["name"] == "baseline" and e["type"] == "start"
    ]
    fault_start = next(e["t_ns"] for e in timeline if e["kind"] == "fault" and e["type"] == "start")
    assert (fault_start - first_probe) % interval_ns == round(share * interval_ns)
    waited = fault_start - baseline_start - round(staging.baseline.total_seconds() * 1e9)
    assert 0 <= waited < interval_ns


def test_the_scorecard_freezes_what_the_run_was(tmp_path: Path) -> None:
    plan = write_ticket_plan(tmp_path / "plan")
    system = helpdesk(heal_after_s=3.2)
    drill = Drill(plan, tmp_path / "reports", system)
    drill.runner = DrillRunner(
        plan, plan.scenarios["responder-restart"], drill.runner.settings, clock=system.clock
    )

    drill.run()

    card = drill.scorecard
    config = card["config"]
    assert config["staging"] == plan.scenarios["responder-restart"].staging.model_dump(mode="json")
    assert config["faults"] == [
        {"kind": "kill", "target": "responder", "signal": "SIGKILL", "note": None, "wait_for": None}
    ]
    assert config["recovery_hooks"] == ["restart-service"]
    assert config["compose_file"] == "compose.yaml"
    assert config["compose_override"] == "# generated override (fake)\n"
    assert config["system"] == "FakeHelpdesk"
    assert card["scenario"]["faults"] == ["kill responder (SIGKILL)"]
