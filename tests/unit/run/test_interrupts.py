"""A Ctrl-C or SIGTERM during a drill is never lost, even when its KeyboardInterrupt is swallowed on the way (a
whole drill whose interrupt is lost: tests/unit/test_runner.py, the Ctrl-C mid-fault test)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import Journal, Phase, Type
from drdrill.run.interrupts import PENDING, signals_as_interrupt
from drdrill.runner import call_phase


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
