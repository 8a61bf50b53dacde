"""Teardown: every undo on the stack, newest first, on every exit path; once it starts it finishes.

A second Ctrl-C or SIGTERM while the replica is being removed would leave it half there (issue: six containers,
a network, a volume and a temporary folder, until the next drill). So while teardown runs, SIGINT and SIGTERM
are noted and ignored, up to a hard deadline after which a signal interrupts it again; SIGKILL stays the only
way to leave anything, and the next run's sweep removes it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from drdrill.clock import Clock
from drdrill.journal import Journal, Kind, Type
from drdrill.undo import UndoProblem, UndoStack
from drdrill.units import NS_PER_S

TEARDOWN_DEADLINE_S = (
    120.0  # compose down of a stuck replica takes its stop timeouts; past this, a signal wins
)
SHIELDED = (signal.SIGINT, signal.SIGTERM)


@dataclass
class Shield:
    """Signals that arrived while teardown ran, and whether one came after the deadline."""

    clock: Clock
    deadline_ns: int
    ignored: list[str] = field(default_factory=list)

    def handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.clock.monotonic_ns() >= self.deadline_ns:
            raise KeyboardInterrupt(f"{name} after the teardown deadline")
        self.ignored.append(name)


@contextmanager
def shielded(clock: Clock, deadline_s: float = TEARDOWN_DEADLINE_S) -> Iterator[Shield]:
    """SIGINT and SIGTERM noted, not acted on, until the block ends or the deadline passes (main thread only:
    elsewhere Python delivers no signal anyway)."""
    shield = Shield(clock, clock.monotonic_ns() + round(deadline_s * NS_PER_S))
    if threading.current_thread() is not threading.main_thread():
        yield shield
        return
    previous = {sig: signal.signal(sig, shield.handle) for sig in SHIELDED}
    try:
        yield shield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@dataclass(frozen=True)
class Teardown:
    """What teardown left to say: each undo that failed, and the signals it ignored."""

    problems: tuple[UndoProblem, ...]
    ignored_signals: tuple[str, ...]

    @property
    def interrupted(self) -> bool:
        """An undo was interrupted (a signal after the deadline): the replica may be partly left."""
        return any(isinstance(p.error, KeyboardInterrupt) for p in self.problems)

    def message(self) -> str | None:
        return "; ".join(p.message for p in self.problems) or None


def teardown(undo: UndoStack, journal: Journal, clock: Clock) -> Teardown:
    """Unwind ``undo`` under the shield and journal every problem and every ignored signal."""
    with shielded(clock) as shield:
        problems = tuple(undo.unwind())
    for problem in problems:
        journal.record(Kind.NOTE, Type.FAIL, "cleanup", data={"problem": problem.message})
    if shield.ignored:
        journal.record(
            Kind.NOTE,
            Type.INFO,
            "cleanup",
            data={"signals_ignored": shield.ignored, "why": "teardown finishes once it has started"},
        )
    return Teardown(problems, tuple(shield.ignored))
