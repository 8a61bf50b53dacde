"""Ctrl-C and SIGTERM during a drill are never lost.

Python delivers a signal by raising KeyboardInterrupt in the main thread at whatever bytecode it runs next. When
that bytecode belongs to a finalizer (a ``__del__``, a weakref callback, a generator the garbage collector
closes), the exception is reported as unraisable and dropped, and the drill would go on as if nobody had asked
it to stop (CI once saw a drill PASS after the Ctrl-C sent in its fault phase). So while a drill runs, the
handler notes the signal as well as raising, and a note no phase has taken is raised again by the drill's waits
(:meth:`DrillContext.check <drdrill.run.context.DrillContext.check>`, every tenth of a second) or at the end of
the phase it arrived in.

The note is a plain attribute: a signal handler must not take a lock the interrupted code may hold.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

STOPPING = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """The signal that asked the running drill to stop, until a phase has taken its KeyboardInterrupt."""

    def __init__(self) -> None:
        self.noted: str | None = None

    def note(self, name: str) -> None:
        self.noted = name

    def taken(self) -> None:
        """A phase ended with the KeyboardInterrupt: the request was heard."""
        self.noted = None

    def raise_noted(self) -> None:
        """Raise the interrupt a signal asked for, if its own KeyboardInterrupt was lost."""
        if self.noted is not None:
            raise interrupt_for(self.noted)


PENDING = Interrupts()


def interrupt_for(name: str) -> KeyboardInterrupt:
    """The KeyboardInterrupt a stopping signal raises: Ctrl-C's says nothing more (the scorecard calls it
    Ctrl-C), another names its signal."""
    return KeyboardInterrupt() if name == signal.SIGINT.name else KeyboardInterrupt(f"signal {name}")


def _handle(signum: int, frame: FrameType | None) -> None:
    name = signal.Signals(signum).name
    PENDING.note(name)
    raise interrupt_for(name)


@contextmanager
def signals_as_interrupt() -> Iterator[Interrupts]:
    """While a drill runs: SIGINT and SIGTERM (a CI job cancelled, ``kill``) raise KeyboardInterrupt and are noted,
    so teardown still happens and a lost KeyboardInterrupt is raised again. Main thread only (elsewhere Python
    delivers no signal)."""
    PENDING.taken()
    if threading.current_thread() is not threading.main_thread():
        yield PENDING
        return
    previous = {sig: signal.signal(sig, _handle) for sig in STOPPING}
    try:
        yield PENDING
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        PENDING.taken()
