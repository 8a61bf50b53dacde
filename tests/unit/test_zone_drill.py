"""Zone loss and declarative recovery actions, run by the runner on the fake help desk and a fake clock.

The help desk has a responder in zone A and a standby responder in zone B that is started only by a recovery
(the fake staging's ``on_start``). Clients reach the responder through the link ``tickets`` (a fake Toxiproxy
keeps its upstream and toxics). Zone A is lost for good 2 s into the drill; the recovery starts the standby
responder, repoints the link to it and checks it with an exec and a probe.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drdrill.clock import FakeClock
from drdrill.faults.toxiproxy import ProxyState
from drdrill.journal import Kind, Type, read_journal
from drdrill.plan import Plan, load_plan
from drdrill.runner import DrillRunner, DrillSettings
from drdrill.staging.backend import ExecResult
from tests.unit.fake_drill import FakeContainer, FakeHelpdesk, FakeStaging

PLAN = """\
name: helpdesk
client: Example Helpdesk Ltd
regions:
  r1: {zones: [zone-a, zone-b]}
components:
  responder:
    kind: worker
    zone: zone-a
    staging: {service: responder, proxy: tickets}
  responder-b:
    kind: worker
    zone: zone-b
    staging: {service: responder-b}
roles:
  support: {people: [Ann, Bob]}
communication:
  first_notice: {deadline: 15m, template: We are investigating.}
  initial_assessment: {deadline: 1h, template: Assessment.}
  updates: {cadence: 1h, template: Update.}
  resolution: {deadline: 30m, after: restoration, template: Restored.}
  post_incident_report: {deadline: 48h, template: Report.}
staging_topology:
  compose_file: compose.yaml
  unit: {one: ticket, many: tickets}
  links:
    tickets: {consumer: api, upstream: "responder:9000", env: {RESPONDER: "{proxy}"}}
  system:
    payloads: [My printer prints only blank pages.]
"""

COMPOSE = """\
services:
  api:
    image: example/helpdesk-api:1
    ports: ["8080"]
  responder:
    image: example/helpdesk-responder:1
    expose: ["9000"]
  responder-b:
    image: example/helpdesk-responder:1
    expose: ["9000"]
    profiles: [standby]
"""

SCENARIO = """\
title: Zone A is lost
tier: 1
disruption: infrastructure
narrative: Zone A loses power.
impact: Tickets wait.
detection:
  criteria:
    - {metric: error_rate, above: 0.5, sustained: 5m, staging_sustained: 1s}
faults:
  - {kind: zone_loss, zone: zone-a, mode: power, comes_back: false}
recovery:
  - title: Start the standby responder
    action: {start: {profile: standby}}
  - title: Check the standby has the ticket store
    action: {exec: {service: responder-b, command: [check-store, --all], timeout: 5s}}
  - title: Point the tickets link at zone B
    action: {repoint: {link: tickets, to: "responder-b:9000"}}
  - title: Wait until a probe passes
    action: {wait_until: {probe: true, timeout: 5s}}
staging:
  recovery_bound: 5s
  baseline: 2s
  steady_window: 2s
  probe_interval: 500ms
  probe_timeout: 1s
  drain_timeout: 2s
  workload_rate: 5
"""


@dataclass
class FakeProxies:
    """The run's Toxiproxy: proxies with an upstream and toxics, and every call made."""

    upstreams: dict[str, str]
    toxics: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)

    def proxies(self) -> dict[str, ProxyState]:
        return {
            name: ProxyState(name, f"0.0.0.0:{18001 + i}", up, True, tuple(self.toxics.get(name, [])))
            for i, (name, up) in enumerate(self.upstreams.items())
        }

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        self.calls.append(f"enable {proxy} {enabled}")

    def add_toxic(
        self, proxy: str, name: str, type_: str, attributes: dict[str, Any], stream: str, toxicity: float
    ) -> None:
        self.calls.append(f"add {proxy} {name} {type_} {attributes}")
        self.toxics.setdefault(proxy, []).append(name)

    def remove_toxic(self, proxy: str, name: str) -> bool:
        self.calls.append(f"remove {proxy} {name}")
        present = name in self.toxics.get(proxy, [])
        if present:
            self.toxics[proxy].remove(name)
        return present

    def set_upstream(self, proxy: str, upstream: str) -> None:
        self.calls.append(f"upstream {proxy} {upstream}")
        self.upstreams[proxy] = upstream

    def version(self) -> str:
        return "fake"

    def close(self) -> None:
        pass


