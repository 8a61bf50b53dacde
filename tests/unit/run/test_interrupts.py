"""A Ctrl-C or SIGTERM during a drill is never lost, even when its KeyboardInterrupt is swallowed on the way."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import Journal, Phase, Type
from drdrill.plan import Plan
from drdrill.run.interrupts import PENDING, signals_as_interrupt
from drdrill.runner import call_phase
from tests.unit.test_runner import Drill, helpdesk
from tests.unit.ticket_plan import write_ticket_plan


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("helpdesk"))


def test_a_ctrl_c_whose_interrupt_a_finalizer_swallowed_still_aborts_the_drill_in_its_phase(
    plan: Plan, tmp_path: Path
) -> None:
    drill = Drill(plan, tmp_path, helpdesk(interrupt_after_s=1.0, interrupt_lost=True))

    with pytest.raises(KeyboardInterrupt):
        drill.run()

    card = drill.scorecard
    assert card["status"] == "aborted"
    assert card["error"] == "interrupted (Ctrl-C) during the fault phase"
    assert drill.container.calls == ["kill SIGKILL", "start"]  # teardown reverted the fault
    assert drill.staging.calls[-1] == "stop"
    assert PENDING.noted is None  # taken by the phase it stopped
    # raised by the phase's next wait (a tenth of a second at most), not only once the phase is over
    spans = {(e["name"], e["type"]): e["t_ns"] for e in card["timeline"] if e["kind"] in ("phase", "fault")}
    assert spans[("fault", "end")] - spans[("kill responder (SIGKILL)", "start")] <= 1.1e9 + 1


@pytest.mark.parametrize(
    ("stop_signal", "message"), [(signal.SIGINT, ""), (signal.SIGTERM, "signal SIGTERM")], ids=["int", "term"]
)
def test_the_handler_notes_the_signal_it_raises_for_and_restores_the_previous_handlers(
    stop_signal: signal.Signals, message: str
) -> None:
    before = signal.getsignal(stop_signal)
    with signals_as_interrupt() as pending:
        try:
            os.kill(os.getpid(), stop_signal)
            signal.sigtimedwait([], 0.0)  # let the interpreter run the handler here
        except KeyboardInterrupt as exc:
            assert str(exc) == message
        else:
            raise AssertionError("the signal raised no KeyboardInterrupt")
        assert pending.noted == stop_signal.name  # swallowed above: still noted
        with pytest.raises(KeyboardInterrupt) as again:
            pending.raise_noted()
        assert str(again.value) == message
        pending.taken()
        pending.raise_noted()  # taken: nothing left to raise
    assert signal.getsignal(stop_signal) is before
    assert PENDING.noted is None


def test_a_phase_that_never_waits_after_the_lost_interrupt_ends_with_it(tmp_path: Path) -> None:
    journal = Journal(FakeClock(), tmp_path / "journal.jsonl")

    try:
        outcome = call_phase(journal, Phase.VERIFY, lambda: PENDING.note("SIGTERM"))
    finally:
        journal.close()

    assert isinstance(outcome.error, KeyboardInterrupt) and str(outcome.error) == "signal SIGTERM"
    assert PENDING.noted is None
    assert [e.type for e in journal.events()] == [Type.START, Type.END]
