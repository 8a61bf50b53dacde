"""What a fault's target counted while it was in place: read after the fault's end is stamped (the count may
wait for calls the fault caught to end), journalled as a note after the end, and on the scorecard."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from drdrill.clock import FakeClock
from drdrill.faults.base import FaultTargets, InjectedFault
from drdrill.faults.container import ContainerFamily
from drdrill.journal import FAULT_REPORT, REPORT, TRACE, Event, Kind, Type, fault_reports, read_journal
from drdrill.plan import Plan
from drdrill.plan.faults import Fault
from drdrill.runner import DrillResult
from tests.unit.run.test_phases import plan  # noqa: F401 (a fixture)
from tests.unit.test_runner import Drill, helpdesk

COUNTED = {"requests": 7, "errors": 7, "cut": 7}


class Counted:
    """A fault whose target counts: its count takes a second of the fake clock (calls it caught ending)."""

    def __init__(self, fault: InjectedFault, clock: FakeClock, seen: list[str]) -> None:
        self._fault = fault
        self._clock = clock
        self._seen = seen
        self.label = fault.label
        self.target = fault.target

    def apply(self) -> None:
        self._fault.apply()

    def revert(self) -> None:
        self._fault.revert()
        self._seen.append("revert")

    def report(self) -> Mapping[str, int]:
        self._seen.append("report")
        self._clock.advance(1.0)
        return COUNTED


def run_wrapped(
    ticket_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, wrap: type[Counted]
) -> tuple[Drill, DrillResult, list[str], list[Event]]:
    """The help desk's drill, its kill wrapped in ``wrap``: the drill, its result, the calls the wrapper saw,
    and the journal."""
    drill = Drill(ticket_plan, tmp_path, helpdesk(heal_after_s=1.0))
    seen: list[str] = []
    build = ContainerFamily.build

    def wrapped(self: ContainerFamily, fault: Fault, targets: FaultTargets, index: int) -> InjectedFault:
        return wrap(build(self, fault, targets, index), drill.system.clock, seen)

    monkeypatch.setattr(ContainerFamily, "build", wrapped)
    result = drill.run()
    journal = read_journal((drill.runner.run_dir / "journal.jsonl").read_text().splitlines())
    return drill, result, seen, journal


def test_the_count_follows_the_faults_end_and_its_wait_is_no_part_of_the_fault(
    plan: Plan,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drill, result, seen, journal = run_wrapped(plan, tmp_path, monkeypatch, Counted)

    assert result.status == "passed" and seen == ["revert", "report"]
    (end,) = [e for e in journal if e.kind is Kind.FAULT and e.type is Type.END]
    (note,) = [e for e in journal if e.kind is Kind.NOTE and e.name == FAULT_REPORT]
    assert REPORT not in end.data
    assert (
        note.seq == end.seq + 1 and note.t_ns - end.t_ns == 1_000_000_000
    )  # the end stamped before the wait
    assert note.value == "responder" and note.data == {"fault": end.name, REPORT: COUNTED}
    [card] = drill.scorecard["fault_reports"]
    assert card == {"fault": end.name, "target": "responder", "counts": COUNTED}


class Traced(Counted):
    """A fault that also keeps what it did call by call (a leaked secret's uses)."""

    def trace(self) -> Mapping[str, object]:
        return {"uses": [{"status": 401}]}


def test_what_a_fault_did_call_by_call_stays_in_its_end(
    plan: Plan,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, _, journal = run_wrapped(plan, tmp_path, monkeypatch, Traced)

    (end,) = [e for e in journal if e.kind is Kind.FAULT and e.type is Type.END]
    assert end.data == {TRACE: {"uses": [{"status": 401}]}}


def event(seq: int, kind: Kind, type_: Type, name: str, value: str | None, data: dict[str, object]) -> Event:
    return Event(seq=seq, t_ns=seq, utc="", kind=kind, type=type_, name=name, value=value, data=data)


def test_reports_are_read_from_the_notes_and_from_the_ends_of_older_journals() -> None:
    events = [
        event(
            0, Kind.FAULT, Type.END, "hang llm", "llm", {REPORT: {"requests": 2, "odd": "x", "flag": True}}
        ),
        event(1, Kind.FAULT, Type.END, "cut llm", "llm", {}),
        event(2, Kind.NOTE, Type.INFO, FAULT_REPORT, "llm", {"fault": "cut llm", REPORT: {"cut": 3}}),
        event(3, Kind.NOTE, Type.INFO, FAULT_REPORT, "llm", {"fault": "empty llm", REPORT: {}}),
        event(4, Kind.NOTE, Type.INFO, "other", "llm", {"fault": "x", REPORT: {"cut": 9}}),
        event(5, Kind.NOTE, Type.INFO, FAULT_REPORT, "llm", {REPORT: {"cut": 9}}),  # no label: not a report
    ]
    assert fault_reports(events) == [("hang llm", "llm", {"requests": 2}), ("cut llm", "llm", {"cut": 3})]
