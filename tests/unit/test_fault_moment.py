"""A fault that waits for its moment (``wait_for``): applied only once the system's own signal says so, read
through the contract; a moment that never comes stops the drill with why. On the fake help desk and clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from drdrill.journal import FAULT_MOMENT, Kind, Type, read_journal
from drdrill.plan import Plan, load_plan
from drdrill.units import NS_PER_S
from tests.unit.fake_drill import FakeHelpdesk
from tests.unit.test_zone_drill import COMPOSE, PLAN, SCENARIO, ZoneDrill

SIGNALS = """\
    signals:
      busy: {url: "http://{api:8080}/status", path: busy}
"""
REPLACE = """\
faults:
  - {kind: replace, target: responder, wait_for: {signal: busy, equals: true, timeout: TIMEOUT, poll: 100ms}}
"""
ZONE = "faults:\n  - {kind: zone_loss, zone: zone-a, mode: power, comes_back: false}\n"


@dataclass
class BusyHelpdesk(FakeHelpdesk):
    """The help desk, whose responder says it is busy from ``busy_from_s`` into the drill on."""

    busy_from_ns: int | None = None

    def signals(self) -> Mapping[str, str]:
        busy = self.busy_from_ns is not None and self.clock.monotonic_ns() >= self.busy_from_ns
        return {"busy": str(busy)}


class UnreadableHelpdesk(BusyHelpdesk):
    """The help desk, whose status cannot be read (its status page is down)."""

    def signals(self) -> Mapping[str, str]:
        raise ConnectionError("status page down")


def _plan(directory: Path, timeout: str) -> Plan:
    directory.mkdir()
    assert ZONE in SCENARIO and "    payloads: [My printer prints only blank pages.]\n" in PLAN
    (directory / "plan.yaml").write_text(
        PLAN.replace(
            "    payloads: [My printer prints only blank pages.]\n",
            "    payloads: [My printer prints only blank pages.]\n" + SIGNALS,
        )
    )
    (directory / "compose.yaml").write_text(COMPOSE)
    (directory / "zone-loss.yaml").write_text(SCENARIO.replace(ZONE, REPLACE.replace("TIMEOUT", timeout)))
    return load_plan(directory)


class MomentDrill(ZoneDrill):
    def __init__(
        self, plan: Plan, reports: Path, busy_from_s: float | None, desk: type[BusyHelpdesk] = BusyHelpdesk
    ) -> None:
        super().__init__(plan, reports)
        start = self.started_ns = self.clock.monotonic_ns()
        self.desk = desk(
            self.clock,
            boot_s=0.4,
            busy_from_ns=None if busy_from_s is None else start + round(busy_from_s * NS_PER_S),
        )
        self.system = self.desk
        for container in self.staging.containers.values():
            container.system = self.desk
        self.settings = type(self.settings)(**{**self.settings.__dict__, "system": self.desk})
        self.runner = type(self.runner)(plan, plan.scenarios["zone-loss"], self.settings, clock=self.clock)


def test_the_fault_lands_once_the_signal_says_its_moment_came(tmp_path: Path) -> None:
    drill = MomentDrill(_plan(tmp_path / "plan", "20s"), tmp_path / "reports", busy_from_s=5.0)
    drill.run()

    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    (moment,) = [e for e in journal if e.kind is Kind.NOTE and e.name == FAULT_MOMENT]
    (start,) = [e for e in journal if e.kind is Kind.FAULT and e.type is Type.START]
    baseline_end = next(
        e for e in journal if e.kind is Kind.PHASE and e.name == "baseline" and e.type is Type.END
    )
    assert moment.data["fault"] == "replace responder"
    assert moment.data["until"] == "signal busy is True"
    assert moment.data["value"] == "True"
    # the responder was busy from 5 s on: the wait lasted from the baseline's end until then, and the signal was
    # read so at the next poll (0.1 s at most)
    busy_after_s = (drill.started_ns + 5 * NS_PER_S - baseline_end.t_ns) / NS_PER_S
    assert busy_after_s > 1.5
    assert busy_after_s <= moment.data["waited_s"] <= busy_after_s + 0.11
    assert moment.t_ns <= start.t_ns
    assert start.t_ns - baseline_end.t_ns >= round(busy_after_s * NS_PER_S)
    assert drill.staging.calls.count("replace responder") == 1


@pytest.mark.parametrize(
    ("desk", "last"),
    [(BusyHelpdesk, "'False'"), (UnreadableHelpdesk, "unreadable (ConnectionError)")],
    ids=["never-busy", "unreadable"],
)
def test_a_moment_that_never_comes_stops_the_drill_before_the_fault(
    tmp_path: Path, desk: type[BusyHelpdesk], last: str
) -> None:
    # a signal that cannot be read is not the moment either, and the error says it was unreadable
    drill = MomentDrill(_plan(tmp_path / "plan", "3s"), tmp_path / "reports", busy_from_s=None, desk=desk)
    card = drill.run()

    assert card["status"] == "errored"
    assert card["error"] == (
        f"replace responder waits for signal busy is True, and it never was within 3 s (last: {last}); the "
        "fault was not applied"
    )
    assert "replace responder" not in drill.staging.calls


def test_a_fault_waits_only_for_a_signal_the_system_declares(tmp_path: Path) -> None:
    from drdrill.plan import PlanError  # noqa: PLC0415

    directory = tmp_path / "plan"
    _plan(directory, "3s")
    scenario = directory / "zone-loss.yaml"
    scenario.write_text(scenario.read_text().replace("signal: busy,", "signal: bussy,"))
    try:
        load_plan(directory)
    except PlanError as exc:
        assert str(exc).replace(str(directory) + "/", "") == (
            "zone-loss.yaml:10:59: faults[0].wait_for.signal: unknown signal 'bussy'; did you mean 'busy'? "
            "(known: busy)"
        )
    else:
        raise AssertionError("an unknown signal was accepted")


def test_the_recovery_bound_counts_from_the_first_of_several_faults(tmp_path: Path) -> None:
    # The zone is lost first; the responder is killed again only once it says it is busy, 6 s into the drill.
    # The recovery is the broken one (its store check fails), so nothing recovers and the fault is held to the
    # end of the bound: 5 s of recovery bound, 2 s of steady window and 1 s of probe timeout from the FIRST fault.
    again = (
        "{kind: kill, target: responder, wait_for: {signal: busy, equals: true, timeout: 20s, poll: 100ms}}"
    )
    two = ZONE + f"  - {again}\n"
    directory = tmp_path / "plan"
    _plan(directory, "20s")
    scenario = directory / "zone-loss.yaml"
    scenario.write_text(
        SCENARIO.replace(ZONE, two).replace(
            "command: [check-store, --all]", "command: [check-store, --strict]"
        )
    )
    plan = load_plan(directory)
    drill = MomentDrill(plan, tmp_path / "reports", busy_from_s=6.0)

    card = drill.run()

    assert card["status"] == "failed"
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    first, second = [e.t_ns for e in journal if e.kind is Kind.FAULT and e.type is Type.START]
    started = [e.name for e in journal if e.kind is Kind.FAULT and e.type is Type.START]
    ended = [e.name for e in journal if e.kind is Kind.FAULT and e.type is Type.END]
    assert ended == started[::-1]  # the last applied is taken back first
    assert second - first >= 2 * NS_PER_S  # far enough apart to tell which one the bound counts from
    (end,) = [e.t_ns for e in journal if e.kind is Kind.PHASE and e.name == "fault" and e.type is Type.END]
    # held exactly to the first fault's bound, never to one counted from the second fault, and never past it
    # for the recovery's last step (a wait for a probe whose own 5 s timeout would end 1 s later)
    assert end - first == 8 * NS_PER_S < second + 8 * NS_PER_S - first
