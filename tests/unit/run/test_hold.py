"""The hold judges incrementally: every event is read once, however many polls the hold makes."""

from __future__ import annotations

from drdrill.clock import FakeClock
from drdrill.journal import SUBMIT, Event, Journal, Kind, Type
from drdrill.pacing import PacedLoop
from drdrill.run.hold import HOLD_POLL_S, hold_until_steady

S = 1_000_000_000


class CountingJournal(Journal):
    """A journal that counts what its readers take from it."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.read = 0
        self.polls = 0

    def since(self, seq: int) -> list[Event]:
        found = super().since(seq)
        self.read += len(found)
        self.polls += 1
        return found

    def events(self) -> list[Event]:
        raise AssertionError("the hold re-read the whole journal")


def test_every_event_is_read_once_whatever_the_number_of_polls() -> None:
    clock = FakeClock(start_ns=0)
    journal = CountingJournal(clock)

    def write(n: int) -> None:  # 100 writes a second, failing for the first 2 s of the fault, then good
        journal.record(Kind.OP, Type.INVOKE, SUBMIT, value=f"w{n}")
        journal.record(Kind.OP, Type.OK if n > 200 else Type.FAIL, SUBMIT, value=f"w{n}")

    writes = PacedLoop(clock, "w", write, 0.01, max_seconds=60)
    writes.start()
    recovered = hold_until_steady(lambda: None, journal, clock, 0, 30 * S, steady_window_ns=3 * S)

    assert recovered
    assert clock.monotonic_ns() == round(
        5.1 * S
    )  # the good run from 2.01 s spans 3 s by 5.01 s: seen at the poll after
    assert journal.polls == round(5.1 / HOLD_POLL_S) + 1
    assert journal.read == len(journal._events)  # each event once, not once per poll
    writes.stop()
