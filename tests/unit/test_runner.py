"""The runner, phase by phase, against a fake help desk on a fake staging replica and a fake clock.

No Docker, no network, no real sleep: the observers' loops run from the fake clock's sleeps at their due
times (see :class:`drdrill.clock.FakeClock`), so every figure below is exact. The scenario kills the
responder's container 2 s into the drill (F); probes run every 0.5 s, writes every 0.2 s; the staging bound
is 5 s and steady state must hold 2 s.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import WORKLOAD, Kind, Type, read_journal
from drdrill.plan import Plan
from drdrill.report.schema import parse_scorecard
from drdrill.report.terminal import summary_lines
from drdrill.run.interrupts import PENDING
from drdrill.runner import DrillResult, DrillRunner, DrillSettings
from drdrill.system import NotDeclared
from tests.unit.fake_drill import FakeContainer, FakeHelpdesk, FakeStaging
from tests.unit.ticket_plan import write_ticket_plan

BOUND = "staging bound of 5.00 s"
NO_FAILOVER = "not measured, because the plan declares no failover signal"


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("helpdesk"))


class Drill:
    """One drill of the help desk: the fakes, the runner, and what it left on disk."""

    def __init__(
        self,
        plan: Plan,
        reports: Path,
        system: FakeHelpdesk,
        *,
        scenario: str = "responder-crash",
        start_error: BaseException | None = None,
        host_samples: list[dict[str, object]] | None = None,
    ) -> None:
        self.system = system
        samples = iter(host_samples or [])
        self.container = FakeContainer(system, start_error=start_error)
        self.staging = FakeStaging({"api": FakeContainer(system), "responder": self.container})
        self.log: list[str] = []
        settings = DrillSettings(
            report_dir=reports,
            run_id="r1",
            log=self.log.append,
            system=system,
            staging=self.staging.factory,
            fault_phase=0.0,  # the fault right at a probe tick, so every figure below is exact
            host_sample=lambda: next(samples, None),  # the host's load: only what the test gives
        )
        self.runner = DrillRunner(plan, plan.scenarios[scenario], settings, clock=system.clock)

    def run(self) -> DrillResult:
        return self.runner.run()

    @property
    def scorecard(self) -> dict[str, Any]:
        """The scorecard as written to disk (what every view is built from)."""
        data: dict[str, Any] = json.loads((self.runner.run_dir / "scorecard.json").read_text())
        return data

    def verdict(self, name: str) -> tuple[str, str]:
        (found,) = [v for v in self.scorecard["verdicts"] if v["name"] == name]
        return found["outcome"], found["message"]


def helpdesk(**behaviour: Any) -> FakeHelpdesk:
    return FakeHelpdesk(FakeClock(), **behaviour)


def test_a_system_that_comes_back_while_the_fault_is_held_passes(plan: Plan, tmp_path: Path) -> None:
    # The engine restarts the killed responder 3.2 s after the kill; the first probe to see it is at F+3.5 s.
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))

    result = drill.run()

    assert result.status == "passed"
    card = drill.scorecard
    assert card["status"] == "passed" and card["error"] is None
    m = card["measurements"]
    assert 3.2 <= m["time_to_recover_s"] < 3.2 + 0.5  # within one probe interval of the real recovery
    assert m["time_to_recover_s"] == 3.5
    assert m["time_to_detect_s"] == 0.5  # the first probe after the kill failed
    assert m["time_to_detect_by_plan_s"] == 1.0  # error rate above 0.5 over the plan's 1 s staging window
    assert m["fault_held_s"] == 5.6  # held until 2 s of steady state were seen, then reverted
    assert drill.verdict("recovery_bound") == (
        "pass",
        f"recovered in 3.50 s (+0/-0.50 s), within the {BOUND}",
    )
    assert drill.verdict("projected_rto") == (
        "pass",
        "projected RTO 10.1 min (3.50 s measured + 10.0 min manual) meets the tier RTO 4.00 h",
    )
    assert drill.verdict("rpo") == ("pass", "no acknowledged ticket lost (41 checked against the final read)")
    assert drill.verdict("drained") == ("pass", "every acknowledged ticket held was done after the fault")
    assert drill.verdict("no_unexpected_data") == ("pass", "the system holds only tickets the drill wrote")
    # the plan declares no failover signal: failover is not measured, and the scorecard says why
    assert m["time_to_failover_s"] is None
    assert m["not_measured"] == {"time_to_failover_s": NO_FAILOVER, "time_to_failback_s": NO_FAILOVER}
    # the engine brought the container back by itself, so the revert had nothing to start
    assert drill.container.calls == ["kill SIGKILL"]
    assert drill.staging.calls == ["factory r1", "prepare", "sweep", "start", "stop"]
    assert (drill.system.opened, drill.system.closed) == (1, 1)
    assert card["cleanup"] == ["replica drdrill-test removed"]


def test_what_the_teardown_left_in_place_is_said_in_the_scorecard_and_the_verdict_stands(
    plan: Plan, tmp_path: Path
) -> None:
    # e.g. a network the engine miscounts: everything of the run went, the engine keeps an empty network
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))
    drill.staging.stop_notes = ["network drdrill-test_default left: the engine miscounts it"]

    result = drill.run()

    assert result.status == "passed"
    assert drill.scorecard["cleanup"] == [
        "replica drdrill-test removed",
        "network drdrill-test_default left: the engine miscounts it",
    ]


def test_probe_units_the_system_holds_are_neither_lost_nor_unexpected(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))

    drill.run()

    ledger = drill.scorecard["measurements"]["ledger"]
    probes = set(drill.system.probed)
    # every probe's own unit is held by the system (the warm-up's too: 2 quick ones beside the first of 17) ...
    assert len(probes) == 19 and len({p for p in probes if "-warm-" in p}) == 2
    assert probes <= drill.system.held
    assert ledger["read"] == len(drill.system.held - probes) == 41  # ... and the final read leaves them out
    assert (ledger["unexpected"], ledger["lost"], ledger["done"], ledger["not_done"]) == (0, 0, 41, 0)
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    (read,) = [e for e in journal if e.kind is Kind.READ]
    assert read.type is Type.OK
    assert len(read.data["held"]) == 41 + 19  # the journal keeps what the system said, all of it


def test_a_restart_step_brings_the_killed_responder_back(plan: Plan, tmp_path: Path) -> None:
    drill = Drill(plan, tmp_path, helpdesk(boot_s=1.5), scenario="responder-restart")

    result = drill.run()

    assert result.status == "passed"
    assert drill.verdict("recovery_bound") == (
        "pass",
        f"recovered in 1.50 s (+0/-0.50 s), within the {BOUND}",
    )
    steps = [e for e in drill.scorecard["timeline"] if e["kind"] == "step"]
    assert [(e["type"], e["name"], e.get("data", {}).get("detail")) for e in steps] == [
        ("invoke", "The orchestrator restarts the responder", None),
        ("ok", "The orchestrator restarts the responder", "restarted responder"),
    ]
    assert drill.container.calls == ["kill SIGKILL", "start"]


def test_a_system_that_never_comes_back_misses_the_recovery_bound(plan: Plan, tmp_path: Path) -> None:
    # Nothing restarts the responder: the fault is held to the bound + steady window + probe timeout (8 s).
    drill = Drill(plan, tmp_path, helpdesk())

    result = drill.run()

    assert result.status == "failed"
    assert drill.verdict("recovery_bound") == (
        "fail",
        "staging bound missed: steady state did not return during the 8.00 s the fault was held (staging bound 5.00 s)",
    )
    assert drill.verdict("projected_rto") == (
        "fail",
        "no projected RTO: the service did not recover on staging while the fault was held",
    )
    assert drill.scorecard["measurements"]["not_measured"]["time_to_recover_s"] == (
        "steady state did not return while the fault was held"
    )
    assert drill.container.calls == ["kill SIGKILL", "start"]  # the revert started it again


def test_a_final_read_that_fails_leaves_data_loss_unknown_never_zero(plan: Plan, tmp_path: Path) -> None:
    system = helpdesk(
        heal_after_s=3.2, read_error=ConnectionRefusedError(111, "Connection refused"), reads_ok=1
    )
    drill = Drill(plan, tmp_path, system)

    result = drill.run()

    why = (
        "not measured, because the final read failed: ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert result.status == "failed"  # a drill that could not check its data has not passed
    assert drill.verdict("recovery_bound")[0] == "pass"
    for name in ("rpo", "drained", "no_unexpected_data"):
        assert drill.verdict(name) == ("unknown", f"not judged: {why}")
    m = drill.scorecard["measurements"]
    assert m["ledger"]["lost"] is None and m["lost_window_s"] is None
    assert m["not_measured"]["ledger.lost"] == why
    assert system.reads > 1  # the drain kept trying until its timeout, then the final read failed too
    assert result.scorecard.to_json() == drill.scorecard  # the result holds the scorecard the file holds
    summary = "\n".join(summary_lines(result.scorecard))
    assert f"  tickets: 41 acknowledged, 0 unknown; lost and done {why}" in summary
    page = (drill.runner.run_dir / "scorecard.html").read_text()
    assert f"whether any ticket was lost is unknown: {why}" in page
    assert "0 lost" not in page and "0 lost" not in summary


def test_a_system_that_declares_no_final_read_is_not_measured_and_says_why(
    plan: Plan, tmp_path: Path
) -> None:
    missing = NotDeclared("the plan declares no `final_read` (staging_topology.system.final_read)")
    system = helpdesk(heal_after_s=3.2, read_error=missing)
    drill = Drill(plan, tmp_path, system)

    result = drill.run()

    why = "not measured, because the plan declares no `final_read` (staging_topology.system.final_read)"
    assert result.status == "failed"
    assert drill.verdict("rpo") == ("unknown", f"not judged: {why}")
    assert drill.scorecard["measurements"]["not_measured"]["ledger.done"] == why
    drains = [e for e in drill.scorecard["timeline"] if e["kind"] == "note" and e["name"] == "drain"]
    assert [e["data"] for e in drains] == [{"why": "no final read to wait on"}]  # the drain did not wait
    assert system.reads == 3  # once on the fresh replica, once to pace the drain, once for the final read


def test_acknowledged_writes_the_system_loses_miss_the_rpo(plan: Plan, tmp_path: Path) -> None:
    # Writes while the responder is down are acknowledged and dropped: F+0.2 s to F+3.0 s, 15 of them.
    system = helpdesk(heal_after_s=3.2, lose_while_down=True)
    drill = Drill(plan, tmp_path, system)

    result = drill.run()

    assert result.status == "failed"
    assert len(system.dropped) == 15
    assert drill.verdict("rpo") == (
        "fail",
        "RPO missed: 15 tickets acknowledged and lost, spanning 2.80 s, acknowledged between 0.20 s and 3.00 s "
        "after the failure (ids r1-000013, r1-000014, r1-000015, r1-000016, r1-000017 and 10 more); RPO 0 (no "
        "acknowledged ticket lost)",
    )
    m = drill.scorecard["measurements"]
    assert m["lost_ids"] == sorted(system.dropped)
    assert (m["ledger"]["acknowledged"], m["ledger"]["lost"], m["lost_window_s"]) == (41, 15, 2.8)
    assert drill.verdict("recovery_bound")[0] == "pass"  # it came back, but not with everything


def test_a_revert_that_raises_any_error_still_removes_the_replica_and_writes_the_scorecard(
    plan: Plan, tmp_path: Path
) -> None:
    refused = RuntimeError("the engine refused to start the container")
    drill = Drill(plan, tmp_path, helpdesk(), start_error=refused)

    result = drill.run()

    assert result.status == "errored"
    card = drill.scorecard
    assert card["status"] == "errored"
    assert card["error"] == (
        "RuntimeError: the engine refused to start the container; "
        "FAULT NOT REVERTED: RuntimeError: the engine refused to start the container"
    )
    assert drill.staging.calls[-1] == "stop"  # the replica went, fault or no fault
    assert drill.system.closed == 1
    assert drill.container.calls == ["kill SIGKILL", "start", "start"]  # the revert, and teardown's retry
    problems = [
        e["data"]["problem"] for e in card["timeline"] if e["kind"] == "note" and e["name"] == "cleanup"
    ]
    assert problems == ["FAULT NOT REVERTED: RuntimeError: the engine refused to start the container"]
    assert drill.verdict("rpo") == (
        "unknown",
        "not judged: the final read did not happen; the drill errored during the fault phase",
    )
    assert (drill.runner.run_dir / "scorecard.html").is_file()


@pytest.mark.parametrize("lost", [False, True], ids=["raised", "lost-in-a-finalizer"])
def test_ctrl_c_mid_fault_aborts_reverts_removes_the_replica_and_writes_the_scorecard(
    plan: Plan, tmp_path: Path, lost: bool
) -> None:
    # lost: the signal handler noted the Ctrl-C, but its KeyboardInterrupt was swallowed (as in a finalizer);
    # the drill's next wait raises it again (drdrill.run.interrupts)
    drill = Drill(plan, tmp_path, helpdesk(interrupt_after_s=1.0, interrupt_lost=lost))

    with pytest.raises(KeyboardInterrupt):
        drill.run()

    card = drill.scorecard
    assert PENDING.noted is None  # taken by the phase it stopped
    # stopped within a tenth of a second of the probe that met it, not only once the phase was over
    spans = {(e["name"], e["type"]): e["t_ns"] for e in card["timeline"] if e["kind"] in ("phase", "fault")}
    assert spans[("fault", "end")] - spans[("kill responder (SIGKILL)", "start")] <= 1.1e9 + 1
    assert card["status"] == "aborted"
    assert card["error"] == "interrupted (Ctrl-C) during the fault phase"
    assert drill.container.calls == ["kill SIGKILL", "start"]  # teardown reverted the fault
    assert drill.staging.calls[-1] == "stop"
    assert drill.system.closed == 1
    faults = [(e["type"], e["name"]) for e in card["timeline"] if e["kind"] == "fault"]
    assert faults == [("start", "kill responder (SIGKILL)"), ("end", "kill responder (SIGKILL)")]
    assert drill.verdict("rpo") == (
        "unknown",
        "not judged: the final read did not happen; the drill was interrupted (Ctrl-C) during the fault phase",
    )


def test_a_drill_on_a_fake_clock_runs_the_same_way_every_time(plan: Plan, tmp_path: Path) -> None:
    def timeline(where: Path) -> list[tuple[Any, ...]]:
        drill = Drill(plan, where, helpdesk(heal_after_s=3.2, lose_while_down=True))
        drill.run()
        return [
            (e["t_ns"], e["kind"], e["type"], e["name"], e.get("value")) for e in drill.scorecard["timeline"]
        ]

    assert timeline(tmp_path / "one") == timeline(tmp_path / "two")


def test_a_final_read_that_fails_on_the_fresh_replica_errors_the_drill_in_seconds(
    plan: Plan, tmp_path: Path
) -> None:
    system = helpdesk(read_error=ConnectionRefusedError(111, "Connection refused"))
    drill = Drill(plan, tmp_path, system)

    result = drill.run()

    assert result.status == "errored"
    assert drill.scorecard["error"] == (
        "the system's final read fails on the fresh replica, before any fault: ConnectionRefusedError: [Errno "
        "111] Connection refused; fix the final read (staging_topology.system.final_read, or your system's "
        "final_read()) and drill again"
    )
    assert drill.container.calls == []  # no fault was applied
    assert drill.system.probed == []  # and no load started
    assert drill.staging.calls[-1] == "stop"


def test_every_write_starts_on_schedule_and_none_falls_outside_the_phases(plan: Plan, tmp_path: Path) -> None:
    # The drain phase starts before the workload stops: a write in flight at the revert completes in the drain,
    # and no write starts once the workload has stopped (an open model queues none to run late).
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2))
    drill.run()

    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    spans: dict[str, list[int]] = {}
    for e in journal:
        if e.kind is Kind.PHASE:
            spans.setdefault(e.name, []).append(e.t_ns)
    writes = [e for e in journal if e.kind is Kind.OP]
    assert all(any(start <= w.t_ns <= end for start, end in spans.values()) for w in writes)
    (stopped,) = [e for e in journal if e.name == WORKLOAD and e.type is Type.END]
    drain_start, drain_end = spans["drain"]
    assert drain_start <= stopped.t_ns <= drain_end
    assert all(w.seq < stopped.seq for w in writes)
    m = drill.scorecard["measurements"]
    invoked = sum(1 for w in writes if w.type is Type.INVOKE)
    assert m["workload"] == {
        "mode": "threads",
        "declared_rate_per_s": 5.0,
        "achieved_rate_per_s": 5.0,
        "scheduled": invoked,
        "started": invoked,
        "refused": 0,
        "max_in_flight": 64,
        "start_lag": {"median_s": 0.0, "p99_s": 0.0, "max_s": 0.0},
        "on_schedule_s": 0.2,
        "late": 0,
    }
    assert drill.verdict("schedule")[0] == "pass"
    card = parse_scorecard(drill.scorecard, "the drill")
    assert (
        "  workload: 5 tickets a second declared, 5 a second started (threads, at most 64 in flight); start lag 0.0 ms median, 0.0 ms p99, 0.0 ms max; 0 more than 200.0 ms late; 0 refused"
        in summary_lines(card)
    )


def test_the_host_is_sampled_when_the_replica_is_up_and_when_the_drain_ends(
    plan: Plan, tmp_path: Path
) -> None:
    def sample(busy: int, idle: int, load: float) -> dict[str, object]:  # CPU counters since boot
        return {"cpus": 2, "load_1m": load, "busy_ticks": busy, "idle_ticks": idle, "steal_ticks": 0}

    samples = [sample(5000, 5000, 0.4), sample(6900, 5100, 1.5)]  # 1900 busy of 2000 ticks between them
    drill = Drill(plan, tmp_path, helpdesk(heal_after_s=3.2), host_samples=samples)
    drill.run()

    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    phase, noted = "", []
    for e in journal:
        if e.kind is Kind.PHASE and e.type is Type.START:
            phase = e.name
        elif e.kind is Kind.NOTE and e.name == "host":
            noted.append(phase)
    assert noted == ["stack-start", "drain"]
    assert drill.scorecard["environment"]["host"] == {
        "cpus": 2,
        "load_1m": 1.5,
        "cpu_busy_share": 0.95,
        "cpu_steal_share": 0.0,
        "saturated": True,
    }
    assert drill.verdict("schedule")[1].endswith(
        "; the host was saturated while the drill ran (its CPUs were 95% busy): its timings may include time "
        "spent waiting for a core"
    )
