"""One undo stack for a drill: whoever acquires or applies something pushes its own undo.

Teardown pops every entry in reverse order and runs it, whatever the one before raised, and gathers every
error (pytest's ``SetupState`` finalizers, Jepsen's nemesis ``teardown!``). The normal path undoes an entry
early with :meth:`UndoStack.release` (a fault reverted at the end of its phase); an undo that raises there stays
on the stack, so teardown tries it once more. "Applied, so undo" lives here and nowhere else.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field


def _plain(what: str, error: BaseException) -> str:
    return f"{what}: {type(error).__name__}: {error}"


@dataclass(frozen=True)
class Undo:
    """One entry: what it undoes, how, and how its failure is said (loudly: nothing is swallowed)."""

    what: str
    run: Callable[[], object]
    problem: Callable[[str, BaseException], str] = _plain
    key: int = field(default=0, compare=False)


@dataclass(frozen=True)
class UndoProblem:
    """An undo that raised: the drill is ERRORED, and this says what may be left."""

    what: str
    message: str
    error: BaseException


class UndoStack:
    """Undo entries in the order they were pushed; thread-safe (observers may push from their threads)."""

    def __init__(self) -> None:
        self._entries: list[Undo] = []
        self._keys = itertools.count(1)
        self._lock = threading.Lock()

    def push(
        self,
        what: str,
        run: Callable[[], object],
        problem: Callable[[str, BaseException], str] = _plain,
    ) -> Undo:
        """Remember how to undo ``what``; the returned entry can be released early."""
        entry = Undo(what, run, problem, next(self._keys))
        with self._lock:
            self._entries.append(entry)
        return entry

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def pending(self) -> list[str]:
        """What is still to undo, newest first."""
        with self._lock:
            return [e.what for e in reversed(self._entries)]

    def release(self, entry: Undo) -> None:
        """Undo ``entry`` now. Raises what the undo raises, and then keeps the entry for teardown to retry."""
        entry.run()
        with self._lock:
            self._entries = [e for e in self._entries if e.key != entry.key]

    def unwind(self) -> list[UndoProblem]:
        """Pop and run every entry, newest first; every error is gathered, none stops the others.

        A KeyboardInterrupt inside an undo is an error of that undo like any other: teardown goes on (the
        caller decides what a second Ctrl-C means for the drill's status).
        """
        problems: list[UndoProblem] = []
        while True:
            with self._lock:
                if not self._entries:
                    return problems
                entry = self._entries.pop()
            try:
                entry.run()
            except BaseException as exc:
                problems.append(UndoProblem(entry.what, entry.problem(entry.what, exc), exc))