class ProxiedStaging(FakeStaging):
    """The fake replica with a Toxiproxy (its proxies are the plan's links)."""

    @property
    def proxies(self) -> list[Any]:
        return ["tickets"]

    @property
    def toxiproxy_address(self) -> tuple[str, int]:
        return "127.0.0.1", 8474


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    directory = tmp_path_factory.mktemp("zones")
    (directory / "plan.yaml").write_text(PLAN)
    (directory / "compose.yaml").write_text(COMPOSE)
    (directory / "zone-loss.yaml").write_text(SCENARIO)
    (directory / "zone-loss-broken.yaml").write_text(
        SCENARIO.replace("command: [check-store, --all]", "command: [check-store, --strict]")
    )
    return load_plan(directory)


class ZoneDrill:
    def __init__(self, plan: Plan, reports: Path, scenario: str = "zone-loss") -> None:
        self.clock = FakeClock()
        self.system = FakeHelpdesk(self.clock, boot_s=0.4)
        self.responder = FakeContainer(self.system)
        self.staging = ProxiedStaging({"responder": self.responder, "api": FakeContainer(self.system)})
        self.staging.profiles = {"standby": ["responder-b"]}
        self.staging.on_start = {"responder-b": self._standby_up}
        self.staging.execs = {"responder-b": self._check_store}
        self.toxiproxy = FakeProxies({"tickets": "responder:9000"})
        self.settings = DrillSettings(
            report_dir=reports,
            run_id="z1",
            log=lambda line: None,
            system=self.system,
            staging=self.staging.factory,
            proxies=lambda host, port: self.toxiproxy,
            fault_phase=0.0,
        )
        self.runner = DrillRunner(plan, plan.scenarios[scenario], self.settings, clock=self.clock)

    def _standby_up(self) -> None:
        self.clock.sleep(0.3)  # creating a container takes time (the workload and the probes go on meanwhile)
        self.staging.containers["responder-b"] = FakeContainer(self.system)

    def _check_store(self, argv: Sequence[str]) -> ExecResult:
        self.clock.sleep(0.2)
        if "--strict" in argv:
            return ExecResult(3, "checking 40 tickets\nstore is missing 2 tickets\n")
        self.system.started()  # the standby serves from here on (after boot_s)
        return ExecResult(0, "checking 40 tickets\nstore complete\n")

    def run(self) -> dict[str, Any]:
        self.runner.run()
        card: dict[str, Any] = json.loads((self.runner.run_dir / "scorecard.json").read_text())
        return card


def write_zone_plan(
    directory: Path, *, plan: str = PLAN, compose: str = COMPOSE, scenario: str = SCENARIO
) -> Plan:
    """Write the help desk's plan, compose file and one scenario (``zone-loss``) into ``directory``, and load it."""
    directory.mkdir()
    (directory / "plan.yaml").write_text(plan)
    (directory / "compose.yaml").write_text(compose)
    (directory / "zone-loss.yaml").write_text(scenario)
    return load_plan(directory)


