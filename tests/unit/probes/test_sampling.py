"""The probe loop at short intervals and the signal poll: what they journal for measure/ to bound times with."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from drdrill.clock import FakeClock, SystemClock
from drdrill.journal import PREVIOUS_POLL, Journal, Kind, Type
from drdrill.probes import CanaryProbe, SystemSignals
from drdrill.probes.canary import MAX_IN_FLIGHT
from drdrill.system import ProbeResult, SignalMeaning


class Sayer:
    """Just enough of a system for the observers: a probe that passes, and a failover signal to set."""

    def __init__(self) -> None:
        self.provider = "primary"
        self.probed: list[str] = []

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        self.probed.append(probe_id)
        return ProbeResult(True, "done")

    def signals(self) -> Mapping[str, str]:
        return {"failover": self.provider}


def canary(interval_s: float, timeout_s: float = 3.0) -> tuple[CanaryProbe, Journal, Sayer]:
    clock = FakeClock()
    journal = Journal(clock)
    system = Sayer()
    probe = CanaryProbe(system, journal, clock, "r1", ["x"], interval_s, timeout_s, 60)  # type: ignore[arg-type]
    return probe, journal, system


def test_at_50_ms_no_more_than_the_cap_of_probes_wait_on_the_system_at_once() -> None:
    probe, _, _ = canary(0.05)
    # 3 s of timeout at 50 ms would be 62 probes in flight in an outage where every probe hangs
    assert probe.max_in_flight == MAX_IN_FLIGHT == 8


def test_a_slow_interval_keeps_as_few_threads_as_it_needs() -> None:
    probe, _, _ = canary(1.0, timeout_s=2.0)
    assert probe.max_in_flight == 4


def test_a_tick_that_finds_the_cap_reached_is_skipped_counted_and_journalled_once() -> None:
    probe, journal, system = canary(0.05)
    probe._in_flight = probe.max_in_flight  # every probe is waiting on the system

    probe.tick(1)
    probe.tick(2)
    probe._in_flight = 0
    probe.tick(3)
    probe.stop()

    assert system.probed == ["r1-canary-00003"]
    assert probe.skipped == 2
    notes = [e for e in journal.events() if e.kind is Kind.NOTE]
    assert [(n.name, dict(n.data)) for n in notes] == [
        ("probe", {"skipped": 2, "why": "8 probes were already waiting on the system"})
    ]
    assert [e.type for e in journal.events() if e.kind is Kind.PROBE] == [Type.INVOKE, Type.OK]


def test_a_signal_change_carries_when_the_poll_before_it_began() -> None:
    clock = FakeClock()
    journal = Journal(clock)
    system = Sayer()
    spec = SignalMeaning(normal="primary", failed_over=frozenset({"backup"}))
    signals = SystemSignals(system, journal, clock, {"failover": spec}, 0.2, 60)  # type: ignore[arg-type]

    signals.tick(1)
    first = clock.monotonic_ns()
    clock.advance(0.2)
    signals.tick(2)
    second = clock.monotonic_ns()
    system.provider = "backup"
    clock.advance(0.2)
    signals.tick(3)

    changes = [e for e in journal.events() if e.kind is Kind.SIGNAL]
    assert [(e.value, dict(e.data)) for e in changes] == [
        ("normal", {"raw": "primary"}),  # the first poll has no poll before it
        ("failed_over", {"raw": "backup", PREVIOUS_POLL: second}),
    ]
    assert second - first == 200_000_000


class Hanging:
    """A system whose every probe hangs until released, counting how many wait at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.waiting = 0
        self.most = 0

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        with self.lock:
            self.waiting += 1
            self.most = max(self.most, self.waiting)
        self.release.wait(10)
        with self.lock:
            self.waiting -= 1
        return ProbeResult(False, "hung")


def test_on_real_threads_probes_that_hang_never_exceed_the_cap_and_the_rest_are_skipped() -> None:
    clock = SystemClock()
    journal = Journal(clock)
    system = Hanging()
    # 5 ms ticks with a 3 s timeout would put 600 probes on the system in 3 s; the cap is 8
    probe = CanaryProbe(system, journal, clock, "r1", ["x"], 0.005, 3.0, 60)  # type: ignore[arg-type]
    probe.start()
    deadline = time.monotonic() + 5
    while probe.skipped < 20 and time.monotonic() < deadline:
        time.sleep(0.01)
    system.release.set()
    probe.stop()
    assert system.most == probe.max_in_flight == MAX_IN_FLIGHT
    assert probe.skipped >= 20
