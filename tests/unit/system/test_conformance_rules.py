"""The shipped conformance check: how it calls a system, and the exact problem it names for each broken rule.

A recording system shows what the check sends (which unit ids, which payload, which probe timeout) and a system
broken in every way shows each problem in the words a system author reads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import pytest

from drdrill.clock import FakeClock
from drdrill.plan import Plan
from drdrill.replica import NotRunning
from drdrill.system import FinalRead, ProbeResult, SignalMeaning, SystemContext, WriteResult
from drdrill.system.conformance import assert_conforms, check_conformance
from tests.unit.ticket_plan import write_ticket_plan

RULES = [
    "close before open is safe",
    "payloads",
    "signal_meanings",
    "write answers ok, fail or info and never raises",
    "writes from several threads at once",
    "probe answers a ProbeResult within its timeout",
    "final read",
    "signals are strings by name",
    "close is safe twice",
]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    return write_ticket_plan(tmp_path_factory.mktemp("desk"))


class Recorder:
    """A system that keeps what it is given and says what it is called with; its probe takes ``probe_s``."""

    def __init__(self, clock: FakeClock, payloads: object = ("first payload", "second")) -> None:
        self.clock = clock
        self._payloads = payloads
        self.probe_s = 2.5  # exactly the default timeout plus the grace: still within
        self.held: set[str] = set()
        self.writes: list[tuple[str, str]] = []
        self.probes: list[tuple[str, str, float]] = []
        self.final_reads = 0
        self._lock = threading.Lock()

    def open(self, context: SystemContext) -> None:
        pass

    def close(self) -> None:
        pass

    def payloads(self) -> Sequence[str]:
        if isinstance(self._payloads, Exception):
            raise self._payloads
        return self._payloads  # type: ignore[return-value]  # a system under check may answer anything

    def signal_meanings(self) -> Mapping[str, SignalMeaning]:
        return {"failover": SignalMeaning("main", frozenset({"standby"}))}

    def write(self, unit_id: str, payload: str) -> WriteResult:
        with self._lock:
            self.writes.append((unit_id, payload))
            self.held.add(unit_id)
        return WriteResult("ok", "kept")

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        self.probes.append((probe_id, payload, timeout_s))
        self.clock.advance(self.probe_s)
        return ProbeResult(True, "done")

    def final_read(self) -> FinalRead:
        self.final_reads += 1
        return FinalRead(frozenset(self.held), frozenset())

    def signals(self) -> Mapping[str, str]:
        return {"failover": "main"}


def context(plan: Plan, clock: FakeClock) -> SystemContext:
    return SystemContext(NotRunning(), clock, plan, "r1")


def test_the_check_writes_numbered_units_with_the_first_payload_and_probes_with_its_timeout(
    plan: Plan,
) -> None:
    clock = FakeClock()
    system = Recorder(clock)

    found = check_conformance(system, context(plan, clock))

    assert (found.problems, found.checked) == ([], RULES)
    assert system.writes[0] == ("r1-conformance-000001", "first payload")
    assert sorted(system.writes[1:]) == [(f"r1-conformance-00000{n}", "first payload") for n in (2, 3, 4, 5)]
    assert system.probes == [("r1-conformance-probe", "first payload", 2.0)]


def test_assert_conforms_probes_with_the_timeout_it_is_given(plan: Plan) -> None:
    clock = FakeClock()
    system = Recorder(clock)
    system.probe_s = 1.0

    assert_conforms(system, context(plan, clock), probe_timeout_s=0.5)
    assert_conforms(system, context(plan, clock))

    assert [timeout for _, _, timeout in system.probes] == [0.5, 2.0]


@pytest.mark.parametrize("payloads", [[], {"a set"}, ValueError("no payloads")])
def test_without_a_usable_first_payload_the_check_writes_its_own(plan: Plan, payloads: object) -> None:
    clock = FakeClock()
    system = Recorder(clock, payloads)

    check_conformance(system, context(plan, clock))

    assert system.writes[0] == ("r1-conformance-000001", "conformance")


def test_a_probe_past_its_timeout_and_grace_is_named_with_the_time_it_took(plan: Plan) -> None:
    clock = FakeClock()
    system = Recorder(clock)
    system.probe_s = 2.6

    found = check_conformance(system, context(plan, clock))

    assert found.problems == [
        "probe answers a ProbeResult within its timeout: took 2.60 s, over its timeout of 2 s"
    ]


def test_an_acknowledged_unit_may_show_in_the_final_read_up_to_five_seconds_later(plan: Plan) -> None:
    clock = FakeClock()

    class Slow(Recorder):
        def final_read(self) -> FinalRead:
            self.final_reads += 1
            return FinalRead(frozenset() if self.final_reads < 51 else frozenset(self.held), frozenset())

    slow = Slow(clock)
    assert check_conformance(slow, context(plan, clock)).problems == []
    assert slow.final_reads == 51  # read every 0.1 s: the 51st read comes at 5.0 s, still in time

    class Never(Recorder):
        def final_read(self) -> FinalRead:
            self.final_reads += 1
            return FinalRead(frozenset(), frozenset())

    never = Never(clock)
    started = clock.monotonic_ns()
    assert check_conformance(never, context(plan, clock)).problems == [
        "final read: the acknowledged unit 'r1-conformance-000001' is not held 5 s later"
    ]
    assert never.final_reads == 51
    assert clock.monotonic_ns() - started == round(never.probe_s * 1e9) + 5_000_000_000


class Broken(Recorder):
    """A system that breaks every rule it can (its close raises before open and when called twice)."""

    closes = 0

    def close(self) -> None:
        self.closes += 1
        if self.closes != 2:
            raise RuntimeError("not open")

    def payloads(self) -> Sequence[str]:
        raise ValueError("no payloads")

    def signal_meanings(self) -> Mapping[str, SignalMeaning]:
        return {"failover": "main", 3: SignalMeaning(), "mode": "full"}  # type: ignore[dict-item]

    def write(self, unit_id: str, payload: str) -> WriteResult:
        if unit_id.endswith(("2", "3")):
            raise OSError(f"lost {unit_id}")
        if unit_id.endswith(("4", "5")):
            return "done"  # type: ignore[return-value]
        return WriteResult("ok", "kept")

    def probe(self, probe_id: str, payload: str, timeout_s: float) -> ProbeResult:
        raise TimeoutError("hung")

    def final_read(self) -> FinalRead:
        return FinalRead(frozenset(), frozenset("gfedcba"))

    def signals(self) -> Mapping[str, str]:
        return {"failover": 1, 2: "x", "mode": "full"}  # type: ignore[dict-item]


def test_a_system_broken_everywhere_gets_every_problem_named(plan: Plan) -> None:
    clock = FakeClock()

    found = check_conformance(Broken(clock), context(plan, clock))

    threads = found.problems.pop(3)
    assert found.problems == [
        "close before open is safe: raised RuntimeError: not open",
        "payloads: raised ValueError: no payloads",
        "signal_meanings: not a SignalMeaning: failover, mode",
        "probe answers a ProbeResult within its timeout: raised TimeoutError: hung",
        "final read: done units that are not held: ['a', 'b', 'c', 'd', 'e']",
        "signals are strings by name: not strings: {'failover': 1, 2: 'x'}",
        "close is safe twice: raised RuntimeError: not open",
    ]
    prefix = "writes from several threads at once: "
    assert threads.startswith(prefix)
    assert sorted(threads.removeprefix(prefix).split("; ")) == [
        "write from thread 0 raised OSError: lost r1-conformance-000002",
        "write from thread 1 raised OSError: lost r1-conformance-000003",
        "write from thread 2 answered 'done'",
        "write from thread 3 answered 'done'",
    ]


def test_payloads_and_meanings_and_signals_of_the_wrong_shape_are_named(plan: Plan) -> None:
    clock = FakeClock()

    class Shapeless(Recorder):
        def signal_meanings(self) -> Mapping[str, SignalMeaning]:
            raise KeyError("meanings")

        def final_read(self) -> FinalRead:
            raise OSError("disk")

        def signals(self) -> Mapping[str, str]:
            raise ValueError("no signals")

    found = check_conformance(Shapeless(clock, "one string"), context(plan, clock))

    assert found.problems == [
        "payloads: should be a non-empty sequence of strings, got 'one string'",
        "signal_meanings: raised KeyError: 'meanings'",
        "final read: raised OSError: disk",
        "signals are strings by name: raised ValueError: no signals",
    ]
    empty = check_conformance(Shapeless(clock, ()), context(plan, clock))
    assert empty.problems[0] == "payloads: should be a non-empty sequence of strings, got ()"


def test_assert_conforms_lists_every_problem_under_the_systems_name(plan: Plan) -> None:
    clock = FakeClock()

    class Forgetful(Recorder):
        def final_read(self) -> FinalRead:
            return FinalRead(frozenset(), frozenset())

        def signals(self) -> Mapping[str, str]:
            return {"failover": None}  # type: ignore[dict-item]

    with pytest.raises(AssertionError) as raised:
        assert_conforms(Forgetful(clock), context(plan, clock))

    assert str(raised.value) == (
        "Forgetful breaks the system contract:\n"
        "- final read: the acknowledged unit 'r1-conformance-000001' is not held 5 s later\n"
        "- signals are strings by name: not strings: {'failover': None}"
    )
