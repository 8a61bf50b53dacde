"""The undo stack: every undo runs, newest first, whatever the one before raised; every error is kept."""

from __future__ import annotations

import pytest

from drdrill.undo import UndoStack


def test_unwind_runs_every_undo_newest_first_and_gathers_each_error() -> None:
    undo = UndoStack()
    ran: list[str] = []

    def boom() -> None:
        ran.append("proxy")
        raise RuntimeError("Toxiproxy gone")

    undo.push("remove replica", lambda: ran.append("replica"))
    undo.push("revert down proxy", boom, lambda what, exc: f"FAULT NOT REVERTED: {exc}")
    undo.push("stop probes", lambda: ran.append("probes"))

    problems = undo.unwind()

    assert ran == ["probes", "proxy", "replica"]
    assert [(p.what, p.message) for p in problems] == [
        ("revert down proxy", "FAULT NOT REVERTED: Toxiproxy gone")
    ]
    assert len(undo) == 0
    assert undo.unwind() == []  # nothing is undone twice


def test_a_default_problem_names_what_and_the_error() -> None:
    undo = UndoStack()
    undo.push("close the system", lambda: (_ for _ in ()).throw(OSError("socket closed")))
    (problem,) = undo.unwind()
    assert problem.message == "close the system: OSError: socket closed"


def test_a_ctrl_c_inside_an_undo_is_its_error_and_the_others_still_run() -> None:
    undo = UndoStack()
    ran: list[str] = []

    def interrupted() -> None:
        raise KeyboardInterrupt

    undo.push("remove replica", lambda: ran.append("replica"))
    undo.push("revert", interrupted)
    (problem,) = undo.unwind()
    assert isinstance(problem.error, KeyboardInterrupt)
    assert ran == ["replica"]


def test_release_undoes_one_entry_now_and_a_failed_release_stays_for_teardown() -> None:
    undo = UndoStack()
    attempts: list[int] = []

    def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("engine busy")

    kept = undo.push("remove replica", lambda: None)
    entry = undo.push("revert kill worker", flaky)
    with pytest.raises(RuntimeError, match="engine busy"):
        undo.release(entry)
    assert undo.pending() == ["revert kill worker", "remove replica"]  # applied, so still to revert

    assert undo.unwind() == []  # teardown's retry worked
    assert len(attempts) == 2
    undo.push("x", lambda: None)
    undo.release(kept)  # an entry already gone: releasing it runs it, and removes nothing else
    assert undo.pending() == ["x"]
