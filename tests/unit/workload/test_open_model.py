"""The open-model workload on a fake clock: every write starts at its due time whatever the system's latency,
at most ``max_in_flight`` wait on the system, and the journal says how late each started and what was refused.

Every figure is exact: the fake clock runs the schedule and the workload's event loop from its sleeps.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pytest

from drdrill.clock import FakeClock
from drdrill.journal import DUE, SUBMIT, WORKLOAD, Journal, Kind, Type
from drdrill.measure.fold import fold
from drdrill.measure.verdicts import Objectives, Words, judge, measure
from drdrill.measure.workload import WorkloadFigures
from drdrill.system import FinalRead, ProbeResult, SignalMeaning, SystemContext, WriteResult
from drdrill.workload import Workload

MS = 1_000_000
S = 1_000 * MS


@dataclass
class Desk:
    """A system that stores each write ``latency_s`` after it arrives; with ``asynchronous``, awaited."""

    clock: FakeClock
    latency_s: float
    written: list[str] = field(default_factory=list)
    closed_async: int = 0

    def write(self, unit_id: str, payload: str) -> WriteResult:
        self.clock.sleep(self.latency_s)  # on a fake clock's inline pool: the schedule's own time passes
        self.written.append(unit_id)
        return WriteResult("ok", "stored")

    def open(self, context: SystemContext) -> None: ...
    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        return ProbeResult(True)

    def final_read(self) -> FinalRead:
        return FinalRead(frozenset(self.written), frozenset(self.written))

    def signals(self) -> Mapping[str, str]:
        return {}

    def payloads(self) -> Sequence[str]:
        return ("a claim",)

    def signal_meanings(self) -> Mapping[str, SignalMeaning]:
        return {}

    def close(self) -> None: ...


@dataclass
class AsyncDesk(Desk):
    async def write_async(self, unit_id: str, payload: str) -> WriteResult:
        await self.clock.sleep_async(self.latency_s)
        self.written.append(unit_id)
        return WriteResult("ok", "stored")

    async def close_async(self) -> None:
        self.closed_async += 1


def drive(desk: Desk, rate: float, seconds: float, max_in_flight: int | None = None) -> Journal:
    """Start a workload at 0, let the clock run ``seconds``, stop it; its journal."""
    journal = Journal(desk.clock)
    workload = Workload(desk, journal, desk.clock, "r1", desk.payloads(), rate, seconds, max_in_flight)
    workload.start()
    desk.clock.sleep(seconds)
    workload.stop()
    return journal


def figures(journal: Journal) -> WorkloadFigures:
    m = measure(journal.events(), S)
    assert m.workload is not None
    return m.workload


def test_writes_start_at_their_due_times_however_slow_the_system_answers() -> None:
    # 100 writes a second, each answered 250 ms later: 25 wait on the system at once, none starts late
    desk = AsyncDesk(FakeClock(start_ns=0), latency_s=0.25)
    journal = drive(desk, rate=100, seconds=1.0)

    invokes = [e for e in journal.events() if e.kind is Kind.OP and e.type is Type.INVOKE]
    assert [e.t_ns for e in invokes] == [n * 10 * MS for n in range(100)]
    assert [e.data[DUE] for e in invokes] == [e.t_ns for e in invokes]
    done = [e for e in journal.events() if e.kind is Kind.OP and e.type is Type.OK]
    assert [e.t_ns for e in done] == [
        250 * MS + n * 10 * MS for n in range(100)
    ]  # the last 25 after the stop
    assert desk.closed_async == 1  # the system's async client closed, on its loop, once every write was in
    assert figures(journal) == WorkloadFigures(
        declared_rate_per_s=100,
        interval_ns=10 * MS,
        max_in_flight=256,
        mode="async",
        started=100,
        scheduled=100,
        refused=0,
        achieved_rate_per_s=100.0,
        lag_median_ns=0,
        lag_p99_ns=0,
        lag_max_ns=0,
    )


def test_a_write_due_while_the_cap_is_in_flight_is_refused_counted_and_never_queued() -> None:
    # 10 in flight at most, each for 250 ms, one due every 10 ms: in every 250 ms, 10 start on time and the 15
    # due while they wait are refused
    desk = AsyncDesk(FakeClock(start_ns=0), latency_s=0.25)
    journal = drive(desk, rate=100, seconds=1.0, max_in_flight=10)

    invokes = [e.t_ns // MS for e in journal.events() if e.kind is Kind.OP and e.type is Type.INVOKE]
    assert invokes == [block + n * 10 for block in (0, 250, 500, 750) for n in range(10)]
    (end,) = [e for e in journal.events() if e.name == WORKLOAD and e.type is Type.END]
    assert end.data == {
        "scheduled": 100,
        "refused": 60,
        "first_refused_ns": 100 * MS,
        "last_refused_ns": 990 * MS,
    }
    found = figures(journal)
    assert (found.started, found.refused, found.lag_max_ns) == (40, 60, 0)  # started on time, or not at all


def test_a_system_without_async_writes_runs_on_the_pool_and_the_fake_clocks_inline_pool_shows_its_lag() -> (
    None
):
    # On a fake clock the pool runs each write inline: a write that takes 25 ms delays the next, as a closed
    # loop would. The journal says by how much: the n-th write is due at 10(n-1) ms, starts at 25(n-1) ms.
    desk = Desk(FakeClock(start_ns=0), latency_s=0.025)
    journal = drive(desk, rate=100, seconds=0.1)

    found = figures(journal)
    assert found.mode == "threads" and found.max_in_flight == 64
    assert (found.started, found.scheduled, found.refused) == (10, 10, 0)
    assert (found.lag_median_ns, found.lag_p99_ns, found.lag_max_ns) == (60 * MS, 135 * MS, 135 * MS)
    assert found.achieved_rate_per_s == pytest.approx(40.0)  # one every 25 ms, not every 10 ms


OBJECTIVES = Objectives(
    rto_ns=3600 * S, rpo_ns=0, recovery_bound_ns=30 * S, steady_window_ns=S, unit=Words("claim", "claims")
)


def schedule(journal: Journal) -> tuple[str, str, str]:
    (verdict,) = [v for v in judge(measure(journal.events(), S), OBJECTIVES) if v.name == "schedule"]
    return verdict.outcome, verdict.measured, verdict.message


def test_a_workload_that_fell_behind_says_so_in_its_verdicts() -> None:
    journal = drive(Desk(FakeClock(start_ns=0), latency_s=0.025), rate=100, seconds=0.1)
    assert schedule(journal) == (
        "fail",
        "p99 start lag 135.0 ms",
        "the workload fell behind its schedule: 100 claims a second declared, 40 a second started; started late by "
        "60.0 ms (median), 135.0 ms (p99), 135.0 ms at most; 6 of 10 more than the 50.0 ms a write may start "
        "late and still sample the system as the plan declares (at most 1 may); late writes spared the system "
        "load while it was slow, so the figures above rest on fewer samples than declared: lower workload_rate, "
        "or drill on a host with cores to spare",
    )


def test_a_workload_on_schedule_passes_and_says_what_it_refused() -> None:
    journal = drive(AsyncDesk(FakeClock(start_ns=0), latency_s=0.25), rate=100, seconds=1.0, max_in_flight=10)
    assert schedule(journal) == (
        "pass",
        "p99 start lag 0.0 ms",
        # 40 started from 0 to 840 ms: 46.43 a second between the first and the last
        "writes kept their schedule: 100 claims a second declared, 46.43 a second started; started late by 0.0 ms "
        "(median), 0.0 ms (p99), 0.0 ms at most; 60 claims not started: 10 were already waiting on the system, "
        "drdrill's cap (journalled, never queued)",
    )


def test_one_write_interval_is_on_schedule_at_a_slow_rate() -> None:
    # at 5 writes a second a write may start up to 200 ms late; 150 ms late is on schedule, 250 ms is not
    for latency_s, outcome in ((0.15, "pass"), (0.25, "fail")):
        desk = Desk(FakeClock(start_ns=0), latency_s=latency_s)
        journal = drive(desk, rate=5, seconds=2.0)
        assert figures(journal).on_schedule_ns == 200 * MS
        assert schedule(journal)[0] == outcome


def test_the_journal_states_the_schedule_when_the_workload_starts() -> None:
    journal = drive(AsyncDesk(FakeClock(start_ns=0), latency_s=0.0), rate=50, seconds=0.2)
    (begun,) = [e for e in journal.events() if e.name == WORKLOAD and e.type is Type.START]
    assert begun.kind is Kind.NOTE
    assert begun.data == {
        "rate_per_s": 50,
        "first_due_ns": 0,
        "interval_ns": 20 * MS,
        "max_in_flight": 256,
        "mode": "async",
    }
    writes = [e for e in journal.events() if e.kind is Kind.OP]
    assert {e.name for e in writes} == {SUBMIT} and {e.process for e in writes} == {WORKLOAD}
    assert fold(journal.events()).lags.tolist() == [0] * 10


@dataclass
class HiccupDesk(Desk):
    """Answers at once, but for one write that holds the (inline) pool for ``latency_s``."""

    slow: str = "r1-000003"

    def write(self, unit_id: str, payload: str) -> WriteResult:
        if unit_id == self.slow:
            self.clock.sleep(self.latency_s)
        self.written.append(unit_id)
        return WriteResult("ok", "stored")


def test_one_late_write_in_a_short_drill_is_said_and_not_failed_two_are() -> None:
    # 10 writes a second for 5 s: one write holding the pool 0.25 s makes the next two start late, 0.15 s
    # and 0.05 s: one beyond the 100 ms of a write interval
    journal = drive(HiccupDesk(FakeClock(start_ns=0), latency_s=0.25), rate=10, seconds=5.0)
    assert figures(journal).late == 1
    outcome, _, message = schedule(journal)
    assert outcome == "pass"
    assert "; 1 of 50 more than 100.0 ms late, within the 1 allowed" in message
    journal = drive(HiccupDesk(FakeClock(start_ns=0), latency_s=0.35), rate=10, seconds=5.0)
    assert figures(journal).late == 2
    assert schedule(journal)[0] == "fail"


def test_the_objects_alive_before_the_schedule_are_left_out_of_full_collections_until_it_stops() -> None:
    # a full collection walking them paused the process for up to 90 ms at 1,000 writes a second
    desk = AsyncDesk(FakeClock(start_ns=0), latency_s=0.0)
    journal = Journal(desk.clock)
    workload = Workload(desk, journal, desk.clock, "r1", desk.payloads(), 50, 0.2)
    before = gc.get_freeze_count()
    workload.start()
    assert gc.get_freeze_count() > before
    desk.clock.sleep(0.2)
    workload.stop()
    assert gc.get_freeze_count() == 0
    workload.stop()  # a second stop hands back nothing twice
    assert gc.get_freeze_count() == 0
