"""The drain waits until every acknowledged unit is done, as the system's final read says, or until its
timeout; a read that fails or a system with no final read does not stop the drill there (the final-read phase
judges the read)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import Event, Kind, Phase, Type, read_journal
from drdrill.plan import Plan
from drdrill.run.phases import DRAIN_POLL_S
from drdrill.system import FinalRead, NotDeclared
from tests.unit.fake_drill import FakeHelpdesk
from tests.unit.test_runner import Drill, helpdesk
from tests.unit.ticket_plan import write_ticket_plan

DRAIN_S = 2.0  # the ticket plan's drain_timeout


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("helpdesk"))


def _run(plan: Plan, tmp_path: Path, system: FakeHelpdesk) -> tuple[Drill, list[Event]]:
    drill = Drill(plan, tmp_path, system)
    drill.run()
    return drill, read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())


def _drain(journal: list[Event]) -> tuple[int, int, list[dict[str, Any]]]:
    (start,) = [e for e in journal if e.kind is Kind.PHASE and e.name == Phase.DRAIN and e.type is Type.START]
    (end,) = [e for e in journal if e.kind is Kind.PHASE and e.name == Phase.DRAIN and e.type is Type.END]
    notes = [dict(e.data) for e in journal if e.kind is Kind.NOTE and e.name == "drain"]
    return start.t_ns, end.t_ns, notes


def _acknowledged(journal: list[Event]) -> set[str]:
    return {str(e.value) for e in journal if e.kind is Kind.OP and e.type is Type.OK}


class _Backlog(FakeHelpdesk):
    """Units done only from the ``done_from``-th read of the drain on: a backlog the system works off after the
    revert (the runner reads once before any load, then every poll of the drain reads)."""

    done_from: int = 8

    def final_read(self) -> FinalRead:
        read = super().final_read()
        if self.reads < 1 + self.done_from:
            return FinalRead(read.held, frozenset(), read.detail)
        return read


def test_the_drain_ends_once_every_acknowledged_unit_is_done(plan: Plan, tmp_path: Path) -> None:
    drill, journal = _run(plan, tmp_path, helpdesk(heal_after_s=3.2))

    start, end, notes = _drain(journal)
    assert notes[-1] == {"pending": 0}
    assert end - start < DRAIN_POLL_S * 1e9  # done at the first read: no poll waited
    assert drill.runner.result is not None and drill.runner.result.status == "passed"


def test_the_drain_waits_for_a_backlog_and_no_longer(plan: Plan, tmp_path: Path) -> None:
    _, journal = _run(plan, tmp_path, _Backlog(FakeClock(), heal_after_s=3.2))

    start, end, notes = _drain(journal)
    assert notes == [{"pending": 0}]
    # seven reads found units pending, each followed by a poll's wait; the eighth found none
    assert end - start == pytest.approx(7 * DRAIN_POLL_S * 1e9, abs=1e6)


def test_units_never_done_hold_the_drain_for_its_timeout_and_are_counted(plan: Plan, tmp_path: Path) -> None:
    system = _Backlog(FakeClock(), heal_after_s=3.2)
    system.done_from = 1000  # never within the drain

    _, journal = _run(plan, tmp_path, system)

    start, end, notes = _drain(journal)
    assert end - start == pytest.approx(DRAIN_S * 1e9, abs=DRAIN_POLL_S * 1e9 + 1e6)
    assert notes[-1] == {"pending": len(_acknowledged(journal))}


def test_a_final_read_that_fails_during_the_drain_is_noted_and_judged_in_its_own_phase(
    plan: Plan, tmp_path: Path
) -> None:
    # the read before any load works; every later one fails
    system = helpdesk(heal_after_s=3.2, read_error=RuntimeError("the ticket store is gone"), reads_ok=1)

    _, journal = _run(plan, tmp_path, system)

    start, end, notes = _drain(journal)
    assert notes[0] == {"why": "read failed: the ticket store is gone"}
    assert notes[-1] == {"pending": len(_acknowledged(journal))}  # none known done: every one still pending
    assert end - start == pytest.approx(DRAIN_S * 1e9, abs=DRAIN_POLL_S * 1e9 + 1e6)
    (read,) = [e for e in journal if e.kind is Kind.READ and e.type is Type.FAIL]
    assert read.data["why"] == (
        "not measured, because the final read failed: RuntimeError: the ticket store is gone"
    )


class _NoFinalRead(FakeHelpdesk):
    def final_read(self) -> FinalRead:
        raise NotDeclared("the plan declares no final read")


def test_a_system_with_no_final_read_is_not_waited_for(plan: Plan, tmp_path: Path) -> None:
    _, journal = _run(plan, tmp_path, _NoFinalRead(FakeClock(), heal_after_s=3.2))

    start, end, notes = _drain(journal)
    assert notes[0] == {"why": "no final read to wait on"}
    assert not [n for n in notes if "pending" in n]
    assert end - start < DRAIN_POLL_S * 1e9