def verdicts(card: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {v["name"]: (v["outcome"], v["message"]) for v in card["verdicts"]}


def test_a_lost_zone_recovered_by_declarative_actions_passes(plan: Plan, tmp_path: Path) -> None:
    drill = ZoneDrill(plan, tmp_path)

    card = drill.run()

    assert card["status"] == "passed", verdicts(card)
    assert card["scenario"]["faults"] == ["zone_loss zone-a (power, does not come back: responder)"]
    # power: every container of the zone cut from its networks first (its peers see silence), then killed
    assert drill.staging.calls.index("disconnect responder") < drill.staging.calls.index(
        "start_services responder-b"
    )
    assert drill.responder.calls == ["kill SIGKILL"]  # and never started again: the zone does not come back
    assert "reconnect responder" not in drill.staging.calls
    assert drill.toxiproxy.upstreams == {"tickets": "responder-b:9000"}
    assert "start_services responder-b" in drill.staging.calls
    assert "await_ready responder-b" in drill.staging.calls
    assert "exec responder-b check-store --all" in drill.staging.calls
    actions = [s for s in card["steps"] if s["automated"]]
    assert [(a["action"], a["outcome"], a["duration_s"]) for a in actions] == [
        ("start", "ok", 0.3),
        ("exec", "ok", 0.2),
        ("repoint", "ok", 0.0),
        ("wait_until", "ok", 0.4),  # probes at +0.5 and +0.7 fail, the one at +0.9 (booted) passes
    ]
    assert [a["detail"] for a in actions] == [
        "started responder-b; ready",
        "exit 0 in responder-b: store complete",
        "link tickets moved from responder:9000 to responder-b:9000",
        "probe passed: answered",
    ]
    recovered = card["measurements"]["time_to_recover_s"]
    # The standby serves 0.4 s after the exec ended at F+0.5; the wait_until probe at F+0.9 is the first
    # sample to see it (a probe like the canary's), so recovery is dated there, not at the next canary.
    assert recovered == 0.9
    assert verdicts(card)["recovery_bound"][0] == "pass"


def test_every_action_is_journalled_with_what_it_serves_and_its_data(plan: Plan, tmp_path: Path) -> None:
    drill = ZoneDrill(plan, tmp_path)
    drill.run()

    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    steps = [e for e in journal if e.kind is Kind.STEP]
    invoked = [e for e in steps if e.type is Type.INVOKE]
    assert [(e.value, e.data["serves"], e.data["action"]) for e in invoked] == [
        ("start", "recovery", "start"),
        ("exec", "recovery", "exec"),
        ("repoint", "recovery", "repoint"),
        ("wait_until", "recovery", "wait_until"),
    ]
    assert invoked[1].data["does"] == "exec in responder-b: check-store --all"
    (exec_done,) = [e for e in steps if e.type is Type.OK and e.value == "exec"]
    assert exec_done.data["exit_code"] == 0
    assert exec_done.data["output"] == "checking 40 tickets\nstore complete\n"
    (moved,) = [e for e in steps if e.type is Type.OK and e.value == "repoint"]
    assert (moved.data["from"], moved.data["to"]) == ("responder:9000", "responder-b:9000")
    # the wait_until probe is a probe like the canary's: its unit is the drill's own, never "unexpected"
    waits = [e for e in journal if e.kind is Kind.PROBE and e.name == "wait-until"]
    assert [e.process for e in waits if e.type is Type.INVOKE] == [
        "z1-wait-until-0000",
        "z1-wait-until-0001",
        "z1-wait-until-0002",
    ]
    assert [e.type for e in waits if e.type is not Type.INVOKE] == [Type.FAIL, Type.FAIL, Type.OK]
    assert (
        json.loads((drill.runner.run_dir / "scorecard.json").read_text())["measurements"]["ledger"][
            "unexpected"
        ]
        == 0
    )


def test_a_failed_action_is_a_failed_step_with_its_output_and_the_drill_misses_its_rto(
    plan: Plan, tmp_path: Path
) -> None:
    drill = ZoneDrill(plan, tmp_path, scenario="zone-loss-broken")

    card = drill.run()

    assert card["status"] == "failed"
    actions = {a["action"]: a for a in card["steps"] if a["automated"]}
    assert actions["exec"]["outcome"] == "failed"
    assert actions["exec"]["detail"] == "the command in responder-b exited 3: store is missing 2 tickets"
    step = [e for e in card["timeline"] if e["kind"] == "step" and e["type"] == "fail"]
    assert step[0]["data"]["output"] == "checking 40 tickets\nstore is missing 2 tickets\n"
    # the standby never served, so steady state never returned
    assert verdicts(card)["recovery_bound"] == (
        "fail",
        "the automated step 'Check the standby has the ticket store' failed: the command in responder-b exited "
        "3: store is missing 2 tickets; the automated step 'Wait until a probe passes' failed: wait until a "
        "steady-state probe passes: not so within 4.5 s (what was left of the time the drill gives its steps); last: "
        "probe failed: no answer: the responder is down; "
        "the service: staging bound missed: steady state did not return during the 8.00 s the fault was held "
        "(staging bound 5.00 s)",
    )


def test_a_step_whose_own_timeout_is_longer_than_the_bound_stops_at_the_bound(tmp_path: Path) -> None:
    # The restore check hangs; its own timeout (30 s) and the wait's (30 s) are far past the recovery bound
    # (5 s). The steps stop when the drill's time for them runs out, and the fault is held no longer than the
    # bound, the steady window and a probe's timeout allow: 8 s, not 60.
    slow = SCENARIO.replace("--all], timeout: 5s", "--all], timeout: 30s").replace(
        "{probe: true, timeout: 5s}", "{probe: true, timeout: 30s}"
    )
    drill = ZoneDrill(write_zone_plan(tmp_path / "plan", scenario=slow), tmp_path / "reports")
    given: list[float] = []

    def hangs(service: str, argv: Sequence[str], *, timeout_s: float = 30.0, **_: object) -> ExecResult:
        given.append(timeout_s)
        drill.clock.sleep(timeout_s)
        return ExecResult(None, "restoring...\n")

    drill.staging.exec = hangs  # type: ignore[method-assign]
    card = drill.run()

    assert card["status"] == "failed"
    steps = {a["action"]: a["detail"] for a in card["steps"] if a["automated"]}
    assert steps["exec"] == (
        "the command in responder-b did not finish within 4.7 s (what was left of the time the drill gives its "
        "steps)"
    )
    assert steps["wait_until"] == (
        "wait until a steady-state probe passes: not run: the time the drill gives its steps had run out"
    )
    assert given == [pytest.approx(4.7)]
    assert verdicts(card)["recovery_bound"][1].endswith(
        "steady state did not return during the 8.00 s the fault was held (staging bound 5.00 s)"
    )
