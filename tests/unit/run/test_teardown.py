"""Teardown finishes once it has started: further SIGINT/SIGTERM are noted and ignored until the deadline."""

from __future__ import annotations

import os
import signal

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import Journal, Kind
from drdrill.run.teardown import shielded, teardown
from drdrill.undo import UndoStack


def test_signals_during_teardown_are_noted_every_undo_runs_and_the_journal_says_so() -> None:
    clock = FakeClock()
    journal = Journal(clock)
    undo = UndoStack()
    ran: list[str] = []

    def signalled(name: str, signum: int) -> None:
        os.kill(os.getpid(), signum)
        ran.append(name)

    undo.push("remove replica", lambda: ran.append("replica"))
    undo.push("close system", lambda: signalled("system", signal.SIGINT))
    undo.push("revert fault", lambda: signalled("fault", signal.SIGTERM))

    # what the process had before: Python's own SIGINT handler, or SIG_IGN when it was started in the background
    # by a shell without job control (`cmd &` in a script), which its children inherit
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)

    down = teardown(undo, journal, clock)

    assert ran == ["fault", "system", "replica"]
    assert down.problems == () and not down.interrupted
    assert down.ignored_signals == ("SIGTERM", "SIGINT")
    (note,) = [e for e in journal.events() if e.kind is Kind.NOTE]
    assert dict(note.data) == {
        "signals_ignored": ["SIGTERM", "SIGINT"],
        "why": "teardown finishes once it has started",
    }
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # given back


def test_after_the_deadline_a_signal_interrupts_again() -> None:
    clock = FakeClock()
    with shielded(clock, deadline_s=60) as shield:
        os.kill(os.getpid(), signal.SIGINT)
        clock.advance(61)
        with pytest.raises(KeyboardInterrupt, match="SIGINT after the teardown deadline"):
            os.kill(os.getpid(), signal.SIGINT)
    assert shield.ignored == ["SIGINT"]


def test_an_undo_interrupted_after_the_deadline_makes_the_teardown_interrupted() -> None:
    clock = FakeClock()
    undo = UndoStack()
    ran: list[str] = []
    undo.push("remove replica", lambda: ran.append("replica"))

    def stuck() -> None:
        clock.advance(200)  # compose down hangs past the deadline, and the user presses Ctrl-C
        os.kill(os.getpid(), signal.SIGINT)

    undo.push("compose down", stuck)
    down = teardown(undo, Journal(clock), clock)
    assert down.interrupted
    assert ran == ["replica"]  # what came after the interrupted undo still ran
